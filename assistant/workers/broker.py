"""JSON-RPC 2.0 between the host (parent) and a sandboxed worker (child), both directions,
one JSON object per line over the child's stdin/stdout.

Parent -> child:  `run` {args} -> {value, cpu_s}; `shutdown` (notification).
Child -> parent:  `ready` (notification, {applied: the sandbox report}) once at start,
                  and the capability calls below, while a `run` is in flight.

Capability calls: the parent performs each one only through the call's
`ctx.caps` (assistant.tools.capabilities.Capabilities), which checks it against the
granted scopes and writes it to the audit log; the child never holds a file, socket or
desktop handle itself. Paths are opened first, without the kernel following any symlink,
and checked after (assistant/permissions/grants.py): a worker that swaps a file of its
own for a symlink mid-call cannot lead the host's open out of the grant.

| method                 | params              | parent does                          |
| ---------------------- | ------------------- | ------------------------------------ |
| fs.read_text           | path, max_bytes?    | caps.use_path(path, "read"): open,   |
|                        |                     | check the real path, read            |
| fs.write_text          | path, text          | caps.use_path(path, "write"): create |
|                        |                     | beneath the checked folder, write    |
| fs.list_dir            | path                | caps.use_path(path, "read"), list fd |
| net.check_host         | host                | caps.check_host(host)                |
| net.http_get           | url, max_bytes?     | caps.check_host(host), GET (no       |
|                        |                     | redirects followed: 3xx is returned) |
| shell.run              | argv, timeout_s?    | caps.run_command(argv) (outside the  |
|                        |                     | sandbox: only with the shell scope)  |
| notify                 | title, body         | caps.backend("notify")               |
| clipboard.read         |                     | caps.backend("clipboard.read")       |
| clipboard.write        | text                | caps.backend("clipboard.write")      |

A refused call comes back as an error whose `data.code` is the CodedError code
(capability.denied, capability.unavailable, worker.bad_request, …); in the worker it is
raised as `CapabilityError(code, message)`.
"""

from __future__ import annotations

import asyncio
import http.client
import inspect
import json
import os
import stat
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import SplitResult, urlsplit

from assistant.permissions.safe_open import read_at_most, write_all

if TYPE_CHECKING:  # the worker's side imports this module too: it needs none of that
    from assistant.tools.capabilities import Capabilities

VERSION = "2.0"
MAX_MESSAGE_BYTES = 16 << 20
# JSON-RPC error codes: the standard ones, then ours (-32000…-32099: server errors)
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
APP_ERROR = -32000


class ProtocolError(Exception):
    """The peer sent something that is not a JSON-RPC 2.0 message."""


class CapabilityError(Exception):
    """In the worker: the host refused a capability call (code is e.g. capability.denied)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message


def request(msg_id: int | str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "id": msg_id, "method": method, "params": params}


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "method": method, "params": params}


def result(msg_id: int | str | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "id": msg_id, "result": value}


def error(msg_id: int | str | None, code: str, message: str,
          rpc_code: int = APP_ERROR) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "id": msg_id,
            "error": {"code": rpc_code, "message": message, "data": {"code": code}}}


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """One message from one line; ProtocolError for anything else."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(line)} bytes is over the limit")
    try:
        msg = json.loads(line)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"not JSON: {err}") from err
    if not isinstance(msg, dict) or msg.get("jsonrpc") != VERSION:
        raise ProtocolError("not a JSON-RPC 2.0 message")
    if "method" in msg:
        if not isinstance(msg["method"], str) or not isinstance(msg.get("params", {}), dict):
            raise ProtocolError("a request needs a string method and object params")
    elif "id" not in msg or ("result" in msg) == ("error" in msg):
        raise ProtocolError("a response needs an id and exactly one of result/error")
    return msg


def error_code(msg: dict[str, Any]) -> tuple[str, str]:
    """(our dotted code, message) of an error response."""
    err = msg.get("error") or {}
    data = err.get("data") if isinstance(err.get("data"), dict) else {}
    return str(data.get("code", "worker.protocol")), str(err.get("message", ""))


class SyncChannel:
    """The child's end: blocking reads and writes on private copies of stdin/stdout."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self._reader = reader
        self._writer = writer
        self._next_id = 0

    def send(self, msg: dict[str, Any]) -> None:
        self._writer.write(encode(msg))
        self._writer.flush()

    def receive(self) -> dict[str, Any] | None:
        """The next message, or None when the parent closed the pipe."""
        line = self._reader.readline(MAX_MESSAGE_BYTES + 1)
        return decode(line) if line else None

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """A capability call: the parent answers it before anything else (one `run` at a
        time, and the parent sends nothing else while a run is in flight)."""
        self._next_id += 1
        msg_id = f"c{self._next_id}"
        self.send(request(msg_id, method, params))
        reply = self.receive()
        if reply is None:
            raise SystemExit(0)  # the host went away: nothing left to do
        if reply.get("id") != msg_id:
            raise ProtocolError(f"expected the answer to {msg_id}, got {reply!r:.200}")
        if "error" in reply:
            raise CapabilityError(*error_code(reply))
        return reply["result"]


class CapsProxy:
    """What a worker's `run(args, caps)` gets: every method is a request to the host."""

    def __init__(self, channel: SyncChannel) -> None:
        self._channel = channel

    def read_text(self, path: str, max_bytes: int = 1 << 20) -> str:
        return self._channel.call("fs.read_text", {"path": str(path), "max_bytes": max_bytes})

    def write_text(self, path: str, text: str) -> int:
        return self._channel.call("fs.write_text", {"path": str(path), "text": text})["bytes"]

    def list_dir(self, path: str) -> list[str]:
        return self._channel.call("fs.list_dir", {"path": str(path)})

    def check_host(self, host: str) -> str:
        return self._channel.call("net.check_host", {"host": host})

    def http_get(self, url: str, max_bytes: int = 1 << 20) -> dict[str, Any]:
        """{status, headers, text} of a GET the host makes for the worker."""
        return self._channel.call("net.http_get", {"url": url, "max_bytes": max_bytes})

    def run(self, argv: list[str], timeout_s: float = 30.0) -> dict[str, Any]:
        """{returncode, stdout, stderr} of a program the host runs (needs `shell`)."""
        return self._channel.call("shell.run", {"argv": list(argv), "timeout_s": timeout_s})

    def notify(self, title: str, body: str = "") -> None:
        self._channel.call("notify", {"title": title, "body": body})

    def clipboard_read(self) -> str:
        return self._channel.call("clipboard.read", {})

    def clipboard_write(self, text: str) -> None:
        self._channel.call("clipboard.write", {"text": text})


# -- the parent's side of the capability calls ----------------------------------------------
async def perform(caps: Capabilities, method: str, params: dict[str, Any]) -> Any:
    """Do one capability call for the worker, only through `caps` (a Capabilities for the
    call: it checks the scope and audits the use). Raises CodedError (capability.denied,
    …), KeyError/TypeError/ValueError for bad params, OSError for I/O failures."""
    if method == "fs.read_text":
        limit = min(int(params.get("max_bytes", 1 << 20)), MAX_MESSAGE_BYTES // 2)
        _, text = await caps.use_path(str(params["path"]), "read", os.O_RDONLY | os.O_NONBLOCK,
                                      lambda fd, real: _read_text(fd, real, limit))
        return text
    if method == "fs.write_text":
        data = str(params["text"]).encode()
        # O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging
        await caps.use_path(str(params["path"]), "write",
                            os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK,
                            lambda fd, real: _write_all(fd, real, data), mode=0o644)
        return {"bytes": len(data)}
    if method == "fs.list_dir":
        _, names = await caps.use_path(str(params["path"]), "read",
                                       os.O_RDONLY | os.O_DIRECTORY,
                                       lambda fd, _real: os.listdir(fd))
        return sorted(names)
    if method == "net.check_host":
        return caps.check_host(str(params["host"]))
    if method == "net.http_get":
        url = urlsplit(str(params["url"]))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"only http(s) URLs with a host can be fetched, not {url.geturl()!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        caps.check_host(f"{url.hostname}:{port}")
        limit = min(int(params.get("max_bytes", 1 << 20)), MAX_MESSAGE_BYTES // 2)
        return await asyncio.to_thread(_http_get, url, limit)
    if method == "shell.run":
        argv = params.get("argv")
        if not isinstance(argv, list):
            raise ValueError("shell.run needs argv: a list of strings")
        return await asyncio.to_thread(caps.run_command, argv,
                                       float(params.get("timeout_s", 30.0)))
    if method == "notify":
        return await _invoke(caps.backend("notify"), "notify", str(params["title"]),
                             str(params.get("body", "")))
    # the check and its audit row on the loop; the clipboard program in a worker thread
    if method == "clipboard.read":
        return await asyncio.to_thread(caps.backend("clipboard.read").read)
    if method == "clipboard.write":
        return await asyncio.to_thread(caps.backend("clipboard.write").write,
                                       str(params["text"]))
    raise LookupError(method)


def _read_text(fd: int, real: str, limit: int) -> str:
    """A regular file only: a FIFO or device under a granted glob would block."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise ValueError(f"{real} is not a regular file")
    return read_at_most(fd, limit).decode("utf-8", errors="replace")


def _write_all(fd: int, real: str, data: bytes) -> None:
    """Into a regular file only, truncated after that check (not on open)."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise ValueError(f"{real} is not a regular file")
    os.ftruncate(fd, 0)
    write_all(fd, data)


def _http_get(url: SplitResult, limit: int) -> dict[str, Any]:
    """One GET; redirects are returned, not followed (the worker asks again, and the
    new host is checked again)."""
    cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = cls(url.hostname, url.port, timeout=10)
    try:
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        conn.request("GET", target, headers={"User-Agent": "heron-worker"})
        resp = conn.getresponse()
        body = resp.read(limit)
        return {"status": resp.status, "headers": dict(resp.getheaders()),
                "text": body.decode("utf-8", errors="replace")}
    finally:
        conn.close()


async def _invoke(backend: Any, name: str, *args: Any) -> Any:
    """A desktop backend is a callable or an object with the named method."""
    fn = backend if callable(backend) else getattr(backend, name)
    value = fn(*args)
    return await value if inspect.isawaitable(value) else value
