"""The privacy switches for the camera and the screen, and their in-use indicator.

Every camera frame and screen capture goes through `Capabilities`, which asks the
`SensorGate` first: a paused sensor is refused with `privacy.paused` (nothing is read),
and a sensor in use publishes `DeviceInUse(active=True)` once, then `active=False`
after `linger_s` without another read, so a tray dot stays lit for a burst of frames
instead of flickering. The microphone's switch is the mic's own mute (it closes the
stream)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from assistant.bus import EventBus
from assistant.events import DeviceInUse
from models.errors import CodedError

SENSORS = ("camera", "screen")
LINGER_S = 2.0


class SensorPaused(CodedError):
    exit_code = 2


class SensorGate:
    def __init__(self, bus: EventBus | None = None, linger_s: float = LINGER_S) -> None:
        self._bus = bus
        self.linger_s = linger_s
        self._paused = dict.fromkeys(SENSORS, False)
        self._busy = dict.fromkeys(SENSORS, 0)  # reads in progress
        self._shown: dict[str, str] = {}  # device -> tool, while the indicator is on
        self._off: dict[str, asyncio.TimerHandle] = {}

    def paused(self, device: str) -> bool:
        return self._paused[device]

    def set_paused(self, device: str, paused: bool) -> None:
        if device not in self._paused:
            raise ValueError(f"unknown sensor {device!r} (known: {', '.join(SENSORS)})")
        self._paused[device] = paused

    def in_use(self) -> dict[str, str]:
        """The sensors whose indicator is on, with the tool that read them."""
        return dict(self._shown)

    def refusal(self, device: str, tool: str) -> SensorPaused:
        """The error for a read of a paused `device`."""
        return SensorPaused(
            "privacy.paused", f"{device} analysis is paused, so {tool} cannot use the "
            f"{device}", f"resume {device} analysis from the Heron tray menu first")

    @contextlib.contextmanager
    def reading(self, device: str, tool: str) -> Iterator[None]:
        """Around one read of `device` by `tool` (on the event loop); the caller has
        checked `paused` first."""
        timer = self._off.pop(device, None)
        if timer is not None:
            timer.cancel()
        if device not in self._shown:
            self._shown[device] = tool
            self._publish(device, True, tool)
        self._busy[device] += 1
        try:
            yield
        finally:
            self._busy[device] -= 1
            if not self._busy[device]:
                loop = asyncio.get_running_loop()
                self._off[device] = loop.call_later(self.linger_s, self._turn_off, device)

    def _turn_off(self, device: str) -> None:
        self._off.pop(device, None)
        tool = self._shown.pop(device, None)
        if tool is not None and not self._busy[device]:
            self._publish(device, False, tool)

    def _publish(self, device: str, active: bool, tool: str) -> None:
        if self._bus is not None:
            self._bus.publish(DeviceInUse(device=device, active=active, tool=tool))
