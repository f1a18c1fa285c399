"""One Heron per user: the running one holds a lock and listens on a local socket;
a second `heron` hands its command over instead of starting another assistant.

The socket is a Unix socket in the private data dir (0700; the socket itself 0600), or
in a private runtime dir when that path is too long (instance_wire.socket_path). Both
ends check the other's uid (SO_PEERCRED): the server serves only its own user, and the
client talks only to a server of its own user. The protocol is JSON lines:
the client sends one request `{"cmd": NAME, ...}`; the server answers with one line
`{"ok": true, ...}` or `{"ok": false, "error": {code, message, hint}}`. While a command
runs, the server may send `{"type": "permission", "request": {...}}` lines: the client
answers each with `{"type": "answer", "answer": "once" | "deny" | …}` (its terminal
is then one more approval surface, as with a local `heron ask`).

Limits, because any program of the user's can connect: at most MAX_CONNECTIONS at a
time (more are told "busy" and closed), a request line within READ_TIMEOUT_S (the
server's own work, such as waiting for an approval, has no such limit), lines of at
most MAX_REQUEST_BYTES and MAX_DEPTH levels of nesting.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from assistant.desktop.instance_wire import (
    MAX_CONNECTIONS,
    MAX_REPLY_BYTES,
    MAX_REPLY_DEPTH,
    MAX_REQUEST_BYTES,
    READ_TIMEOUT_S,
    SEND_TIMEOUT_S,
    BadLine,
    InstanceError,
    accept_forever,
    encode,
    error,
    foreign_uid,
    listen,
    read_json,
    refuse,
    socket_path,
)
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import is_available
from assistant.permissions.provenance import Origin
from models.errors import CodedError

__all__ = ["Connection", "Handler", "InstanceClient", "InstanceError", "InstanceLock",
           "InstanceServer", "raise_for_error", "request_from_dict", "request_to_dict",
           "socket_path"]

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], "Connection"], Awaitable[dict[str, Any]]]


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
            "source": request.source, "call_id": request.call_id,
            "scopes": list(request.scopes), "new_scopes": list(request.new_scopes)}


def request_from_dict(data: dict[str, Any]) -> PermissionRequest:
    return PermissionRequest(
        tool=str(data["tool"]), title=str(data["title"]), args=dict(data["args"]),
        action=str(data["action"]), summary=str(data["summary"]),
        reason=str(data["reason"]), offered=tuple(Answer(a) for a in data["offered"]),
        origins=frozenset(Origin(o) for o in data.get("origins", ())),
        forced=bool(data.get("forced")), source=str(data.get("source", "cli")),
        call_id=str(data.get("call_id", "")),
        scopes=tuple(str(s) for s in data.get("scopes", ())),
        new_scopes=tuple(str(s) for s in data.get("new_scopes", ())))


class Connection:
    """The server's side of one client: it can put permission questions to it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        # Bounded: a client that floods answers while nothing is asked loses the extras.
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=4)
        self.asks_permission = False  # the client said its terminal can answer

    async def send(self, data: dict[str, Any]) -> None:
        self._writer.write(encode(data))
        try:
            await asyncio.wait_for(self._writer.drain(), SEND_TIMEOUT_S)
        except TimeoutError as err:  # it reads nothing: free its connection
            raise ConnectionError("the client does not read its replies") from err

    async def ask(self, request: PermissionRequest) -> Answer:
        """A PermissionPrompter surface on the client's terminal."""
        if not self.asks_permission:
            return Answer.UNAVAILABLE
        while not self._answers.empty():  # late answers to a question already withdrawn
            self._answers.get_nowait()
        await self.send({"type": "permission", "request": request_to_dict(request)})
        answer = (await self._answers.get()).get("answer")
        try:
            return request.accept(Answer(answer)) if isinstance(answer, str) else Answer.DENY
        except ValueError:
            return Answer.DENY

    def available(self) -> bool:
        return self.asks_permission

    def answered(self, data: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._answers.put_nowait(data)


class InstanceServer:
    """Serves commands to later `heron` invocations; `handlers` by command name."""

    def __init__(self, path: Path, handlers: dict[str, Handler],
                 max_connections: int = MAX_CONNECTIONS,
                 read_timeout_s: float = READ_TIMEOUT_S) -> None:
        self.path = path
        self.handlers = handlers
        self.max_connections = max_connections
        self.read_timeout_s = read_timeout_s
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task | None = None
        self._clients: set[asyncio.Task] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # we hold the lock: any socket file here is stale
        self._listener = listen(self.path)
        self._accepting = asyncio.create_task(
            accept_forever(self._listener, self._take, self._refuse), name="instance-accept")

    async def aclose(self) -> None:
        tasks = [t for t in (self._accepting, *self._clients) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _take(self, sock: socket.socket) -> None:
        if len(self._clients) >= self.max_connections:
            log.warning("instance socket: refused a connection, %d are open already",
                        self.max_connections)
            self._refuse(sock)
            return
        task = asyncio.create_task(self._client(sock), name="instance-client")
        self._clients.add(task)
        task.add_done_callback(self._clients.discard)

    def _refuse(self, sock: socket.socket) -> None:
        refuse(sock, error("instance.busy", f"the running Heron is serving {len(self._clients)}"
                           f" connections (at most {self.max_connections})", "close other "
                           "programs talking to it (scripts, stuck `heron` commands), then "
                           "try again"))

    async def _client(self, sock: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_unix_connection(sock=sock,
                                                                limit=MAX_REQUEST_BYTES)
        except OSError:
            sock.close()
            return
        await self._serve(reader, writer)

    async def _serve(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        conn = Connection(writer)
        work: asyncio.Task | None = None
        try:
            if foreign_uid(writer.get_extra_info("socket")) is not None:  # root, past 0600
                await conn.send(error("instance.forbidden", "another user's program tried "
                                      "to command Heron", "each user runs their own Heron"))
                return
            try:  # only this read is timed: the command itself may wait for approvals
                first = await asyncio.wait_for(read_json(reader), self.read_timeout_s)
            except TimeoutError:
                await conn.send(error("instance.idle", f"no request within "
                                      f"{self.read_timeout_s:g} s", "send one JSON line "
                                      "right after connecting"))
                return
            if first is None:
                return
            work = asyncio.create_task(self._handle(first, conn))
            while not work.done():  # answers to permission questions arrive meanwhile
                line = asyncio.create_task(read_json(reader))
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
        except BadLine as err:
            with contextlib.suppress(ConnectionError):
                await conn.send(error("instance.bad_request", f"bad request: {err}",
                                      f"send one JSON object per line, of at most "
                                      f"{MAX_REQUEST_BYTES} bytes"))
        finally:
            if work is not None and not work.done():  # never left running unowned
                work.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, request: dict[str, Any], conn: Connection) -> dict[str, Any]:
        name = request.get("cmd")
        handler = self.handlers.get(name) if isinstance(name, str) else None
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            return error("instance.unknown_command", f"unknown command {_short(name)}",
                         f"known commands: {known}")
        terminal = request.get("terminal", False)
        if not isinstance(terminal, bool):
            return error("instance.bad_request", "'terminal' must be true or false",
                         'e.g. {"cmd": "ask", "text": "hello", "terminal": false}')
        conn.asks_permission = terminal
        try:
            return {"ok": True, **await handler(request, conn)}
        except CodedError as err:
            return {"ok": False, "error": {**err.to_dict(), "exit_code": err.exit_code}}
        except Exception as err:  # a broken command must not take the server down
            log.exception("instance command %r failed", name)
            return error("internal", f"the running Heron failed: {err}",
                         "see its log; run with -v for details")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
            self._check_server(writer)  # before it learns anything from us
            ask = prompter is not None and is_available(prompter)
            writer.write(encode({**request, "terminal": ask}))
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

    def _check_server(self, writer: asyncio.StreamWriter) -> None:
        """Refuse a server run by another user: whoever could put a socket where ours
        should be (a squatted temp dir) would otherwise see our request and answer it."""
        if (uid := foreign_uid(writer.get_extra_info("socket"))) is not None:
            raise InstanceError(
                "instance.impostor", f"the program listening on {self.path} runs as "
                f"another user (uid {uid}), so it is not your Heron; nothing was sent to it",
                "remove that socket (ask an administrator if you cannot), then start Heron "
                "again")

    async def _connect(self, wait_s: float):
        deadline = time.monotonic() + wait_s
        while True:
            try:
                return await asyncio.wait_for(
                    asyncio.open_unix_connection(str(self.path), limit=MAX_REPLY_BYTES), 5)
            except (OSError, TimeoutError) as err:
                if time.monotonic() >= deadline:
                    raise InstanceError("instance.not_running", "Heron is not running",
                                        "start it with `heron run` (or `make run`)") from err
            await asyncio.sleep(0.2)

    async def _replies(self, reader, writer, prompter) -> dict[str, Any]:
        pending = asyncio.create_task(read_json(reader, MAX_REPLY_DEPTH))
        try:
            while True:
                data = await pending
                pending = asyncio.create_task(read_json(reader, MAX_REPLY_DEPTH))
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
                writer.write(encode({"type": "answer", "answer": str(question.result())}))
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
