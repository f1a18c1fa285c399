"""Media players that misbehave after a command, on a real private D-Bus session bus:
one that quits right after taking it, one that hangs, and a bus that stops answering.
Each is a coded media.* error with a next step, never "Sorry, that didn't work".

The player here speaks real MPRIS over the real bus (jeepney, its own thread); it is
scripted because mpv cannot be made to quit or hang at an exact point of a call."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import pytest
from helpers import private_session_bus
from jeepney import HeaderFields, MessageType, message_bus, new_method_return
from jeepney.io.blocking import Proxy, open_dbus_connection

from assistant.audit import AuditLog
from assistant.builtins.media import MediaOptions, media_tools
from assistant.builtins.mpris import PLAYER_IFACE, MprisClient
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolError, ToolRegistry

NAME = "org.mpris.MediaPlayer2.scripted"


class ScriptedPlayer:
    """Answers GetAll (playing "Alpha Song") until it takes `after` ("Pause" …), then
    `then`: "quit" closes its connection (its name leaves the bus), "hang" goes quiet."""

    def __init__(self, address: str, after: str, then: str) -> None:
        self.after, self.then = after, then
        self.took: list[str] = []
        self._stop = threading.Event()
        self._conn = open_dbus_connection(address)
        Proxy(message_bus, self._conn, timeout=5).RequestName(NAME, 4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            except (OSError, ValueError):  # closed
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if self.took and self.then == "hang":
                continue
            if member == "GetAll":
                self._conn.send(new_method_return(msg, "a{sv}", (self._props(msg.body[0]),)))
                continue
            self._conn.send(new_method_return(msg))
            self.took.append(member)
            if member == self.after and self.then == "quit":
                self._conn.close()
                return

    @staticmethod
    def _props(iface: str) -> dict:
        if iface == PLAYER_IFACE:
            return {"PlaybackStatus": ("s", "Playing"), "CanPause": ("b", True),
                    "Metadata": ("a{sv}", {"xesam:title": ("s", "Alpha Song")})}
        return {"Identity": ("s", "Scripted Player")}

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


@pytest.fixture
def bus(tmp_path):
    with private_session_bus(tmp_path) as address:
        yield address


@pytest.fixture
def registry(tmp_path, bus):
    storage = Storage(tmp_path / "heron.db")
    client = MprisClient(env={"DBUS_SESSION_BUS_ADDRESS": bus}, timeout_s=0.5)
    reg = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32),
                       backends=DesktopBackends(media=client))
    for tool in media_tools(MediaOptions(music_dir=str(tmp_path))):
        reg.register(tool)
    yield reg
    storage.close()


def call(registry, tool):
    return asyncio.run(registry.call(ToolCall(tool, {}, source="voice")))


@pytest.mark.parametrize(("tool", "method"), [("media_pause", "Pause"),
                                              ("media_next", "Next")])
def test_a_player_that_quits_after_a_command_is_said_plainly(registry, bus, tool, method):
    player = ScriptedPlayer(bus, after=method, then="quit")
    try:
        out = call(registry, tool)
    finally:
        player.stop()
    assert player.took == [method]
    assert (out.status, out.code) == ("error", "media.player_gone"), out
    assert out.error == ("Scripted Player closed before I could see what it did. Start it "
                         "again and ask again.")


def test_a_player_that_hangs_after_a_command_is_said_plainly(registry, bus):
    player = ScriptedPlayer(bus, after="Pause", then="hang")
    try:
        out = call(registry, "media_pause")
    finally:
        player.stop()
    assert player.took == ["Pause"]
    assert (out.status, out.code) == ("error", "media.timeout"), out
    assert out.error == ("Scripted Player stopped answering. Check that it is not frozen "
                         "and ask again.")


def _daemon_pid(tmp_path: Path) -> int:
    """The dbus-daemon the `bus` fixture started: the one reading this test's config."""
    config = str(tmp_path / "session.conf").encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and config in (entry / "cmdline").read_bytes():
                return int(entry.name)
        except OSError:
            continue
    raise AssertionError("the test's dbus-daemon is not running")


def test_a_bus_that_stops_answering_is_a_coded_error(tmp_path, bus):
    client = MprisClient(env={"DBUS_SESSION_BUS_ADDRESS": bus}, timeout_s=0.5)
    pid = _daemon_pid(tmp_path)
    with client.session() as session:
        os.kill(pid, signal.SIGSTOP)
        try:
            with pytest.raises(ToolError) as caught:
                session.choose()
        finally:
            os.kill(pid, signal.SIGCONT)
    assert caught.value.code == "media.bus_timeout"
    assert caught.value.message.endswith("Wait a moment and ask again.")
