"""The delivery engine over the durable outbox: every entry goes to every bridge,
retried with exponential backoff until delivered (at-least-once; the outbox id is
the dedup id). State per bridge lives in `outbox_delivery`, so a crash loses nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from assistant.companion.bridges import Bridge, Notice, Pending
from assistant.companion.outbox import NoticeKind
from assistant.storage import Storage

log = logging.getLogger(__name__)
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 300.0
MAX_ATTEMPTS = 12  # then the bridge's delivery is `failed` (visible in the app)
IDLE_POLL_S = 1.0


def backoff_s(attempts: int) -> float:
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1))


class DeliveryEngine:
    def __init__(self, storage: Storage, bridges: Sequence[Bridge],
                 clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self.bridges = {b.name: b for b in bridges}
        self._clock = clock
        self._wake = asyncio.Event()
        self._running: set[tuple[int, str]] = set()
        self._tasks: set[asyncio.Task] = set()

    def wake(self) -> None:
        """Something was queued, or someone to deliver to arrived: look now."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                self._plan()
                for outbox_id, bridge, kind in self._due():
                    key = (outbox_id, bridge)
                    if key not in self._running:
                        self._running.add(key)
                        task = asyncio.create_task(self._attempt(outbox_id, bridge, kind))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
                except TimeoutError:
                    pass
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _plan(self) -> None:
        """Give every queued outbox entry a delivery row per configured bridge."""
        now = self._clock()
        with self._db.transaction() as cur:
            for name in self.bridges:
                cur.execute("INSERT OR IGNORE INTO outbox_delivery(outbox_id, bridge, "
                            "next_attempt_at) SELECT id, ?, ? FROM outbox "
                            "WHERE state='queued'", (name, now))

    def _due(self) -> list[tuple[int, str, str]]:
        names = tuple(self.bridges)
        if not names:
            return []
        marks = ",".join("?" * len(names))
        rows = self._db.query(
            "SELECT d.outbox_id, d.bridge, o.kind FROM outbox_delivery d JOIN outbox o "
            f"ON o.id = d.outbox_id WHERE d.state='queued' AND d.bridge IN ({marks}) "
            "AND d.next_attempt_at <= ? ORDER BY d.outbox_id", (*names, self._clock()))
        return [(r["outbox_id"], r["bridge"], r["kind"]) for r in rows]

    async def _attempt(self, outbox_id: int, bridge: str, kind: str) -> None:
        try:
            await self.bridges[bridge].deliver(Notice(outbox_id, _kind(kind)))
        except Pending:
            self._later(outbox_id, bridge, IDLE_POLL_S, count=False, error="")
        except asyncio.CancelledError:
            raise
        except Exception as err:  # any failure of a peer is retried
            log.info("delivery of %s via %s failed: %s", outbox_id, bridge, err)
            self._later(outbox_id, bridge, None, count=True, error=str(err)[:300])
        else:
            self._delivered(outbox_id, bridge)
        finally:
            self._running.discard((outbox_id, bridge))

    def _later(self, outbox_id: int, bridge: str, delay_s: float | None, count: bool,
               error: str) -> None:
        with self._db.transaction() as cur:
            row = cur.execute("SELECT attempts FROM outbox_delivery WHERE outbox_id=? AND "
                              "bridge=?", (outbox_id, bridge)).fetchone()
            attempts = row["attempts"] + (1 if count else 0)
            state = "failed" if attempts >= MAX_ATTEMPTS else "queued"
            wait = delay_s if delay_s is not None else backoff_s(attempts)
            cur.execute("UPDATE outbox_delivery SET attempts=?, state=?, next_attempt_at=?, "
                        "last_error=? WHERE outbox_id=? AND bridge=?",
                        (attempts, state, self._clock() + wait, error, outbox_id, bridge))
            cur.execute("UPDATE outbox SET attempts=attempts+? WHERE id=?",
                        (1 if count else 0, outbox_id))
            self._settle(cur, outbox_id)

    def _delivered(self, outbox_id: int, bridge: str) -> None:
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute("UPDATE outbox_delivery SET state='delivered', delivered_at=?, "
                        "attempts=attempts+1, last_error='' WHERE outbox_id=? AND bridge=?",
                        (now, outbox_id, bridge))
            self._settle(cur, outbox_id)

    def _settle(self, cur, outbox_id: int) -> None:
        """The outbox entry is delivered once one bridge delivered it and none is still
        trying; failed when every bridge gave up."""
        states = {r["state"] for r in cur.execute(
            "SELECT state FROM outbox_delivery WHERE outbox_id=?", (outbox_id,))}
        if "queued" in states:
            return
        final = "delivered" if "delivered" in states else "failed"
        cur.execute("UPDATE outbox SET state=?, delivered_at=? WHERE id=?",
                    (final, self._clock() if final == "delivered" else None, outbox_id))


def notifications(storage: Storage, limit: int = 50) -> list[dict[str, Any]]:
    """The newest outbox entries with their delivery state per bridge."""
    rows = storage.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
    out = []
    for r in rows:
        per = storage.query("SELECT bridge, state, attempts, last_error, delivered_at "
                            "FROM outbox_delivery WHERE outbox_id=?", (r["id"],))
        out.append({"id": r["id"], "kind": r["kind"], "created_at": r["created_at"],
                    "state": r["state"], "body": json.loads(r["body"]),
                    "delivery": [dict(p) for p in per]})
    return out



def _kind(stored: str) -> NoticeKind | str:
    """The kind of a stored notice, as a member when this version knows it."""
    try:
        return NoticeKind(stored)
    except ValueError:
        return stored
