"""Keeping Heron's background parts alive: a part that crashes (the scheduler of timers
and reminders, the companion, the voice loop) is reported and restarted with a growing
delay, and turns that keep failing are spaced out, so one bug never ends Heron nor makes
it spin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from assistant.bus import EventBus
from assistant.events import Stage, StageError
from assistant.last_error import record_last_error
from models.errors import CodedError

log = logging.getLogger(__name__)
RESTART_MAX_S = 60.0  # a crashed part is restarted after 1, 2, 4 … this many s


async def supervised(name: Stage, run: Callable[[], Awaitable[None]], bus: EventBus,
                     cache_dir: Path) -> None:
    """Run one background part; a crash is recorded (the traceback in the last-error
    file) and published as StageError(stage=name, code=task.crashed), and the part is
    restarted after a growing delay. Cancellation ends it."""
    loop = asyncio.get_running_loop()
    delay = 1.0
    while True:
        started = loop.time()
        try:
            await run()
            return
        except Exception as err:
            if loop.time() - started > RESTART_MAX_S:  # it had run fine for a while
                delay = 1.0
            path = None
            if not isinstance(err, CodedError):
                path = await asyncio.to_thread(record_last_error, cache_dir, err,
                                               f"{name} crashed")
            log.error("%s crashed (%s); restarting in %.0f s", name, err, delay)
            log.debug("the crash of %s", name, exc_info=err)
            where = f"; details in {path}" if path is not None else ""
            bus.publish(StageError(
                stage=name, code="task.crashed", message=f"{name} stopped: {err}",
                hint=f"Heron restarts it in {delay:.0f} s{where}"))
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX_S)


async def back_off(failures: int) -> None:
    """Turns failed `failures` times in a row: from the second on, wait 2, 4, 8 …
    RESTART_MAX_S s before the next, instead of spinning on a stage broken for good."""
    if failures > 1:
        await asyncio.sleep(min(2.0 ** (failures - 1), RESTART_MAX_S))
