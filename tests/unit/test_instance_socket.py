"""The single-instance socket: a later `heron` reaches the running one, its terminal
answers permission questions, and nobody else can talk to it."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest

from assistant.desktop.instance import (
    InstanceClient,
    InstanceLock,
    InstanceServer,
    raise_for_error,
    request_from_dict,
    request_to_dict,
    socket_path,
)
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import CallbackPrompter
from assistant.permissions.provenance import Origin
from models.errors import CodedError

REQUEST = PermissionRequest(
    tool="click_on_screen", title="Click on the screen", args={"target": "Submit"},
    action="click the button 'Submit'", summary='click_on_screen(target="Submit")',
    reason="it acts on your desktop", offered=(Answer.ONCE, Answer.DENY),
    origins=frozenset({Origin.SCREEN}), source="cli", call_id="c1")


def serve(tmp_path: Path, handlers) -> InstanceServer:
    return InstanceServer(socket_path(tmp_path), handlers)


async def echo(req, _conn):
    return {"echo": req.get("text")}


def test_a_command_reaches_the_running_instance(tmp_path):
    async def main():
        server = serve(tmp_path, {"echo": echo})
        await server.start()
        try:
            return await InstanceClient(server.path).call({"cmd": "echo", "text": "hi"})
        finally:
            await server.aclose()

    assert asyncio.run(main()) == {"ok": True, "echo": "hi"}
    assert not socket_path(tmp_path).exists()  # removed on close


def test_the_socket_is_private_to_its_user(tmp_path):
    async def main():
        server = serve(tmp_path, {})
        await server.start()
        try:
            return stat.S_IMODE(os.stat(server.path).st_mode)
        finally:
            await server.aclose()

    assert asyncio.run(main()) & 0o077 == 0


def test_unknown_commands_and_garbage_get_coded_errors(tmp_path):
    async def main():
        server = serve(tmp_path, {"echo": echo})
        await server.start()
        try:
            unknown = await InstanceClient(server.path).call({"cmd": "format_disk"})
            reader, writer = await asyncio.open_unix_connection(str(server.path))
            writer.write(b"this is not json\n")
            await writer.drain()
            garbage = json.loads(await reader.readline())
            writer.close()
            still = await InstanceClient(server.path).call({"cmd": "echo", "text": "ok"})
            return unknown, garbage, still
        finally:
            await server.aclose()

    unknown, garbage, still = asyncio.run(main())
    assert unknown["error"]["code"] == "instance.unknown_command"
    assert "echo" in unknown["error"]["hint"]
    assert garbage["error"]["code"] == "instance.bad_request"
    assert still["echo"] == "ok"  # the server survived both


def test_the_clients_terminal_answers_a_permission_question(tmp_path):
    asked: list[PermissionRequest] = []

    async def needs_approval(_req, conn):
        return {"answer": str(await conn.ask(REQUEST))}

    async def terminal(request):
        asked.append(request)
        return Answer.ONCE

    async def main():
        server = serve(tmp_path, {"do": needs_approval})
        await server.start()
        try:
            return await InstanceClient(server.path).call(
                {"cmd": "do"}, prompter=CallbackPrompter(terminal))
        finally:
            await server.aclose()

    assert asyncio.run(main())["answer"] == "once"
    assert asked == [REQUEST]  # every field made the trip


def test_a_client_without_a_terminal_is_not_asked(tmp_path):
    async def needs_approval(_req, conn):
        return {"answer": str(await conn.ask(REQUEST)), "available": conn.available()}

    async def main():
        server = serve(tmp_path, {"do": needs_approval})
        await server.start()
        try:
            return await InstanceClient(server.path).call({"cmd": "do"})
        finally:
            await server.aclose()

    reply = asyncio.run(main())
    assert reply["answer"] == "unavailable" and reply["available"] is False


def test_a_question_answered_elsewhere_stops_waiting_on_the_terminal(tmp_path):
    """The desktop answered first: the terminal's prompt is withdrawn, the reply arrives."""
    withdrawn = []

    async def answered_elsewhere(_req, conn):
        ask = asyncio.create_task(conn.ask(REQUEST))
        await asyncio.sleep(0.2)
        ask.cancel()  # what FanOutPrompter does when another surface wins
        return {"answer": "once (desktop)"}

    async def slow_terminal(_request):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            withdrawn.append(True)
            raise
        return Answer.DENY

    async def main():
        server = serve(tmp_path, {"do": answered_elsewhere})
        await server.start()
        try:
            return await asyncio.wait_for(InstanceClient(server.path).call(
                {"cmd": "do"}, prompter=CallbackPrompter(slow_terminal)), 10)
        finally:
            await server.aclose()

    assert asyncio.run(main())["answer"] == "once (desktop)"
    assert withdrawn == [True]


def test_a_client_that_leaves_cancels_its_command(tmp_path):
    async def main():
        stopped = asyncio.Event()

        async def forever(_req, _conn):
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                stopped.set()
                raise
            return {}

        server = serve(tmp_path, {"forever": forever})
        await server.start()
        try:
            _reader, writer = await asyncio.open_unix_connection(str(server.path))
            writer.write(b'{"cmd": "forever"}\n')
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            await asyncio.wait_for(stopped.wait(), 5)
            return True
        finally:
            await server.aclose()

    assert asyncio.run(main())


def test_no_running_heron_is_a_coded_error_with_a_next_step(tmp_path):
    with pytest.raises(CodedError) as err:
        asyncio.run(InstanceClient(socket_path(tmp_path)).call({"cmd": "ping"}))
    assert err.value.code == "instance.not_running"
    assert "heron run" in err.value.hint
    assert not InstanceClient(socket_path(tmp_path)).running()


def test_errors_from_the_running_heron_keep_their_exit_code():
    with pytest.raises(CodedError) as err:
        raise_for_error({"ok": False, "error": {"code": "instance.no_mic", "message": "m",
                                                "hint": "h", "exit_code": 6}})
    assert (err.value.code, err.value.exit_code) == ("instance.no_mic", 6)


def test_only_one_process_holds_the_lock_and_a_crash_frees_it(tmp_path):
    first, second = InstanceLock(tmp_path), InstanceLock(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    assert first.path.read_text().strip() == str(os.getpid())
    first.release()  # as the kernel does when the holder dies
    assert second.acquire()
    second.release()


def test_a_long_data_dir_gets_a_short_socket_path(tmp_path):
    deep = tmp_path.joinpath(*["d" * 40] * 4)
    path, other = socket_path(deep), socket_path(tmp_path / "other" / ("d" * 200))
    for made in (path, other):  # its private dir (see test_instance_identity.py)
        made.parent.rmdir()
    assert len(os.fsencode(path)) <= 107
    assert path != other  # one per data dir


def test_permission_requests_survive_the_wire():
    assert request_from_dict(json.loads(json.dumps(request_to_dict(REQUEST)))) == REQUEST
