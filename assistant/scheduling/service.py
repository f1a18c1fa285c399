"""The scheduler: fires due timers and reminders, each exactly once, also when it came
due while Heron was not running (then late, and said so). One loop per store, so a
store that cannot be read (a corrupt row) never holds up the other."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from assistant.bus import EventBus
from assistant.events import ReminderFired, TimerFired
from assistant.scheduling import due, reminder_store, timer_store
from assistant.scheduling.reminder_store import Reminder, ReminderStore
from assistant.scheduling.timer_store import Timer, TimerStore


class Scheduler:
    """Fires due timers (TimerFired, "Your tea timer is done.") and reminders
    (ReminderFired, "Reminder: call Sam."): publishes the event, then hands the text to
    `announce` (sync or async). Rows written by another process are noticed within
    `poll_s`; paused timers never fire."""

    def __init__(self, timers: TimerStore, reminders: ReminderStore, bus: EventBus,
                 announce: Callable[[str], Any] | None = None, poll_s: float = 0.5,
                 clock: Callable[[], float] = time.time) -> None:
        self._timers = timers
        self._reminders = reminders
        self._bus = bus
        self._announce = announce
        self._poll_s = poll_s
        self._clock = clock

    def loops(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The firing loop of each store by name ("timers", "reminders"), for a
        supervisor to run and restart one by one (assistant/service.py)."""
        return {"timers": lambda: self._fire_forever("timers", self._timers,
                                                     self._fire_timer),
                "reminders": lambda: self._fire_forever("reminders", self._reminders,
                                                        self._fire_reminder)}

    async def _fire_forever(self, name: str, store: due.DueStore, fire: due.Fire) -> None:
        try:
            await due.fire_due_forever(store, fire, self._poll_s, self._clock)
        except Exception as err:  # the crash report says which store
            raise RuntimeError(f"the {name} could not be read: {err}") from err

    async def run(self) -> None:
        """Both loops, unsupervised (a failing store ends both): for tests."""
        async with asyncio.TaskGroup() as tg:
            for loop in self.loops().values():
                tg.create_task(loop())

    async def _fire_timer(self, t: Timer, late_s: float) -> None:
        self._bus.publish(TimerFired(timer_id=t.id, label=t.label, duration_s=t.duration_s,
                                     late_s=round(late_s, 3)))
        await self._say(timer_store.announcement(t, late_s))

    async def _fire_reminder(self, r: Reminder, late_s: float) -> None:
        self._bus.publish(ReminderFired(reminder_id=r.id, text=r.text, late_s=round(late_s, 3)))
        await self._say(reminder_store.announcement(r, late_s))

    async def _say(self, text: str) -> None:
        if self._announce is not None:
            result = self._announce(text)
            if asyncio.iscoroutine(result):
                await result
