"""The instance socket under abuse by the same user's programs: idle connections by the
hundred, silent or trickling clients, bombs in one line. Heron stays responsive, its
log stays small, it does not spin, and a legitimate `heron` still gets through."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from assistant.desktop.instance import (
    InstanceClient,
    InstanceServer,
    raise_for_error,
    socket_path,
)
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import CallbackPrompter
from models.errors import CodedError

ROOT = Path(__file__).resolve().parents[2]

# A Heron instance server alone, in its own process, with few file descriptors: idle
# connections push it into EMFILE long before its connection cap.
SERVER = """
import asyncio, logging, resource, sys
from pathlib import Path
from assistant.desktop.instance import InstanceServer
from assistant.logging_limits import limit_repeats

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
limit_repeats()  # as `heron`'s main() does
resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))

async def echo(req, _conn):
    return {"echo": req.get("text")}

async def main():
    server = InstanceServer(Path(sys.argv[1]), {"echo": echo})
    await server.start()
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_idle(path: Path, count: int) -> list[socket.socket]:
    """`count` connections that never send anything (those the backlog refuses at
    once are dropped: the attacker simply has fewer)."""
    held = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(str(path))
        except (BlockingIOError, ConnectionRefusedError):
            s.close()
            continue
        held.append(s)
    return held


def echo_until_served(path: Path, deadline_s: float) -> dict | None:
    """What a user retrying `heron ask` sees: the first real answer, or None."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            return raise_for_error(asyncio.run(InstanceClient(path).call(
                {"cmd": "echo", "text": "me"}, timeout_s=3)))
        except CodedError:  # busy (or timed out): a user would try again
            time.sleep(0.5)
    return None


def test_hundreds_of_idle_connections_do_not_take_heron_down(tmp_path):
    path = tmp_path / "heron.sock"
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(path)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=err)
    try:
        assert server.stdout.readline() == b"ready\n"
        held = open_idle(path, 200)
        assert len(held) > 24  # more than the server has descriptors for
        before = cpu_seconds(server.pid)
        time.sleep(3)
        spent = cpu_seconds(server.pid) - before
        reply = echo_until_served(path, 40)
        for s in held:
            s.close()
        assert reply == {"ok": True, "echo": "me"}  # a real user gets through
        assert spent < 0.5  # no busy loop on accept errors (a spin burns ~3 s here)
        assert server.poll() is None  # and it is still up
    finally:
        server.kill()
        server.wait()
    text = log.read_text(errors="replace")
    assert len(text) < 4000, text[:2000]
    assert "Traceback" not in text


def serve(tmp_path: Path, handlers, **options) -> InstanceServer:
    return InstanceServer(socket_path(tmp_path), handlers, **options)


async def echo(req, _conn):
    return {"echo": req.get("text")}


async def raw_exchange(path: Path, data: bytes | None, wait_s: float = 10) -> list[bytes]:
    """Send `data` (None: nothing at all) and collect what comes back until the server
    hangs up (a hang is the failure, hence the generous bound). The server may hang up
    before taking all of a long line: what it said before that still counts."""
    loop = asyncio.get_running_loop()
    got = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.setblocking(False)
        await loop.sock_connect(s, str(path))
        if data is not None:
            try:
                await loop.sock_sendall(s, data)
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            while chunk := await asyncio.wait_for(loop.sock_recv(s, 65536), wait_s):
                got += chunk
        except ConnectionResetError:
            pass
    return got.splitlines()


def error_code(line: bytes) -> str:
    return json.loads(line)["error"]["code"]


def test_connections_past_the_cap_are_refused_at_once(tmp_path):
    async def main():
        server = serve(tmp_path, {"echo": echo}, max_connections=4)
        await server.start()
        try:
            idle = [await asyncio.open_unix_connection(str(server.path)) for _ in range(4)]
            await asyncio.sleep(0.3)  # all four accepted
            refused = await raw_exchange(server.path, None, wait_s=5)
            for _reader, writer in idle:
                writer.close()
            await asyncio.sleep(0.3)
            served = await InstanceClient(server.path).call({"cmd": "echo", "text": "ok"})
            return refused, served
        finally:
            await server.aclose()

    refused, served = asyncio.run(main())
    assert len(refused) == 1 and error_code(refused[0]) == "instance.busy"
    assert "4" in json.loads(refused[0])["error"]["message"]
    assert served["echo"] == "ok"


def test_a_silent_or_trickling_client_is_dropped(tmp_path):
    async def trickle(path: Path) -> list[bytes]:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.setblocking(False)
            await loop.sock_connect(s, str(path))
            for byte in b'{"cmd": "echo", "text": "never ends':
                try:
                    await loop.sock_sendall(s, bytes([byte]))
                except BrokenPipeError:  # dropped already
                    break
                await asyncio.sleep(0.05)  # ~1.6 s in all, one line never completed
            got = b""
            while chunk := await asyncio.wait_for(loop.sock_recv(s, 4096), 10):
                got += chunk
            return got.splitlines()

    async def main():
        server = serve(tmp_path, {"echo": echo}, read_timeout_s=0.5)
        await server.start()
        try:
            silent = await raw_exchange(server.path, None)
            trickled = await trickle(server.path)
            fine = await InstanceClient(server.path).call({"cmd": "echo", "text": "ok"})
            return silent, trickled, fine
        finally:
            await server.aclose()

    silent, trickled, fine = asyncio.run(main())
    assert [error_code(line) for line in silent] == ["instance.idle"]
    assert [error_code(line) for line in trickled] == ["instance.idle"]
    assert fine["echo"] == "ok"


def test_a_long_approval_is_not_a_silent_client(tmp_path):
    request = PermissionRequest(
        tool="set_timer", title="Set a timer", args={}, action="set a timer",
        summary="set_timer()", reason="test", offered=(Answer.ONCE, Answer.DENY),
        origins=frozenset(), source="cli", call_id="c1")

    async def needs_approval(_req, conn):
        return {"answer": str(await conn.ask(request))}

    async def slow_user(_request):
        await asyncio.sleep(1.5)  # three times the server's read timeout
        return Answer.ONCE

    async def main():
        server = serve(tmp_path, {"do": needs_approval}, read_timeout_s=0.5)
        await server.start()
        try:
            return await InstanceClient(server.path).call(
                {"cmd": "do"}, prompter=CallbackPrompter(slow_user), timeout_s=20)
        finally:
            await server.aclose()

    assert asyncio.run(main()) == {"ok": True, "answer": "once"}


def test_json_bombs_get_an_error_and_heron_goes_on(tmp_path):
    bombs = [
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # the reported one (also over the cap)
        b"[" * 30_000 + b"]" * 30_000 + b"\n",  # deep, under the line cap
        b'{"cmd": "echo", "text": ' + b"[" * 50 + b"]" * 50 + b"}\n",  # deep enough to hurt
        b'{"cmd": "echo", "text": "' + b"x" * 200_000 + b'"}\n',  # a very long line
        b'{"cmd": "echo", "text": 1' + b"0" * 50_000 + b"}\n",  # a huge number
        b'{"cmd": "echo", "text": "\xff\xfe"}\n',  # not UTF-8
    ]

    async def main():
        server = serve(tmp_path, {"echo": echo})
        await server.start()
        try:
            replies = [await raw_exchange(server.path, bomb) for bomb in bombs]
            still = await InstanceClient(server.path).call({"cmd": "echo", "text": "ok"})
            return replies, still
        finally:
            await server.aclose()

    replies, still = asyncio.run(main())
    for reply in replies:
        assert [error_code(line) for line in reply] == ["instance.bad_request"]
    assert still == {"ok": True, "echo": "ok"}
