"""Capability objects: the only way a worker touches the machine.

A worker's manifest lists scopes (DESIGN.md §5); the registry builds a `Capabilities`
for each call holding an object for every granted scope and nothing else. Each use is
checked against the scope (a path against its glob, a host against `net:<host>`) and
written to the audit log, allowed or not. Third-party workers reach the same objects
through the sandbox broker; they never open files or sockets themselves.

Scope grammar: mic | camera | screen.read | input.control | clipboard.read |
clipboard.write | fs.read:<glob> | fs.write:<glob> | net:<host> | shell | apps.launch |
notify | system. Globs use `~` for the home directory and `**` for any depth.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import CodedError

SIMPLE_SCOPES = frozenset({"mic", "camera", "screen.read", "input.control", "clipboard.read",
                           "clipboard.write", "shell", "apps.launch", "notify", "system"})
PARAM_SCOPES = ("fs.read:", "fs.write:", "net:")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
                   r"(:\d{1,5})?$|^\*$")


class CapabilityDenied(CodedError):
    """A worker tried to use something it was not granted."""

    exit_code = 2


READ_SCOPES = frozenset({"mic", "camera", "screen.read", "clipboard.read"})


def is_read_scope(scope: str) -> bool:
    """Scopes that only look (what a tool's preview may hold): nothing is changed,
    launched, sent or typed with them."""
    return scope in READ_SCOPES or scope.startswith("fs.read:")


def scope_problem(scope: str) -> str | None:
    """Why `scope` is not a valid scope string, or None."""
    if scope in SIMPLE_SCOPES:
        return None
    for prefix in PARAM_SCOPES:
        if scope.startswith(prefix):
            arg = scope[len(prefix):]
            if not arg:
                return f"{scope!r} needs a value after {prefix!r}"
            if prefix == "net:" and not _HOST.match(arg.lower()):
                return f"{scope!r}: {arg!r} is not a host name"
            if prefix != "net:" and not (arg.startswith("/") or arg == "~"
                                         or arg.startswith("~/")):
                return f"{scope!r}: a path glob must start with / or ~/"
            return None
    known = ", ".join(sorted(SIMPLE_SCOPES)) + ", fs.read:<glob>, fs.write:<glob>, net:<host>"
    return f"unknown scope {scope!r} (known: {known})"


def expand_glob(glob: str, home: Path | None = None) -> str | None:
    """The absolute pattern for `glob` (`~` expanded), or None when it is relative
    (a relative glob would mean "wherever Heron happens to run": it matches nothing)."""
    home = home or Path.home()
    if glob == "~" or glob.startswith("~/"):
        glob = str(home) + glob[1:]
    if not glob.startswith("/"):
        return None
    return os.path.normpath(glob) if not glob.endswith("/**") else glob


def path_matches(path: Path, glob: str, home: Path | None = None) -> bool:
    """Whether the real path (symlinks resolved, `..` collapsed) falls under `glob`.
    `dir/**` covers everything below dir; `*` does not cross a `/`."""
    real = str(Path(os.path.realpath(path)))
    pattern = expand_glob(glob, home)
    if pattern is None:
        return False
    if pattern.endswith("/**"):
        base = os.path.realpath(pattern[:-3] or "/")
        return real == base or real.startswith(base.rstrip("/") + "/")
    parts, pat_parts = real.split("/"), pattern.split("/")
    if "**" in pat_parts:  # a/**/b: any depth in the middle
        regex = fnmatch.translate(pattern).replace(".*.*", ".*")
        return re.match(regex, real) is not None
    return len(parts) == len(pat_parts) and all(
        fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pat_parts, strict=True))


def host_matches(host: str, allowed: str) -> bool:
    """`host` ("name" or "name:port") against a grant ("name", "*.name", "*", each
    optionally with ":port"). A grant with a port allows that port only; a grant
    without one allows any port of that host."""
    host, allowed = host.lower().rstrip("."), allowed.lower().rstrip(".")
    if allowed == "*":
        return True
    name, _, port = host.partition(":")
    want_name, _, want_port = allowed.partition(":")
    if want_port and port != want_port:
        return False
    if want_name.startswith("*."):
        return name.endswith(want_name[1:])
    return name == want_name


Recorder = Callable[[str, str, bool, str], None]
"""record(scope, target, allowed, detail): writes one audit row per capability use."""


@dataclass(frozen=True)
class Grant:
    """Scopes a worker holds for one call."""

    scopes: frozenset[str]

    def globs(self, kind: str) -> list[str]:
        prefix = f"fs.{kind}:"
        return [s[len(prefix):] for s in self.scopes if s.startswith(prefix)]

    def hosts(self) -> list[str]:
        return [s[4:] for s in self.scopes if s.startswith("net:")]


class Capabilities:
    """Everything one worker call may use. `check_*` raise CapabilityDenied; every
    check, allowed or denied, is recorded. Backends for the desktop (clipboard, app
    launching, notifications) are plugged in by the core (`backends`)."""

    def __init__(self, worker: str, scopes: Iterable[str], record: Recorder | None = None,
                 home: Path | None = None, backends: dict[str, Any] | None = None) -> None:
        self.worker = worker
        self.grant = Grant(frozenset(scopes))
        self._record = record or (lambda *_: None)
        self._home = home
        self._backends = backends or {}

    def has(self, scope: str) -> bool:
        return scope in self.grant.scopes

    def _deny(self, scope: str, target: str, why: str) -> CapabilityDenied:
        self._record(scope, target, False, why)
        return CapabilityDenied(
            "capability.denied", f"{self.worker} may not {why}",
            f"the worker's manifest must ask for {scope!r} and you must grant it")

    def require(self, scope: str, target: str = "") -> None:
        """A simple scope (shell, notify, clipboard.read, …) must be granted."""
        if scope not in self.grant.scopes:
            raise self._deny(scope, target, f"use {scope}" + (f" ({target})" if target else ""))
        self._record(scope, target, True, "")

    def check_path(self, path: str | Path, kind: str) -> Path:
        """`kind` read | write: the resolved path, if a fs.<kind> glob covers it."""
        p = Path(path).expanduser()
        if not p.is_absolute():
            raise self._deny(f"fs.{kind}:<glob>", str(path), f"{kind} a relative path {path}")
        for glob in self.grant.globs(kind):
            if path_matches(p, glob, self._home):
                self._record(f"fs.{kind}:{glob}", str(p), True, "")
                return Path(os.path.realpath(p))
        raise self._deny(f"fs.{kind}:<glob>", str(p), f"{kind} {p}")

    def check_host(self, host: str) -> str:
        for allowed in self.grant.hosts():
            if host_matches(host, allowed):
                self._record(f"net:{allowed}", host, True, "")
                return host
        raise self._deny("net:<host>", host, f"connect to {host}")

    def run_command(self, argv: Sequence[str], timeout_s: float = 30.0,
                    max_bytes: int = 65536) -> dict[str, Any]:
        """Run a program for a worker holding `shell`: an argument list (never parsed by
        a shell), no stdin, its own session, killed at `timeout_s`; output is capped."""
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise CodedError("capability.bad_request", "a command is a non-empty list of "
                             "non-empty strings", 'pass e.g. ["ls", "-l", "/tmp"]')
        self.require("shell", shlex.join(argv)[:300])
        try:
            proc = subprocess.run(list(argv), capture_output=True, stdin=subprocess.DEVNULL,
                                  timeout=max(0.1, min(timeout_s, 300.0)), check=False,
                                  start_new_session=True)
        except FileNotFoundError:
            raise CodedError("shell.not_found", f"no program {argv[0]!r} on this machine",
                             "install it or give its full path") from None
        except subprocess.TimeoutExpired:
            raise CodedError("shell.timeout", f"{argv[0]} ran longer than {timeout_s:g} s "
                             "and was stopped", "give it more time or less work") from None
        return {"returncode": proc.returncode,
                "stdout": proc.stdout[:max_bytes].decode("utf-8", errors="replace"),
                "stderr": proc.stderr[:max_bytes].decode("utf-8", errors="replace")}

    def backend(self, scope: str) -> Any:
        """The desktop backend for a granted simple scope (after `require`)."""
        self.require(scope)
        backend = self._backends.get(scope)
        if backend is None:
            raise CodedError("capability.unavailable", f"nothing on this machine provides "
                             f"{scope}", "run `heron doctor` to see what is missing")
        return backend

    # -- screen, camera, input (backends plugged in by the core, see assistant/tools/
    # screen.py and camera.py). Async: the check and its audit row happen on the loop,
    # the blocking work (X11, OpenCV, xdotool) in a worker thread.
    @contextlib.contextmanager
    def _sensor(self, device: str) -> Iterator[None]:
        """The privacy switch and in-use indicator of `device` (tools/sensors.py)."""
        gate = self._backends.get("sensors")
        if gate is None:
            yield
            return
        if gate.paused(device):
            refusal = gate.refusal(device, self.worker)
            self._record(device, "", False, refusal.message)
            raise refusal
        with gate.reading(device, self.worker):
            yield

    def _provider(self, scope: str) -> Any:
        backend = self._backends.get(scope)
        if backend is None:
            raise CodedError("capability.unavailable", f"nothing on this machine provides "
                             f"{scope}", "run `heron doctor` to see what is missing")
        return backend

    async def grab_screen(self, target: str = "all") -> Any:
        """A vision Frame of `target` (all | active | monitor:N | region:X,Y,W,H), with
        the excluded windows already black. Needs screen.read."""
        self.require("screen.read", f"capture {target}")
        with self._sensor("screen"):
            return await asyncio.to_thread(self._provider("screen.read").grab, target)

    async def screen_windows(self) -> tuple[list[Any], Any | None]:
        """(visible windows bottom-first, the active one or None); excluded windows are
        left out. Needs screen.read."""
        self.require("screen.read", "list windows")
        with self._sensor("screen"):
            return await asyncio.to_thread(self._provider("screen.read").windows)

    async def camera_frame(self, device: str = "") -> Any:
        """One vision Frame from the camera (or the video file) `device` names ("" =
        the configured one). Needs camera."""
        self.require("camera", device or "default camera")
        with self._sensor("camera"):
            return await asyncio.to_thread(self._provider("camera").frame, device)

    async def click(self, x: int, y: int, button: int = 1) -> None:
        """Move the pointer to screen pixel (x, y) and click. Needs input.control."""
        self.require("input.control", f"click button {button} at {x},{y}")
        await asyncio.to_thread(self._provider("input.control").click, x, y, button)
