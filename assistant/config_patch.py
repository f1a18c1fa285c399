"""Settings changed in the tray, written back to config.toml with tomlkit: comments,
order and formatting are kept; the result is validated before anything is written, and
written atomically (a crash or a full disk never leaves half a file)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from assistant.config import ConfigError, HeronConfig, from_dict


def update_config_file(path: Path, patch: dict[str, Any]) -> HeronConfig:
    """Apply a nested patch ({"wake": {"threshold": 0.6}}) to `path`; the new config.
    A value that makes the config invalid raises ConfigError and writes nothing."""
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        doc = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as err:
        raise ConfigError("config.malformed", f"{path}: {err}",
                          "fix the file by hand first, or move it away") from err
    _merge(doc, patch)
    new_text = tomlkit.dumps(doc)
    config = from_dict(tomllib.loads(new_text), source=str(path))  # raises ConfigError
    _write_atomic(path, new_text)
    return config


def _merge(table: Any, patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict):
            if key not in table or not isinstance(table[key], dict):
                table[key] = tomlkit.table()
            _merge(table[key], value)
        else:
            table[key] = list(value) if isinstance(value, tuple) else value


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigError("config.write_failed", f"cannot save {path}: {err}",
                          "free some disk space or fix the folder's permissions; "
                          "the old settings are unchanged") from err
