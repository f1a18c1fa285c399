"""The volume tools against the real (private) PulseAudio server the audio tests start
(tests/conftest.py `pulse`: a null sink heron_out), through the registry. What the
server really did is read back with pactl, not through the code under test."""

from __future__ import annotations

import asyncio
import re

import pytest

from assistant.audit import AuditLog
from assistant.builtins.volume import PulseVolume, volume_tools
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

pytestmark = pytest.mark.audio


def make_registry(tmp_path, server: str):
    storage = Storage(tmp_path / "heron.db")
    reg = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32),
                       backends=DesktopBackends(volume=PulseVolume(server=server)))
    for tool in volume_tools():
        reg.register(tool)
    return reg, storage


@pytest.fixture
def registry(tmp_path, pulse):
    reg, storage = make_registry(tmp_path, f"unix:{pulse.root / 'pulse' / 'native'}")
    yield reg
    storage.close()


def call(registry, tool, **args):
    return asyncio.run(registry.call(ToolCall(tool, args, source="voice")))


def volume(pulse, sink="heron_out") -> int:
    """The sink's volume in percent, as pactl reports it (every channel the same)."""
    levels = {int(p) for p in re.findall(r"(\d+)%", pulse.pactl("get-sink-volume", sink))}
    assert len(levels) == 1, levels
    return levels.pop()


def muted(pulse, sink="heron_out") -> bool:
    return pulse.pactl("get-sink-mute", sink).split(":")[1].strip() == "yes"


def test_set_volume_changes_the_default_output(registry, pulse):
    pulse.pactl("set-sink-volume", "heron_out", "80%")
    out = call(registry, "set_volume", percent=40)
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Volume set to 40 percent."
    assert volume(pulse) == 40
    assert out.result["previous_percent"] == 80 and out.result["percent"] == 40


def test_change_volume_goes_up_and_down_within_bounds(registry, pulse):
    pulse.pactl("set-sink-volume", "heron_out", "50%")
    out = call(registry, "change_volume", percent=-15)
    assert out.result["speech"] == "Volume down to 35 percent."
    assert volume(pulse) == 35

    out = call(registry, "change_volume", percent=90)
    assert out.result["speech"] == "Volume up to 100 percent."  # never past 100
    assert volume(pulse) == 100
    out = call(registry, "change_volume", percent=10)
    assert out.result["speech"] == "The volume is at its highest, at 100 percent."
    assert volume(pulse) == 100

    call(registry, "set_volume", percent=5)
    out = call(registry, "change_volume", percent=-20)
    assert volume(pulse) == 0 and out.result["speech"] == "Volume down to 0 percent."


def test_mute_and_unmute(registry, pulse):
    pulse.pactl("set-sink-volume", "heron_out", "60%")
    out = call(registry, "mute_audio")
    assert (out.status, out.result["speech"]) == ("ok", "Muted.")
    assert muted(pulse)
    assert call(registry, "mute_audio").result["speech"] == "The sound was already muted."

    # lowering the volume leaves it muted, and says so
    out = call(registry, "change_volume", percent=-10)
    assert muted(pulse) and volume(pulse) == 50
    assert out.result["speech"] == "Volume down to 50 percent. The sound is still muted."

    out = call(registry, "unmute_audio")
    assert out.result["speech"] == "Sound back on, at 50 percent."
    assert not muted(pulse) and volume(pulse) == 50


def test_setting_or_raising_the_volume_unmutes(registry, pulse):
    for tool, args in (("set_volume", {"percent": 30}), ("change_volume", {"percent": 10})):
        pulse.pactl("set-sink-mute", "heron_out", "1")
        out = call(registry, tool, **args)
        assert out.status == "ok", (out.code, out.error)
        assert not muted(pulse), tool
        assert "muted" not in out.result["speech"]


def test_the_default_output_is_the_one_changed(registry, pulse):
    pulse.load_module("module-null-sink", "sink_name=heron_usb")
    pulse.pactl("set-default-sink", "heron_usb")
    pulse.pactl("set-sink-volume", "heron_out", "70%")
    pulse.pactl("set-sink-volume", "heron_usb", "70%")
    call(registry, "set_volume", percent=25)
    call(registry, "mute_audio")
    assert (volume(pulse, "heron_usb"), muted(pulse, "heron_usb")) == (25, True)
    assert (volume(pulse), muted(pulse)) == (70, False)


def test_out_of_range_arguments_are_refused_before_anything_changes(registry, pulse):
    pulse.pactl("set-sink-volume", "heron_out", "45%")
    for tool, percent in (("set_volume", 150), ("set_volume", -5), ("change_volume", 0),
                          ("change_volume", 101)):
        out = call(registry, tool, percent=percent)
        assert out.status == "invalid", (tool, percent)
    assert volume(pulse) == 45


def test_no_sound_server_is_a_coded_error(tmp_path):
    reg, storage = make_registry(tmp_path, f"unix:{tmp_path / 'nothing' / 'native'}")
    for tool, args in (("set_volume", {"percent": 40}), ("mute_audio", {})):
        out = call(reg, tool, **args)
        assert (out.status, out.code) == ("error", "volume.no_server"), tool
        assert "sound server" in out.error and "pactl info" in out.error
    storage.close()
