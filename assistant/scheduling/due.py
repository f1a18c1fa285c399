"""Things that come due at a time and fire exactly once (timers, reminders): the SQL
that claims them, and the loop that fires them. The tables share the columns
state ('pending' | 'fired' | 'cancelled'; a timer may also be 'paused'), due_at and
fired_at. Only 'pending' rows are ever claimed: a paused timer never fires."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from assistant.bus import EventBus
from assistant.storage import Storage

log = logging.getLogger(__name__)
_TABLES = frozenset({"timers", "reminders"})


def claim_due(db: Storage, table: str, now: float) -> list[sqlite3.Row]:
    """Mark due rows fired and return them; the conditional UPDATE means two Heron
    processes never fire the same row twice."""
    assert table in _TABLES
    fired = []
    with db.transaction() as cur:
        rows = cur.execute(f"SELECT * FROM {table} WHERE state='pending' AND due_at<=? "
                           "ORDER BY due_at", (now,)).fetchall()
        for r in rows:
            cur.execute(f"UPDATE {table} SET state='fired', fired_at=? WHERE id=? AND "
                        "state='pending'", (now, r["id"]))
            if cur.rowcount:
                fired.append(r)
    return fired


def next_due(db: Storage, table: str) -> float | None:
    assert table in _TABLES
    rows = db.query(f"SELECT MIN(due_at) AS d FROM {table} WHERE state='pending'")
    return rows[0]["d"] if rows and rows[0]["d"] is not None else None


class DueStore(Protocol):
    def claim_due(self, now: float) -> list[Any]: ...

    def next_due(self) -> float | None: ...


async def fire_due_forever(store: DueStore, fire: Callable[[Any, float], Awaitable[None]],
                           poll_s: float, clock: Callable[[], float] = time.time) -> None:
    """Fire each item of `store` when it comes due: `await fire(item, late_s)`. Items
    written by another process are noticed within `poll_s`. One item failing to fire
    is logged and the rest of its batch still fire; cancellation ends the loop."""
    while True:
        now = clock()
        for item in store.claim_due(now):
            # claim_due has marked the whole batch fired: letting one failure escape
            # would lose every item after it for good.
            try:
                await fire(item, max(0.0, now - item.due_at))
            except Exception as err:  # CancelledError is not an Exception: it ends us
                # The traceback only with -v, like every error shown on the terminal.
                log.error("could not fire %s %s: %s", type(item).__name__,
                          getattr(item, "id", "?"), err)
                log.debug("the failed firing", exc_info=err)
        nxt = store.next_due()
        wait = poll_s if nxt is None else min(poll_s, max(0.0, nxt - now))
        await asyncio.sleep(max(wait, 0.01))


class DueService:
    """Fires the due items of a store: a subclass's `_fire(item, late_s)` publishes its
    event and calls `_say(text)`, which hands the text to `announce` (sync or async)."""

    def __init__(self, store: DueStore, bus: EventBus,
                 announce: Callable[[str], Any] | None = None, poll_s: float = 0.5,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._bus = bus
        self._announce = announce
        self._poll_s = poll_s
        self._clock = clock

    async def run(self) -> None:
        await fire_due_forever(self._store, self._fire, self._poll_s, self._clock)

    async def _fire(self, item: Any, late_s: float) -> None:
        raise NotImplementedError

    async def _say(self, text: str) -> None:
        if self._announce is not None:
            result = self._announce(text)
            if asyncio.iscoroutine(result):
                await result
