"""Start Heron on login: a freedesktop autostart entry
($XDG_CONFIG_HOME/autostart/heron.desktop) that runs this installation's `heron run`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from models.errors import CodedError

ENTRY_NAME = "heron.desktop"


def autostart_file(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home())))
                                              / ".config")
    return Path(base) / "autostart" / ENTRY_NAME


def heron_command() -> list[str]:
    """How this installation starts Heron: its `heron` script, else `python -m assistant`."""
    script = Path(sys.executable).with_name("heron")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "run"]
    return [sys.executable, "-m", "assistant", "run"]


def entry_text(command: list[str]) -> str:
    # The Desktop Entry spec quotes Exec arguments with double quotes only.
    exec_line = " ".join(_desktop_quote(arg) for arg in command)
    return ("[Desktop Entry]\n"
            "Type=Application\n"
            "Name=Heron\n"
            "Comment=Local, private voice and vision assistant\n"
            f"Exec={exec_line}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n")


def _desktop_quote(arg: str) -> str:
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%")
    return f'"{escaped}"'


def is_enabled(env: dict[str, str] | None = None) -> bool:
    return autostart_file(env).is_file()


def set_enabled(enabled: bool, env: dict[str, str] | None = None) -> Path:
    """Write or remove the entry; the path it lives at."""
    path = autostart_file(env)
    try:
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(entry_text(heron_command()), encoding="utf-8")
            os.replace(tmp, path)
        else:
            path.unlink(missing_ok=True)
    except OSError as err:
        raise CodedError("autostart.write_failed", f"cannot change {path}: {err}",
                         "check that your config folder is writable (and not full)") from err
    return path


def describe(env: dict[str, str] | None = None) -> str:
    path = autostart_file(env)
    return f"on ({path})" if path.is_file() else f"off (no {path})"
