"""The durable outbox: messages for the user's phone (notifications, timers, approvals
to show) kept in the `outbox` table until a bridge delivers them (delivery.py), so
nothing is lost across restarts or while the phone is away."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from assistant.storage import Storage


class NoticeKind(StrEnum):
    """What an outbox entry is about (its `kind` column): all a bridge sends besides
    the entry's id."""

    TIMER_FIRED = "timer.fired"
    REMINDER_FIRED = "reminder.fired"
    APPROVAL_NEEDED = "approval.needed"
    TASK_DONE = "task.done"  # a long command from the phone finished
    PHONE_NOTIFY = "phone.notify"  # notify_phone and broadcast


class Outbox:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    def enqueue(self, kind: NoticeKind, body: dict[str, Any]) -> int:
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO outbox(created_at, kind, body, next_attempt_at) "
                        "VALUES (?,?,?,?)", (now, kind, json.dumps(body), now))
            return int(cur.lastrowid)

    def queued(self) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT * FROM outbox WHERE state='queued' ORDER BY id")
        return [{**dict(r), "body": json.loads(r["body"])} for r in rows]
