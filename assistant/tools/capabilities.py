"""Capability objects: the only way a worker touches the machine.

A worker's manifest lists scopes (DESIGN.md §5); the registry builds a `Capabilities`
for each call holding an object for every granted scope and nothing else. Each use is
checked against the scope (a path against its glob, a host against `net:<host>`) and
written to the audit log, allowed or not. A path is opened first and checked after
(`use_path`, assistant/permissions/grants.py): the kernel follows no symlink, and the
audit row names what was really opened. Third-party workers reach the same objects
through the sandbox broker; they never open files or sockets themselves.

Scope grammar: mic | camera | screen.read | input.control | clipboard.read |
clipboard.write | fs.read:<glob> | fs.write:<glob> | net:<host> | shell | apps.launch |
notify | system | media.control | audio.volume | home.control. Globs use `~` for the
home directory and `**` for any depth.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from assistant.permissions.grants import (
    PathGrant,
    Refused,
    covering,
    normalize,
    open_granted,
)
from assistant.tools.backends import (
    Camera,
    Clipboard,
    DesktopBackends,
    Launcher,
    MediaPlayers,
    Pointer,
    ScreenSource,
    VolumeControl,
)
from models.errors import CodedError

if TYPE_CHECKING:
    from vision.types import Frame
    from vision.windows import WindowInfo

T = TypeVar("T")

SIMPLE_SCOPES = frozenset({"mic", "camera", "screen.read", "input.control", "clipboard.read",
                           "clipboard.write", "shell", "apps.launch", "notify", "system",
                           "media.control", "audio.volume", "home.control"})
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


def path_matches(path: str | Path, glob: str, home: Path | None = None) -> bool:
    """Whether the real path (symlinks resolved, `..` collapsed) falls under `glob`.
    `dir/**` covers dir and everything below it; `**` in the middle is any number of
    folders (none too); `*` never crosses a `/`. A pure check: opening goes through
    `Capabilities.use_path`, which checks what it really opened."""
    grant = PathGrant.parse(glob, home)
    return grant is not None and grant.covers(os.path.realpath(path))


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
    """Everything one worker call may use. Checks raise CapabilityDenied; every use,
    allowed or denied, is recorded. Backends for the desktop (clipboard, app
    launching, screen, camera, …) are plugged in by the core (`backends`)."""

    def __init__(self, worker: str, scopes: Iterable[str], record: Recorder | None = None,
                 home: Path | None = None, backends: DesktopBackends | None = None) -> None:
        self.worker = worker
        self.grant = Grant(frozenset(scopes))
        self._record = record or (lambda *_: None)
        self._home = home
        self._backends = backends if backends is not None else DesktopBackends()
        self._parsed: dict[str, list[PathGrant]] = {}

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

    def covers(self, path: str, kind: str) -> bool:
        """Whether a fs.<kind> glob covers the real path `path` (no check is recorded,
        nothing is opened): for names listed inside a folder already opened."""
        return covering(normalize(path), self._grants(kind)) is not None

    def reaches(self, path: str, kind: str) -> bool:
        """Whether `path`, every symlink on the way looked up as `use_path` would, ends at
        something a fs.<kind> glob covers. Blocking (call it in a worker thread); nothing
        is recorded: for symlinks listed inside a folder already opened."""
        try:
            opened = open_granted(normalize(path), self._grants(kind), os.O_PATH)
        except (Refused, OSError):
            return False
        os.close(opened.fd)
        return True

    async def use_path(self, path: str | Path, kind: str, flags: int,
                       work: Callable[[int, str], T], mode: int = 0o644) -> tuple[str, T]:
        """Open `path` for `kind` (read | write) with os.open `flags` and run
        `work(fd, real_path)` on it, in a worker thread; the fd is closed afterwards.

        It is opened first and checked after: no symlink is followed by the kernel at any
        component (a link inside the grant is read and its target checked like any
        path), so a path swapped for a link between the check and the open cannot lead
        out. The audit row names the real path opened. Returns (real path, work's value).
        CapabilityDenied when no glob covers it; OSError for I/O failures (recorded too,
        with the path as asked: there is no real path to name)."""
        p = self._absolute(path, kind)

        def job() -> tuple[Any, Any, BaseException | None]:
            grants = self._grants(kind)  # resolving the bases touches the disk too
            asked = normalize(str(p))
            if not any(g.relative(asked) is not None for g in grants):
                return Refused(str(p), "outside the grant"), None, None  # named as asked
            try:
                opened = open_granted(str(p), grants, flags, mode)
            except Refused as refused:
                return refused, None, None
            except OSError as err:  # not there, or not readable: audited too, under the
                # glob that covers the path as asked (the real path is unknown)
                found = covering(asked, grants)
                return None, found.glob if found else "<glob>", err
            try:
                return opened, work(opened.fd, opened.path), None
            except Exception as err:  # noqa: BLE001 - re-raised on the loop, after the audit row
                return opened, None, err
            finally:
                os.close(opened.fd)

        opened, value, err = await asyncio.to_thread(job)
        if isinstance(opened, Refused):
            raise self._deny(f"fs.{kind}:<glob>", opened.target, f"{kind} {opened.target}")
        if opened is None and isinstance(err, OSError):
            # every use is audited, or a worker could probe unseen which files exist
            self._record(f"fs.{kind}:{value}", str(p), True,
                         f"open failed: {err.strerror or err}")
            raise err
        self._record(f"fs.{kind}:{opened.grant.glob}", opened.path, True, "")
        if err is not None:
            raise err
        return opened.path, value

    def _absolute(self, path: str | Path, kind: str) -> Path:
        text = str(path)
        if "\x00" in text:
            shown = text.replace("\x00", "\\0")[:300]
            self._record(f"fs.{kind}:<glob>", shown, False, "NUL byte in the path")
            raise CapabilityDenied("capability.bad_path", f'"{shown}" is not a usable path: '
                                   "it contains a NUL byte",
                                   "give the path without control characters")
        p = Path(text).expanduser()
        if not p.is_absolute():
            raise self._deny(f"fs.{kind}:<glob>", text, f"{kind} a relative path {text}")
        return p

    def _grants(self, kind: str) -> list[PathGrant]:
        """The fs.<kind> globs, parsed (bases resolved) once per call."""
        if kind not in self._parsed:
            found = (PathGrant.parse(g, self._home) for g in sorted(self.grant.globs(kind)))
            self._parsed[kind] = [g for g in found if g is not None]
        return self._parsed[kind]

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

    # Each scope with a desktop backend, typed by its Protocol (assistant/tools/backends.py);
    # any other scope (notify, shell, …) has none yet: `capability.unavailable`.
    @overload
    def backend(self, scope: Literal["clipboard.read", "clipboard.write"]) -> Clipboard: ...
    @overload
    def backend(self, scope: Literal["apps.launch"]) -> Launcher: ...
    @overload
    def backend(self, scope: Literal["screen.read"]) -> ScreenSource: ...
    @overload
    def backend(self, scope: Literal["input.control"]) -> Pointer: ...
    @overload
    def backend(self, scope: Literal["camera"]) -> Camera: ...
    @overload
    def backend(self, scope: Literal["media.control"]) -> MediaPlayers: ...
    @overload
    def backend(self, scope: Literal["audio.volume"]) -> VolumeControl: ...
    @overload
    def backend(self, scope: str) -> object: ...

    def backend(self, scope: str) -> object:
        """The desktop backend for a granted simple scope (after `require`)."""
        self.require(scope)
        return _provided(scope, self._backends.for_scope(scope))

    # -- screen, camera, input (backends plugged in by the core, see assistant/tools/
    # backends.py). Async: the check and its audit row happen on the loop, the blocking
    # work (X11, OpenCV, xdotool) in a worker thread.
    @contextlib.contextmanager
    def _sensor(self, device: str) -> Iterator[None]:
        """The privacy switch and in-use indicator of `device` (tools/sensors.py)."""
        gate = self._backends.sensors
        if gate is None:
            yield
            return
        if gate.paused(device):
            refusal = gate.refusal(device, self.worker)
            self._record(device, "", False, refusal.message)
            raise refusal
        with gate.reading(device, self.worker):
            yield

    async def grab_screen(self, target: str = "all") -> Frame:
        """A vision Frame of `target` (all | active | monitor:N | region:X,Y,W,H), with
        the excluded windows already black. Needs screen.read."""
        self.require("screen.read", f"capture {target}")
        with self._sensor("screen"):
            screen = _provided("screen.read", self._backends.screen)
            return await asyncio.to_thread(screen.grab, target)

    async def screen_windows(self) -> tuple[list[WindowInfo], WindowInfo | None]:
        """(visible windows bottom-first, the active one or None); excluded windows are
        left out. Needs screen.read."""
        self.require("screen.read", "list windows")
        with self._sensor("screen"):
            screen = _provided("screen.read", self._backends.screen)
            return await asyncio.to_thread(screen.windows)

    async def camera_frame(self, device: str = "") -> Frame:
        """One vision Frame from the camera (or the video file) `device` names ("" =
        the configured one). Needs camera."""
        self.require("camera", device or "default camera")
        with self._sensor("camera"):
            camera = _provided("camera", self._backends.camera)
            return await asyncio.to_thread(camera.frame, device)

    async def click(self, x: int, y: int, button: int = 1) -> None:
        """Move the pointer to screen pixel (x, y) and click. Needs input.control."""
        self.require("input.control", f"click button {button} at {x},{y}")
        pointer = _provided("input.control", self._backends.input)
        await asyncio.to_thread(pointer.click, x, y, button)


def _provided(scope: str, backend: T | None) -> T:
    """`backend`, or the error saying nothing here provides `scope`."""
    if backend is None:
        # build_core gives every desktop backend (each reports its own missing program),
        # so only scopes with none in this Heron get here: notify, shell, …
        raise CodedError("capability.unavailable", f"this Heron has no backend for {scope}",
                         "the tool cannot do that here; tell its author which Heron "
                         "version you run")
    return backend
