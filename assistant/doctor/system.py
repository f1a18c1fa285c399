"""The doctor's system rows: Python, config.toml, the data and cache dirs, free disk
space and where secrets are kept."""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
from pathlib import Path

from assistant.config import ConfigError, load_config
from assistant.doctor.check import Check, CheckStatus
from assistant.paths import HeronPaths

MIN_FREE_BYTES = 1 << 30


def check_python() -> Check:
    ver = platform.python_version()
    data = {"python": ver, "os": platform.platform(), "executable": sys.executable}
    return Check("python", CheckStatus.OK, f"Python {ver} on {platform.platform()}", data=data)


def check_config(paths: HeronPaths) -> tuple[Check, bool]:
    """Config validity, and the prefer_gpu setting (default when unreadable)."""
    path = paths.config_file
    try:
        config = load_config(path)
    except ConfigError as err:
        return Check("config", CheckStatus.FAIL, err.message, err.hint, {"path": str(path),
                                                              "code": err.code}), True
    where = f"{path}" if path.is_file() else f"{path} absent, using defaults"
    return Check("config", CheckStatus.OK, f"valid ({where})", data={"path": str(path)}), \
        config.runtime.prefer_gpu


def _writable(directory: Path) -> str:
    """'' when `directory` can be created and written, else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return ""


def check_dirs(paths: HeronPaths) -> list[Check]:
    out = []
    for name, directory, status in (("data dir", paths.data_dir, CheckStatus.FAIL),
                                    ("cache dir", paths.cache_dir, CheckStatus.WARN)):
        why = _writable(directory)
        if why:
            out.append(Check(name, status, f"{directory} is not writable: {why}",
                             f"mkdir -p '{directory}' && chmod u+rwx '{directory}' "
                             "(or set HERON_HOME to a writable folder)", {"path": str(directory)}))
        else:
            out.append(Check(name, CheckStatus.OK, f"{directory} is writable",
                             data={"path": str(directory)}))
    return out


def check_disk(directory: Path) -> Check:
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as err:
        return Check("disk", CheckStatus.WARN,
                     f"cannot read free space of {probe}: {err.strerror}")
    detail = f"{free / 1e9:.1f} GB free in {probe}"
    if free < MIN_FREE_BYTES:
        return Check("disk", CheckStatus.WARN,
                     detail + " (less than 1 GB: assembling models may fail)",
                     f"free some space on the disk holding {probe}", {"free_bytes": free})
    return Check("disk", CheckStatus.OK, detail, data={"free_bytes": free})


def check_secrets(paths: HeronPaths) -> Check:
    from assistant.secrets import SecretStore

    backend = SecretStore(paths.data_dir).backend
    if backend.startswith("keyring"):
        return Check("secrets", CheckStatus.OK, f"secrets in the OS {backend}",
                     data={"backend": backend})
    return Check("secrets", CheckStatus.INFO, f"no OS keyring: secrets in a {backend}",
                 "install and unlock a keyring (e.g. gnome-keyring) to keep the audit key "
                 "and API keys there", {"backend": backend})
