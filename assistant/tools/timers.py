"""Timers: kept in SQLite so they survive a restart, fired by TimerService, and the
built-in tools set_timer, list_timers and cancel_timer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from assistant.agent.numbers import spoken_duration
from assistant.events import TimerFired
from assistant.storage import Storage
from assistant.tools import due
from assistant.tools.manifest import ToolManifest

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext
from assistant.tools.registry import ToolError

log = logging.getLogger(__name__)
MAX_TIMER_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Timer:
    id: int
    label: str
    duration_s: int
    due_at: float
    state: str

    def remaining_s(self, now: float | None = None) -> float:
        return max(0.0, self.due_at - (time.time() if now is None else now))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "duration_s": self.duration_s,
                "due_at": self.due_at, "remaining_s": round(self.remaining_s(), 1),
                "state": self.state}


_LETTER_NAMES = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "ay bee see dee ee eff gee aitch eye jay kay ell em en oh pee cue are ess tee you vee "
    "double-you ex why zed").split(), strict=True))


def sounds_alike(heard: str, label: str) -> bool:
    """A recognised label against a timer's ("t"/"tee" vs "tea", "pastor" vs "pasta")."""
    def spelled(text: str) -> str:
        return " ".join(_LETTER_NAMES.get(w, w) for w in text.lower().replace("-", " ").split())

    return SequenceMatcher(None, spelled(heard), spelled(label)).ratio() >= 0.6


def timer_name(t: Timer) -> str:
    return f"{t.label} timer" if t.label else f"{spoken_duration(t.duration_s)} timer"


class TimerStore:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    @staticmethod
    def _row(r) -> Timer:
        return Timer(r["id"], r["label"], r["duration_s"], r["due_at"], r["state"])

    def add(self, duration_s: int, label: str = "") -> Timer:
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO timers(label, duration_s, created_at, due_at) "
                        "VALUES (?,?,?,?)", (label, duration_s, now, now + duration_s))
            tid = cur.lastrowid
        return Timer(int(tid), label, duration_s, now + duration_s, "pending")

    def pending(self) -> list[Timer]:
        rows = self._db.query("SELECT * FROM timers WHERE state='pending' ORDER BY due_at")
        return [self._row(r) for r in rows]

    def cancel(self, label: str = "") -> list[Timer]:
        """Cancel the timers matching `label` (all pending ones when empty). A label
        that matches none exactly may still sound like exactly one ("t" → "tea")."""
        pending = self.pending()
        targets = [t for t in pending if not label or t.label.lower() == label.lower()]
        if label and not targets:
            alike = [t for t in pending if t.label and sounds_alike(label, t.label)]
            targets = alike if len(alike) == 1 else []
        with self._db.transaction() as cur:
            for t in targets:
                cur.execute("UPDATE timers SET state='cancelled' WHERE id=? AND "
                            "state='pending'", (t.id,))
        return targets

    def claim_due(self, now: float) -> list[Timer]:
        return [self._row(r) for r in due.claim_due(self._db, "timers", now)]

    def next_due(self) -> float | None:
        return due.next_due(self._db, "timers")


class TimerService(due.DueService):
    """Fires due timers: publishes TimerFired and says so. New timers written by
    another process are noticed within `poll_s`."""

    async def _fire(self, t: Timer, late: float) -> None:
        self._bus.publish(TimerFired(timer_id=t.id, label=t.label, duration_s=t.duration_s,
                                     late_s=round(late, 3)))
        text = f"Your {timer_name(t)} is done."
        if late > 5:
            text = (f"Your {timer_name(t)} finished {spoken_duration(int(late))} ago, "
                    "while I was not running.")
        await self._say(text)


class SetTimer:
    manifest = ToolManifest(
        name="set_timer", title="Set a timer", builtin=True, effects="write",
        description="Start a countdown timer, optionally with a label.",
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["seconds"],
            "properties": {
                "seconds": {"type": "integer", "minimum": 1, "maximum": MAX_TIMER_S,
                            "x-slot": "duration", "description": "length in seconds"},
                "label": {"type": "string", "maxLength": 60, "x-slot": "label"},
            },
        },
        examples=("set a timer for {seconds}", "set a {label} timer for {seconds}",
                  "start a timer for {seconds}", "start a {seconds} timer",
                  "timer for {seconds}", "set a {seconds} timer",
                  "set a timer for {seconds} called {label}",
                  "count down {seconds}"),
    )

    def __init__(self, store: TimerStore) -> None:
        self._store = store

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        t = self._store.add(int(args["seconds"]), args.get("label", "").strip())
        what = f"{t.label} timer" if t.label else "timer"
        return {"timer": t.to_dict(),
                "speech": f"OK, {what} set for {spoken_duration(t.duration_s)}."}


class ListTimers:
    manifest = ToolManifest(
        name="list_timers", title="List timers", builtin=True,
        description="Say which timers are running and how long each has left.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        examples=("what timers do i have", "list my timers", "how much time is left",
                  "how long is left on my timer", "show timers", "are there any timers"),
    )

    def __init__(self, store: TimerStore) -> None:
        self._store = store

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        timers = self._store.pending()
        parts = [f"Your {timer_name(t)} has {spoken_duration(round(t.remaining_s()))} left."
                 for t in timers]
        if not timers:
            speech = "You have no timers running."
        elif len(timers) == 1:
            speech = parts[0]
        else:  # a short first sentence: it is spoken while the rest is synthesized
            speech = " ".join([f"You have {len(timers)} timers.", *parts])
        return {"timers": [t.to_dict() for t in timers], "speech": speech}


class CancelTimer:
    manifest = ToolManifest(
        name="cancel_timer", title="Cancel timers", builtin=True, effects="write",
        description="Cancel the timer with this label, or every timer when none is given.",
        input_schema={
            "type": "object", "additionalProperties": False,
            "properties": {"label": {"type": "string", "maxLength": 60, "x-slot": "label"}},
        },
        examples=("cancel the timer", "cancel my timer", "stop the timer",
                  "cancel the {label} timer", "delete the {label} timer", "cancel all timers",
                  "stop the {label} timer"),
    )

    def __init__(self, store: TimerStore) -> None:
        self._store = store

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        label = args.get("label", "").strip()
        cancelled = self._store.cancel(label)
        if not cancelled:
            raise ToolError("timer.not_found",
                            f"There is no {label + ' ' if label else ''}timer running.")
        names = ", ".join(timer_name(t) for t in cancelled)
        return {"cancelled": [t.to_dict() for t in cancelled],
                "speech": f"Cancelled your {names}."}
