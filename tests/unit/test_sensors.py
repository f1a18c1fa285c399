"""Pausing the camera or the screen stops every read, and a read lights the in-use
indicator until shortly after the last one."""

from __future__ import annotations

import asyncio

import pytest

from assistant.bus import EventBus
from assistant.events import DeviceInUse
from assistant.tools.backends import DesktopBackends
from assistant.tools.capabilities import Capabilities
from assistant.tools.sensors import SensorGate
from models.errors import CodedError


class FakeScreen:  # stands in for the X server (the capture itself is tested elsewhere)
    def __init__(self):
        self.grabs = 0

    def grab(self, target):
        self.grabs += 1
        return f"frame of {target}"

    def windows(self):
        return [], None


def caps(gate, screen, audit):
    return Capabilities("read_screen", ["screen.read"],
                        lambda *row: audit.append(row),
                        backends=DesktopBackends(screen=screen, sensors=gate))


def test_paused_screen_is_never_read_and_the_refusal_is_audited():
    gate, screen, audit = SensorGate(), FakeScreen(), []
    gate.set_paused("screen", True)

    async def main():
        return await caps(gate, screen, audit).grab_screen()

    with pytest.raises(CodedError) as err:
        asyncio.run(main())
    assert err.value.code == "privacy.paused"
    assert "tray" in err.value.hint
    assert screen.grabs == 0
    assert audit[-1][0] == "screen" and audit[-1][2] is False
    gate.set_paused("screen", False)
    assert asyncio.run(main()) == "frame of all"


def test_a_burst_of_reads_lights_the_indicator_once_then_it_goes_out():
    bus = EventBus()
    seen: list[DeviceInUse] = []
    bus.subscribe(seen.append, DeviceInUse)
    gate, screen = SensorGate(bus, linger_s=0.3), FakeScreen()

    async def main():
        c = caps(gate, screen, [])
        for _ in range(5):
            await c.grab_screen()
        lit = gate.in_use()
        await asyncio.sleep(0.6)
        return lit

    lit = asyncio.run(main())
    assert lit == {"screen": "read_screen"}
    assert [(e.device, e.active, e.tool) for e in seen] == [
        ("screen", True, "read_screen"), ("screen", False, "read_screen")]
    assert gate.in_use() == {}


def test_unknown_sensor_names_are_refused():
    with pytest.raises(ValueError):
        SensorGate().set_paused("microwave", True)
