"""Commands over the instance socket take arguments of the right JSON type only:
`"muted": "no"` is an error naming the field, not a mute."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.agent.agent import AgentReply
from assistant.commands import service_commands
from assistant.desktop.instance import InstanceClient, InstanceServer


class Service:
    """The parts of HeronService the commands touch; it records what they did."""

    def __init__(self) -> None:
        self.state = "idle"
        self.done: list[tuple] = []
        self.core = SimpleNamespace(prompter=None, agent=SimpleNamespace(handle=self.handle))

    async def set_muted(self, muted: bool) -> None:
        self.done.append(("set_muted", muted))

    def toggle_listening(self) -> str:
        self.done.append(("toggle",))
        return "listening"

    async def handle(self, text: str, source: str, language: str | None = None):
        self.done.append(("ask", text, source) + ((language,) if language else ()))
        return AgentReply("fine", understanding={"stage": "router"})


def call(tmp_path: Path, service: Service, request: dict) -> dict:
    async def main():
        server = InstanceServer(tmp_path / "heron.sock", service_commands(service))
        await server.start()
        try:
            return await InstanceClient(server.path).call(request, timeout_s=10)
        finally:
            await server.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize(("request_", "field"), [
    ({"cmd": "mute", "muted": "no"}, "muted"),
    ({"cmd": "mute", "muted": 0}, "muted"),
    ({"cmd": "mute", "muted": None}, "muted"),
    ({"cmd": "ask", "text": ["what", "time"]}, "text"),
    ({"cmd": "ask", "text": 42}, "text"),
    ({"cmd": "enrol", "name": "hey_heron", "samples": "3"}, "samples"),
    ({"cmd": "enrol", "name": "hey_heron", "samples": True}, "samples"),
    ({"cmd": "enrol", "name": "hey_heron", "samples": 3.0}, "samples"),
    ({"cmd": "enrol", "name": "hey_heron", "force": "no"}, "force"),
    ({"cmd": "enrol", "name": {"x": 1}}, "name"),
    ({"cmd": "enrol"}, "name"),
])
def test_a_wrong_type_is_an_error_naming_the_field(tmp_path, request_, field):
    service = Service()
    reply = call(tmp_path, service, request_)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "instance.bad_request"
    assert f"'{field}'" in reply["error"]["message"]
    assert service.done == []  # nothing was muted, asked or enrolled


def test_muted_no_does_not_mute_and_booleans_do(tmp_path):
    service = Service()
    refused = call(tmp_path, service, {"cmd": "mute", "muted": "no"})
    muted = call(tmp_path, service, {"cmd": "mute", "muted": True})
    unmuted = call(tmp_path, service, {"cmd": "mute", "muted": False})
    plain = call(tmp_path, service, {"cmd": "mute"})  # muting is what "mute" means
    assert refused["ok"] is False and "true or false" in refused["error"]["message"]
    assert (muted, unmuted, plain) == ({"ok": True, "muted": True},
                                       {"ok": True, "muted": False},
                                       {"ok": True, "muted": True})
    assert service.done == [("set_muted", True), ("set_muted", False), ("set_muted", True)]


def test_well_typed_commands_still_work(tmp_path):
    service = Service()
    asked = call(tmp_path, service, {"cmd": "ask", "text": "  what time is it "})
    toggled = call(tmp_path, service, {"cmd": "toggle"})
    pinged = call(tmp_path, service, {"cmd": "ping"})
    assert asked["response"] == "fine" and toggled["did"] == "listening"
    assert pinged["state"] == "idle"
    assert service.done == [("ask", "what time is it", "cli"), ("toggle",)]
    assert asked["understanding"] == {"stage": "router"}


def test_ask_carries_its_language_and_refuses_a_bad_one(tmp_path):
    service = Service()
    asked = call(tmp_path, service, {"cmd": "ask", "text": "wie spät ist es", "language": "de"})
    assert asked["ok"] is True
    bad = call(tmp_path, service, {"cmd": "ask", "text": "hi", "language": "../etc"})
    assert bad["ok"] is False and bad["error"]["code"] == "instance.bad_request"
    assert "not a language code" in bad["error"]["message"]
    assert service.done == [("ask", "wie spät ist es", "cli", "de")]


def test_the_terminal_flag_is_a_boolean_too(tmp_path):
    async def main():
        server = InstanceServer(tmp_path / "heron.sock", service_commands(Service()))
        await server.start()
        try:  # by hand: InstanceClient always sends a proper flag
            reader, writer = await asyncio.open_unix_connection(str(server.path))
            writer.write(b'{"cmd": "ping", "terminal": "yes"}\n')
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 10)
            writer.close()
            return json.loads(line)["error"]
        finally:
            await server.aclose()

    error = asyncio.run(main())
    assert error["code"] == "instance.bad_request" and "'terminal'" in error["message"]
