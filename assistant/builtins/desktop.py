"""Desktop backends plugged into Capabilities (assistant/tools/backends.py): the
clipboard (xclip, xsel or wl-clipboard, whichever exists) and app/URL launching (XDG
.desktop files, xdg-open or a browser on PATH). What to use is looked up when a call
needs it, so installing a tool or starting a session later works without a restart; a
missing piece is a DesktopError that names the package to install.

Backends are synchronous (they run programs): workers call them with asyncio.to_thread.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.builtins.desktop_apps import DesktopApp, DesktopApps, exec_argv
from models.errors import CodedError

CLIPBOARD_TIMEOUT_S = 3.0
STARTUP_CHECK_S = 0.4  # a launcher that fails right away fails within this
MAX_CLIPBOARD_BYTES = 1 << 20
BROWSERS = ("x-www-browser", "firefox", "firefox-esr", "chromium", "chromium-browser",
            "google-chrome", "brave-browser", "epiphany-browser", "epiphany")
# Heron's own environment must not leak into the apps it starts.
_SCRUB_ENV = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "HERON_HOME")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):(?!\d)", re.IGNORECASE)


class DesktopError(CodedError):
    """The desktop could not do what a worker asked (tool missing, no session, …)."""


# -- clipboard ----------------------------------------------------------------------

@dataclass(frozen=True)
class ClipboardTool:
    name: str
    package: str
    session: str  # x11 | wayland
    read: tuple[str, ...]
    write: tuple[str, ...]
    # the selected text (X11 PRIMARY; on Wayland the primary selection of compositors
    # that offer one to clients: wlroots, KDE; GNOME gives it to no other program)
    read_primary: tuple[str, ...] = ()


CLIPBOARD_TOOLS = (
    ClipboardTool("wl-clipboard", "wl-clipboard", "wayland",
                  ("wl-paste", "--no-newline", "--type", "text"), ("wl-copy",),
                  ("wl-paste", "--primary", "--no-newline", "--type", "text")),
    ClipboardTool("xclip", "xclip", "x11", ("xclip", "-selection", "clipboard", "-o"),
                  ("xclip", "-selection", "clipboard", "-i"),
                  ("xclip", "-selection", "primary", "-o")),
    ClipboardTool("xsel", "xsel", "x11", ("xsel", "--clipboard", "--output"),
                  ("xsel", "--clipboard", "--input"), ("xsel", "--primary", "--output")),
)


class SystemClipboard:
    """The desktop clipboard through whichever command-line tool fits the session."""

    def __init__(self, tools: Sequence[ClipboardTool] = CLIPBOARD_TOOLS,
                 env: Mapping[str, str] | None = None) -> None:
        self._tools = tuple(tools)
        self._env = env  # None: the process environment at call time

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def pick(self) -> ClipboardTool:
        """The tool for the current session, or a DesktopError saying what is missing."""
        env = self._environ()
        sessions = [s for s, var in (("wayland", "WAYLAND_DISPLAY"), ("x11", "DISPLAY"))
                    if env.get(var)]
        if not sessions:
            raise DesktopError("clipboard.no_session",
                               "I can't reach the clipboard: there is no desktop session "
                               "(neither DISPLAY nor WAYLAND_DISPLAY is set).",
                               "run Heron inside your desktop session")
        for session in sessions:
            for tool in self._tools:
                if tool.session == session and shutil.which(tool.read[0], path=env.get("PATH")):
                    return tool
        wanted = " or ".join(t.package for t in self._tools if t.session in sessions)
        raise DesktopError("clipboard.unavailable",
                           f"I can't reach the clipboard: {wanted} is not installed.",
                           f"install one, e.g. `sudo apt-get install {wanted.split(' or ')[0]}`")

    def status(self) -> dict[str, Any]:
        try:
            return {"available": True, "backend": self.pick().name}
        except DesktopError as err:
            return {"available": False, "problem": err.message, "hint": err.hint}

    def read(self) -> str:
        tool = self.pick()
        return self._output(tool, tool.read, "clipboard")

    def read_primary(self) -> str:
        """The text selected right now ("" when nothing is, or the session has no
        primary selection)."""
        tool = self.pick()
        if not tool.read_primary:
            return ""
        return self._output(tool, tool.read_primary, "selected text")

    def _output(self, tool: ClipboardTool, argv: tuple[str, ...], what: str) -> str:
        proc = self._run(tool, argv, None)
        if proc.returncode != 0:
            # Each tool says "nothing there" its own way; an empty clipboard is not an error.
            err = proc.stderr.decode("utf-8", "replace").lower()
            if any(s in err for s in ("not available", "nothing is copied", "no selection")):
                return ""
            raise DesktopError("clipboard.failed",
                               f"Reading the {what} failed ({tool.name}: {err.strip()}).",
                               "check that the desktop session is running")
        return proc.stdout[:MAX_CLIPBOARD_BYTES].decode("utf-8", "replace")

    def write(self, text: str) -> None:
        tool = self.pick()
        proc = self._run(tool, tool.write, text.encode("utf-8"))
        if proc.returncode != 0:
            raise DesktopError("clipboard.failed",
                               f"Copying to the clipboard failed ({tool.name}: "
                               f"{proc.stderr.decode('utf-8', 'replace').strip()}).",
                               "check that the desktop session is running")

    def _run(self, tool: ClipboardTool, argv: tuple[str, ...],
             data: bytes | None) -> subprocess.CompletedProcess:
        # The writers fork a child that owns the selection until someone else copies.
        # It inherits stdout/stderr, so those must not be pipes we wait on: stderr goes
        # to a temporary file, and a writer's stdout to /dev/null.
        with tempfile.TemporaryFile() as err_file:
            try:
                proc = subprocess.run(
                    list(argv), input=data if data is not None else b"",
                    stdout=subprocess.DEVNULL if data is not None else subprocess.PIPE,
                    stderr=err_file, env=dict(self._environ()),
                    timeout=CLIPBOARD_TIMEOUT_S, check=False)
            except subprocess.TimeoutExpired as err:
                raise DesktopError(
                    "clipboard.timeout", f"The clipboard did not answer within "
                    f"{CLIPBOARD_TIMEOUT_S:g} s ({tool.name}).",
                    "check that the desktop session is running") from err
            except OSError as err:
                raise DesktopError("clipboard.failed", f"Could not run {argv[0]}: {err}.",
                                   f"reinstall {tool.package}") from err
            err_file.seek(0)
            proc.stderr = err_file.read(4096)
        return proc


# -- starting programs ----------------------------------------------------------------

@dataclass(frozen=True)
class Launched:
    app_id: str  # the .desktop id, or the opener used for a URL
    name: str
    pid: int

    def to_dict(self) -> dict[str, Any]:
        return {"app_id": self.app_id, "name": self.name, "pid": self.pid}


def _launch_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in _SCRUB_ENV}


def spawn(argv: Sequence[str], env: Mapping[str, str], cwd: str | None = None,
          what: str = "") -> int:
    """Start a detached program (own session, no stdio of ours) and return its pid.
    A program that exits non-zero within STARTUP_CHECK_S is a DesktopError; one that
    keeps running is reaped by a daemon thread when it ends, so it never lingers as a
    zombie of Heron's."""
    what = what or argv[0]
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=_launch_env(env),
                                cwd=cwd if cwd and os.path.isdir(cwd) else None,
                                start_new_session=True)
    except OSError as err:
        raise DesktopError("apps.launch_failed", f"I couldn't start {what}: {err.strerror}.",
                           f"check that {argv[0]} is installed") from err
    try:
        code = proc.wait(timeout=STARTUP_CHECK_S)
    except subprocess.TimeoutExpired:
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
        return proc.pid
    if code != 0:
        raise DesktopError("apps.launch_failed",
                           f"{what} stopped right after starting (exit code {code}).",
                           f"try starting {what} yourself to see its error")
    return proc.pid


class UrlOpener:
    """Opens http(s) URLs with the user's browser: xdg-open, then $BROWSER, then a
    known browser on PATH. Heron itself never fetches the page."""

    ORDER = ("xdg-open", "BROWSER", "path")

    def __init__(self, order: Sequence[str] = ORDER,
                 env: Mapping[str, str] | None = None) -> None:
        self._order = tuple(order)
        self._env = env

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def commands(self, url: str) -> list[tuple[str, list[str]]]:
        """(opener name, argv) candidates in order of preference."""
        env = self._environ()
        path = env.get("PATH")
        out: list[tuple[str, list[str]]] = []
        for source in self._order:
            if source == "xdg-open" and shutil.which("xdg-open", path=path):
                out.append(("xdg-open", ["xdg-open", url]))
            elif source == "BROWSER":
                for cmd in filter(None, env.get("BROWSER", "").split(":")):
                    argv = shlex.split(cmd)
                    if argv and shutil.which(argv[0], path=path):
                        has_slot = any("%s" in a for a in argv)
                        argv = [a.replace("%s", url) for a in argv]
                        out.append((argv[0], argv if has_slot else [*argv, url]))
            elif source == "path":
                out.extend((b, [b, url]) for b in BROWSERS if shutil.which(b, path=path))
        return out

    def status(self) -> dict[str, Any]:
        found = self.commands("https://example.invalid/")
        if found:
            return {"available": True, "backend": found[0][0]}
        return {"available": False, "problem": "no way to open web links",
                "hint": "install xdg-utils and a browser"}

    def open(self, url: str) -> Launched:
        candidates = self.commands(url)
        if not candidates:
            raise DesktopError("url.no_opener",
                               "I can't open web links: no browser or xdg-open was found.",
                               "install xdg-utils and a web browser, or set $BROWSER")
        name, argv = candidates[0]
        pid = spawn(argv, self._environ(), what=name)
        return Launched(name, name, pid)


def normalize_url(text: str) -> str:
    """A web URL from what was said or typed ("example dot com" → https://example.com);
    only http and https are opened: file:, javascript: and friends are refused."""
    raw = text.strip().strip("<>\"'")
    if " dot " in f" {raw.lower()} ":
        raw = "".join(raw.lower().replace(" dot ", ".").split())
    scheme = _SCHEME.match(raw)
    if "://" not in raw and scheme:  # mailto:, javascript:, file:… (not host:port)
        raw = f"{scheme.group(1)}://"
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError as err:  # "https://[evil", a fullwidth slash in the host (NFKC)
        raise DesktopError("url.invalid", f"{text.strip()!r} is not a web address I can open.",
                           "say it like example.com or give the full https:// address") from err
    if parts.scheme.lower() not in ("http", "https"):
        raise DesktopError("url.scheme_not_allowed",
                           f"I only open web links (http or https), not {parts.scheme}: links.",
                           "give an address starting with https://")
    host = parts.hostname or ""
    if not host or any(c.isspace() or ord(c) < 32 for c in raw) or (
            "." not in host and host != "localhost"):
        raise DesktopError("url.invalid", f"{text.strip()!r} is not a web address I can open.",
                           "say it like example.com or give the full https:// address")
    return raw


class AppLauncher:
    """The `apps.launch` backend: start an installed app by (spoken) name, or open a
    URL in the browser."""

    def __init__(self, apps: DesktopApps | None = None, urls: UrlOpener | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.apps = apps or DesktopApps(env=env)
        self.urls = urls or UrlOpener(env=env)
        self._env = env

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def find(self, name: str) -> DesktopApp:
        return self.apps.match(name)

    def launch(self, name: str) -> Launched:
        app = self.find(name)
        env = self._environ()
        if app.exec:
            argv = exec_argv(app)
            if app.terminal:
                term = shutil.which("x-terminal-emulator", path=env.get("PATH"))
                if term is None:
                    raise DesktopError("apps.needs_terminal",
                                       f"{app.name} runs in a terminal and I found none.",
                                       "install a terminal emulator (x-terminal-emulator)")
                argv = [term, "-e", *argv]
        elif shutil.which("gtk-launch", path=env.get("PATH")):  # D-Bus activated apps
            argv = ["gtk-launch", app.app_id]
        else:
            raise DesktopError("apps.launch_failed",
                               f"{app.name} has no command line I can start.",
                               "install gtk-launch (Debian: libgtk-3-bin) to start it")
        pid = spawn(argv, env, cwd=app.path or os.path.expanduser("~"), what=app.name)
        return Launched(app.app_id, app.name, pid)

    def open_url(self, url: str) -> Launched:
        return self.urls.open(normalize_url(url))

    def status(self) -> dict[str, Any]:
        apps = self.apps.installed()
        return {"available": bool(apps), "apps": len(apps), "urls": self.urls.status()}
