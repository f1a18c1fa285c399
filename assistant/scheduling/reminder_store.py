"""Reminders in SQLite (the `reminders` table), so they survive a restart: the Reminder
row, ReminderStore and the text said when one comes due ("Reminder: call Sam.")."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.agent.numbers import spoken_duration
from assistant.scheduling import due
from assistant.storage import Storage

LATE_NOTICE_S = 60  # later than this, the announcement says it was missed


class ReminderState(StrEnum):
    """Reminder.state, as the `reminders` table stores it."""

    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"  # the table allows it; no tool cancels a reminder yet


@dataclass(frozen=True)
class Reminder:
    id: int
    text: str
    due_at: float
    state: ReminderState

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "due_at": self.due_at,
                "due_iso": dt.datetime.fromtimestamp(self.due_at).astimezone()
                .isoformat(timespec="seconds"), "state": self.state}


class ReminderStore:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    @staticmethod
    def _row(r) -> Reminder:
        return Reminder(r["id"], r["text"], r["due_at"], ReminderState(r["state"]))

    def add(self, text: str, due_at: float) -> Reminder:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO reminders(text, created_at, due_at) VALUES (?,?,?)",
                        (text, self._clock(), due_at))
            rid = cur.lastrowid
        return Reminder(int(rid), text, due_at, ReminderState.PENDING)

    def pending(self) -> list[Reminder]:
        rows = self._db.query("SELECT * FROM reminders WHERE state=? ORDER BY due_at",
                              (ReminderState.PENDING,))
        return [self._row(r) for r in rows]

    def claim_due(self, now: float) -> list[Reminder]:
        return [self._row(r) for r in due.claim_due(self._db, "reminders", now)]

    def next_due(self) -> float | None:
        return due.next_due(self._db, "reminders")


def announcement(r: Reminder, late_s: float) -> str:
    text = f"Reminder: {r.text.rstrip('.!?')}."
    if late_s > LATE_NOTICE_S:
        text += (f" It was due {spoken_duration(int(late_s))} ago, while I was not "
                 "running.")
    return text
