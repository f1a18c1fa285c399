"""The instance socket's wire and its limits (used by instance.py): where the socket
lives, how one JSON line is read (bounded in length and nesting), who is at the other
end, and an accept loop that waits out a shortage of file descriptors instead of
spinning on it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.paths import private_runtime_dir
from models.errors import CodedError

log = logging.getLogger(__name__)

UNIX_PATH_MAX = 107
SOCKET_NAME = "heron.sock"
MAX_REQUEST_BYTES = 64 * 1024  # one line from a client: a request or an answer
MAX_REPLY_BYTES = 1 << 20  # one line from the running Heron
MAX_DEPTH = 16  # nesting in a client's line: requests and answers are flat
MAX_REPLY_DEPTH = 64  # a reply carries tool calls with their (nested) arguments
MAX_CONNECTIONS = 32
READ_TIMEOUT_S = 10.0  # a client must send its request line within this
SEND_TIMEOUT_S = 30.0  # a client that reads nothing does not hold a connection forever
ACCEPT_PAUSE_S = (0.05, 2.0)  # first and longest pause while descriptors run out
BACKLOG = 64


class InstanceError(CodedError):
    exit_code = 7


class BadLine(ValueError):
    """A line that is not one JSON object we are willing to read."""


def socket_path(data_dir: Path) -> Path:
    """Where the running Heron listens: in the data dir, or, when that path is longer
    than a Unix socket path may be, in a private (0700) runtime dir of this user's
    (UnsafeDirError when someone else got there first)."""
    path = data_dir / SOCKET_NAME
    if len(os.fsencode(path)) <= UNIX_PATH_MAX:
        return path
    tag = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:12]  # one per data dir
    room = UNIX_PATH_MAX - len(SOCKET_NAME) - 1
    return private_runtime_dir(tag, max_len=room) / SOCKET_NAME


def error(code: str, message: str, hint: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=str).encode() + b"\n"


async def read_json(reader: asyncio.StreamReader,
                    max_depth: int = MAX_DEPTH) -> dict[str, Any] | None:
    """The next line as a JSON object; None at the end of the stream; BadLine when it
    is too long (the reader's limit), not JSON, not an object, or nested deeper than
    `max_depth`."""
    try:
        line = await reader.readline()
    except ValueError as err:  # the stream's limit: the line was cut
        raise BadLine("the line is too long") from err
    if not line:
        return None
    try:
        data = json.loads(line)
    except RecursionError as err:  # the C parser recurses once per level
        raise BadLine(f"it is nested deeper than {max_depth} levels") from err
    except ValueError as err:  # not JSON, not UTF-8, a number too long to convert
        raise BadLine(f"not JSON ({err})") from err
    if not isinstance(data, dict):
        raise BadLine("a request is a JSON object")
    if _depth(data, max_depth) > max_depth:
        raise BadLine(f"it is nested deeper than {max_depth} levels")
    return data


def _depth(value: Any, enough: int) -> int:
    """How deep lists and objects nest in `value`, counted up to `enough` + 1 (without
    recursing ourselves)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > enough:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def foreign_uid(sock: Any) -> int | None:
    """The peer's uid when it is not ours (None: ours, or the system cannot tell)."""
    uid = peer_uid(sock)
    return uid if uid is not None and uid != os.getuid() else None


def peer_uid(sock: Any) -> int | None:
    """The uid of the process at the other end of a Unix socket (None where the
    system cannot tell)."""
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def listen(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, 0600 from the start."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
        sock.listen(BACKLOG)
    except OSError as err:
        sock.close()
        raise InstanceError("instance.listen_failed", f"cannot listen on {path}: "
                            f"{err.strerror or err}", "see `heron doctor`; if another "
                            "program holds that path, remove it") from err
    finally:
        os.umask(old)
    sock.setblocking(False)
    return sock


async def accept_forever(listener: socket.socket, take: Callable[[socket.socket], None],
                         shed: Callable[[socket.socket], None]) -> None:
    """Hand every new connection to `take`, until cancelled.

    Out of descriptors, accept() fails at once whether or not a client waits, so
    retrying would spin (and log) at full speed. Instead: wait until a client is
    waiting, then let go of a spare descriptor kept for the purpose, take the client
    and `shed` it (told "busy" and closed): it hears why instead of hanging in the
    backlog. Other failures pause, longer each time."""
    loop = asyncio.get_running_loop()
    spare = _spare_fd()
    pause = 0.0
    try:
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except (ConnectionAbortedError, InterruptedError):
                continue  # that client gave up before we took it; the next may not
            except OSError as err:
                if err.errno == errno.EBADF:  # the listener was closed under us
                    return
                if err.errno == errno.EMFILE and spare is None:
                    spare = _spare_fd()  # lost last time; there may be room again
                if err.errno == errno.EMFILE and spare is not None:
                    log.warning("instance socket: out of file descriptors; refusing new "
                                "connections until some close")
                    await _readable(loop, listener)
                    spare = _take_or_shed(listener, spare, take, shed)
                    if spare is not None:
                        continue
                log.warning("instance socket: cannot accept a connection (%s); pausing",
                            err.strerror or err)
                pause = min(max(pause * 2, ACCEPT_PAUSE_S[0]), ACCEPT_PAUSE_S[1])
                await asyncio.sleep(pause)
                continue
            pause = 0.0
            take(conn)
    finally:
        if spare is not None:
            os.close(spare)


async def _readable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Until a connection waits in `sock`'s backlog."""
    ready = loop.create_future()
    loop.add_reader(sock.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


def _take_or_shed(listener: socket.socket, spare: int, take: Callable[[socket.socket], None],
                  shed: Callable[[socket.socket], None]) -> int | None:
    """Take the waiting client if there is room again, else shed it using the spare
    descriptor; the spare to keep (None when it could not be had back)."""
    try:
        conn, _ = listener.accept()
    except OSError as err:
        if err.errno != errno.EMFILE:
            return spare  # the client left already
        os.close(spare)
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            shed(conn)
        return _spare_fd()
    take(conn)
    return spare


def _spare_fd() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def refuse(conn: socket.socket, reply: dict[str, Any]) -> None:
    """Say why in one line and hang up, without waiting for the client."""
    with contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(encode(reply))
    with contextlib.suppress(OSError):
        # Take what it already sent: closing with unread data would reset the
        # connection, and the client might not get to read the reason.
        conn.recv(MAX_REQUEST_BYTES)
    conn.close()
