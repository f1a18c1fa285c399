"""Things that come due at a time and fire exactly once (timers, reminders): the SQL
that claims them, and the loop that fires one store's (run by scheduling/service.py). The
tables share the columns state ('pending' | 'fired' | 'cancelled'; a timer may also be
'paused': ReminderState, TimerState), due_at and fired_at. Only 'pending' rows are ever
claimed: a paused timer never fires."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

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


Fire = Callable[[Any, float], Awaitable[None]]


async def fire_due_forever(store: DueStore, fire: Fire, poll_s: float,
                           clock: Callable[[], float] = time.time) -> None:
    """Fire each item of `store` when it comes due: `await fire(item, late_s)`. Items
    written by another process are noticed within `poll_s`. One item failing to fire is
    logged and the rest of its batch still fire; the store failing to claim ends the
    loop (its supervisor restarts it; the other store's loop goes on); cancellation
    ends it too."""
    while True:
        now = clock()
        await _fire_batch(store.claim_due(now), fire, now)
        due_at = store.next_due()
        wait = min(poll_s, max(0.0, due_at - now)) if due_at is not None else poll_s
        await asyncio.sleep(max(wait, 0.01))


async def _fire_batch(items: list[Any], fire: Fire, now: float) -> None:
    for item in items:
        # claim_due has marked the whole batch fired: letting one failure escape
        # would lose every item after it for good.
        try:
            await fire(item, max(0.0, now - item.due_at))
        except Exception as err:  # CancelledError is not an Exception: it ends us
            # The traceback only with -v, like every error shown on the terminal.
            log.error("could not fire %s %s: %s", type(item).__name__,
                      getattr(item, "id", "?"), err)
            log.debug("the failed firing", exc_info=err)
