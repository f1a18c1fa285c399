"""One Heron per user: the running one holds a lock and listens on a local socket;
a second `heron` hands its command over instead of starting another assistant.

The socket is a Unix socket in the private data dir (0700; the socket itself 0600),
and the server also checks the peer's uid (SO_PEERCRED). The protocol is JSON lines:
the client sends one request `{"cmd": NAME, ...}`; the server answers with one line
`{"ok": true, ...}` or `{"ok": false, "error": {code, message, hint}}`. While a command
runs, the server may send `{"type": "permission", "request": {...}}` lines: the client
answers each with `{"type": "answer", "answer": "once" | "deny" | …}` (its terminal
is then one more approval surface, as with a local `heron ask`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from assistant.tools.policy import Answer, PermissionRequest
from assistant.tools.prompters import is_available
from assistant.tools.provenance import Origin
from models.errors import CodedError

log = logging.getLogger(__name__)

MAX_LINE = 1 << 20
UNIX_PATH_MAX = 107
Handler = Callable[[dict[str, Any], "Connection"], Awaitable[dict[str, Any]]]


class InstanceError(CodedError):
    exit_code = 7


def socket_path(data_dir: Path) -> Path:
    """Where the running Heron listens; a short path in the temp dir when the data
    dir's is longer than a Unix socket path may be."""
    path = data_dir / "heron.sock"
    if len(os.fsencode(path)) <= UNIX_PATH_MAX:
        return path
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"heron-{os.getuid()}-{digest}.sock"


class InstanceLock:
    """The single-instance lock (flock on `heron.lock`): held while Heron runs, freed by
    the kernel when the process dies, so a crash never leaves a stale lock."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "heron.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process now holds it; False if another Heron does."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise InstanceError("instance.lock_failed", f"cannot use {self.path}: "
                                f"{err.strerror or err}", "Heron's data dir must be a "
                                "writable folder: see `heron doctor`") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def request_to_dict(request: PermissionRequest) -> dict[str, Any]:
    return {"tool": request.tool, "title": request.title, "args": dict(request.args),
            "action": request.action, "summary": request.summary, "reason": request.reason,
            "offered": [str(a) for a in request.offered],
            "origins": sorted(str(o) for o in request.origins), "forced": request.forced,
            "source": request.source, "call_id": request.call_id}


def request_from_dict(data: dict[str, Any]) -> PermissionRequest:
    return PermissionRequest(
        tool=str(data["tool"]), title=str(data["title"]), args=dict(data["args"]),
        action=str(data["action"]), summary=str(data["summary"]),
        reason=str(data["reason"]), offered=tuple(Answer(a) for a in data["offered"]),
        origins=frozenset(Origin(o) for o in data.get("origins", ())),
        forced=bool(data.get("forced")), source=str(data.get("source", "cli")),
        call_id=str(data.get("call_id", "")))


class Connection:
    """The server's side of one client: it can put permission questions to it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.asks_permission = False  # the client said its terminal can answer

    async def send(self, data: dict[str, Any]) -> None:
        self._writer.write(json.dumps(data, default=str).encode() + b"\n")
        await self._writer.drain()

    async def ask(self, request: PermissionRequest) -> Answer:
        """A PermissionPrompter surface on the client's terminal."""
        if not self.asks_permission:
            return Answer.UNAVAILABLE
        await self.send({"type": "permission", "request": request_to_dict(request)})
        line = await self._answers.get()
        try:
            return request.accept(Answer(line.get("answer", "deny")))
        except ValueError:
            return Answer.DENY

    def available(self) -> bool:
        return self.asks_permission

    def answered(self, data: dict[str, Any]) -> None:
        self._answers.put_nowait(data)


class InstanceServer:
    """Serves commands to later `heron` invocations; `handlers` by command name."""

    def __init__(self, path: Path, handlers: dict[str, Handler]) -> None:
        self.path = path
        self.handlers = handlers
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # we hold the lock: any socket file here is stale
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path),
                                                           limit=MAX_LINE)
        finally:
            os.umask(old)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        conn = Connection(writer)
        try:
            if not _same_user(writer.get_extra_info("socket")):
                await conn.send(_error("instance.forbidden", "another user's program tried "
                                       "to command Heron", "each user runs their own Heron"))
                return
            first = await _read_json(reader)
            if first is None:
                return
            work = asyncio.create_task(self._handle(first, conn))
            while not work.done():  # answers to permission questions arrive meanwhile
                line = asyncio.create_task(_read_json(reader))
                await asyncio.wait({work, line}, return_when=asyncio.FIRST_COMPLETED)
                if not line.done():
                    line.cancel()
                    break
                data = line.result()
                if data is None:  # the client went away: stop its command
                    work.cancel()
                    break
                if data.get("type") == "answer":
                    conn.answered(data)
            with contextlib.suppress(asyncio.CancelledError):
                reply = await work
                await conn.send(reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except ValueError as err:  # not JSON, or a line over MAX_LINE
            with contextlib.suppress(ConnectionError):
                await conn.send(_error("instance.bad_request", f"bad request: {err}",
                                       "send one JSON object per line"))
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, request: dict[str, Any], conn: Connection) -> dict[str, Any]:
        name = request.get("cmd")
        handler = self.handlers.get(name) if isinstance(name, str) else None
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            return _error("instance.unknown_command", f"unknown command {name!r}",
                          f"known commands: {known}")
        conn.asks_permission = bool(request.get("terminal"))
        try:
            return {"ok": True, **await handler(request, conn)}
        except CodedError as err:
            return {"ok": False, "error": {**err.to_dict(), "exit_code": err.exit_code}}
        except Exception as err:  # a broken command must not take the server down
            log.exception("instance command %r failed", name)
            return _error("internal", f"the running Heron failed: {err}",
                          "see its log; run with -v for details")


def _error(code: str, message: str, hint: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


async def _read_json(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    line = await reader.readline()
    if not line:
        return None
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("a request is a JSON object")
    return data


def _same_user(sock: socket.socket | None) -> bool:
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return True  # the 0600 socket in a 0700 dir is the check there
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


class InstanceClient:
    """The second `heron`: connect, send a command, answer permission questions with
    `prompter`, return the final reply (raises InstanceError on failure)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def running(self) -> bool:
        """Whether a Heron answers on the socket."""
        try:
            return bool(asyncio.run(self.call({"cmd": "ping"}, timeout_s=3)).get("ok"))
        except InstanceError:
            return False

    async def call(self, request: dict[str, Any], timeout_s: float | None = None,
                   prompter: Any = None, connect_wait_s: float = 0.0) -> dict[str, Any]:
        """Send `request`; `connect_wait_s` is how long to wait for the socket of a
        Heron that holds the lock but is still starting."""
        reader, writer = await self._connect(connect_wait_s)
        try:
            ask = prompter is not None and is_available(prompter)
            writer.write(json.dumps({**request, "terminal": ask}).encode() + b"\n")
            await writer.drain()
            return await asyncio.wait_for(self._replies(reader, writer, prompter), timeout_s)
        except TimeoutError as err:
            raise InstanceError("instance.timeout", "the running Heron did not answer",
                                "check it with `heron doctor`, or restart it") from err
        except (ConnectionError, ValueError) as err:
            raise InstanceError("instance.broken", f"lost the running Heron: {err}",
                                "try again; if it persists restart Heron") from err
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _connect(self, wait_s: float):
        deadline = time.monotonic() + wait_s
        while True:
            try:
                return await asyncio.wait_for(
                    asyncio.open_unix_connection(str(self.path), limit=MAX_LINE), 5)
            except (OSError, TimeoutError) as err:
                if time.monotonic() >= deadline:
                    raise InstanceError("instance.not_running", "Heron is not running",
                                        "start it with `heron run` (or `make run`)") from err
            await asyncio.sleep(0.2)

    async def _replies(self, reader, writer, prompter) -> dict[str, Any]:
        pending = asyncio.create_task(_read_json(reader))
        try:
            while True:
                data = await pending
                pending = asyncio.create_task(_read_json(reader))
                if data is None:
                    raise ConnectionError("it closed the connection")
                if data.get("type") != "permission":
                    return data
                # Ask here, unless the question is settled elsewhere (another surface
                # answered, so the final reply arrives) before this terminal answers.
                question = asyncio.create_task(prompter.ask(request_from_dict(
                    data["request"])) if prompter is not None else _deny())
                await asyncio.wait({question, pending}, return_when=asyncio.FIRST_COMPLETED)
                if not question.done():
                    question.cancel()
                    continue
                writer.write(json.dumps({"type": "answer", "answer": str(question.result())})
                             .encode() + b"\n")
                await writer.drain()
        finally:
            pending.cancel()


async def _deny() -> Answer:
    return Answer.DENY


def raise_for_error(reply: dict[str, Any]) -> dict[str, Any]:
    """`reply` if ok, else its error raised here, with the running Heron's exit code."""
    if reply.get("ok"):
        return reply
    err = reply.get("error") or {}
    failure = CodedError(str(err.get("code", "instance.failed")),
                         str(err.get("message", "the running Heron refused")),
                         str(err.get("hint", "")))
    code = err.get("exit_code")
    failure.exit_code = code if isinstance(code, int) and 0 < code < 126 else 1
    raise failure
