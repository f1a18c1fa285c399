"""Timers in SQLite: the Timer row, TimerStore (add, pause, resume, change, cancel),
which timer a spoken name means and what is said when one comes due. A paused timer
keeps its time left in `remaining_s` and is never claimed by the due loop (that only
looks at state 'pending', TimerState.RUNNING)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

from assistant.agent.numbers import find_duration, spoken_duration
from assistant.scheduling import due
from assistant.storage import Storage
from assistant.tools.registry import ToolError

MAX_TIMER_S = 7 * 24 * 3600


class TimerState(StrEnum):
    """Timer.state, as the `timers` table stores it."""

    RUNNING = "pending"  # 'pending' like a reminder not yet due: due.py claims both alike
    PAUSED = "paused"
    FIRED = "fired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Timer:
    id: int
    label: str
    duration_s: int  # as set: how the user names an unlabelled timer ("5 minute timer")
    due_at: float  # stale while paused
    state: TimerState
    paused_left_s: float | None = None

    def remaining_s(self, now: float | None = None) -> float:
        if self.state == TimerState.PAUSED:
            return max(0.0, self.paused_left_s or 0.0)
        return max(0.0, self.due_at - (time.time() if now is None else now))

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """Ours plus the fields Home Assistant's timer response templates read."""
        left = int(round(self.remaining_s(now)))
        start_h, rest = divmod(self.duration_s, 3600)
        return {"id": self.id, "label": self.label, "duration_s": self.duration_s,
                "due_at": self.due_at, "remaining_s": round(self.remaining_s(now), 1),
                "state": self.state, "name": self.label or None,
                "is_active": self.state == TimerState.RUNNING, "total_seconds_left": left,
                **_rounded_left(left), "start_hours": start_h,
                "start_minutes": rest // 60, "start_seconds": rest % 60}


def _rounded_left(left: int) -> dict[str, int]:
    """Time left as said aloud: no seconds past an hour, minutes rounded to the half."""
    h, rest = divmod(left, 3600)
    m, s = divmod(rest, 60)
    if h:
        h, m, s = (h + 1, 0, 0) if m > 30 else (h, m if m == 30 else 0, 0)
    elif m:
        m, s = (m + 1, 0) if s > 30 else (m, s if s == 30 else 0)
    return {"rounded_hours_left": h, "rounded_minutes_left": m, "rounded_seconds_left": s}


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


def announcement(t: Timer, late_s: float) -> str:
    """What is said when `t` comes due; late means it did so while Heron was off."""
    if late_s > 5:
        return (f"Your {timer_name(t)} finished {spoken_duration(int(late_s))} ago, "
                "while I was not running.")
    return f"Your {timer_name(t)} is done."


def _spoken_label(label: str) -> str:
    """ "the Egg Timer" → "egg": the words that name the timer."""
    words = label.lower().split()
    while words and words[0] in ("the", "my", "a", "an"):
        words.pop(0)
    while words and words[-1] in ("timer", "timers"):
        words.pop()
    return " ".join(words)


def matching(timers: Iterable[Timer], label: str) -> list[Timer]:
    """The timers a spoken name means: the same label; else, for "5 minute", the timers
    set for that long; else the labels that sound like it (whisper's "t" for "tea")."""
    timers = list(timers)
    key = _spoken_label(label)
    found = [t for t in timers if t.label.lower() == key]
    if found or not key:
        return found
    length = find_duration(key)
    if length is not None and length.end == len(key.replace("-", " ").split()):
        found = [t for t in timers if t.duration_s == length.seconds]
        # "the 5 minute timer" is the one without a name, if there is one
        found = [t for t in found if not t.label] or found
    return found or [t for t in timers if t.label and sounds_alike(key, t.label)]


_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def timer_names(timers: list[Timer], article: str = "the") -> str:
    """"the tea timer and the pasta timer"; timers with one name once, counted: "five
    5-minute timers", "two tea timers and the 10 minutes timer"."""
    groups: dict[str, list[Timer]] = {}
    for t in timers:
        groups.setdefault(timer_name(t), []).append(t)
    names = [f"{article} {name}".strip() if len(same) == 1 else _counted(same)
             for name, same in groups.items()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _counted(same: list[Timer]) -> str:
    """Several timers of one name: "two tea timers", "five 5-minute timers"."""
    n = len(same)
    count = _COUNTS[n] if n < len(_COUNTS) else str(n)
    if same[0].label:
        return f"{count} {same[0].label} timers"
    spoken = spoken_duration(same[0].duration_s)
    value, unit = (spoken.split(" ", 1) + [""])[:2]
    if " " in unit:  # "1 minute and 30 seconds"
        return f"{count} timers of {spoken}"
    return f"{count} {value}-{unit.removesuffix('s')} timers"


def _names(timers: list[Timer]) -> str:
    return timer_names(timers)


class TimerStore:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    @staticmethod
    def _row(r) -> Timer:
        return Timer(r["id"], r["label"], r["duration_s"], r["due_at"],
                     TimerState(r["state"]), r["remaining_s"])

    def add(self, duration_s: int, label: str = "") -> Timer:
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO timers(label, duration_s, created_at, due_at) "
                        "VALUES (?,?,?,?)", (label, duration_s, now, now + duration_s))
            tid = cur.lastrowid
        return Timer(int(tid), label, duration_s, now + duration_s, TimerState.RUNNING)

    def pending(self) -> list[Timer]:
        """The timers not yet done: running ones (soonest first), then paused ones."""
        rows = self._db.query("SELECT * FROM timers WHERE state IN (?, ?) ORDER BY state=?, "
                              "due_at, id", (TimerState.RUNNING, TimerState.PAUSED,
                                             TimerState.PAUSED))
        return [self._row(r) for r in rows]

    def choose(self, verb: str, label: str = "", every: bool = False,
               states: tuple[TimerState, ...] = (TimerState.RUNNING, TimerState.PAUSED),
               ) -> list[Timer]:
        """The timers "<verb> the <label> timer" means, in one of `states`. No label: all
        (`every`) or the only one; several → ToolError("timer.which") naming them."""
        timers = self.pending()
        if label:
            timers = matching(timers, label)
            if not timers:
                raise ToolError("timer.not_found", f"There is no {_spoken_label(label) or label}"
                                " timer running.")
            if len({t.label.lower() for t in timers}) > 1 and not every:
                raise _which(verb, timers)
        if not timers:
            raise ToolError("timer.not_found", "There is no timer running.")
        usable = [t for t in timers if t.state in states]
        if not usable:
            raise _wrong_state(verb, timers)
        if len(usable) > 1 and not every and not label:
            raise _which(verb, usable)
        return usable

    def pause(self, timers: list[Timer]) -> list[Timer]:
        """Stop the clock of running timers; one that came due meanwhile is left to fire."""
        now = self._clock()
        done = []
        with self._db.transaction() as cur:
            for t in timers:
                left = t.due_at - now
                cur.execute("UPDATE timers SET state=?, remaining_s=? WHERE id=? AND state=? "
                            "AND due_at>?", (TimerState.PAUSED, left, t.id,
                                             TimerState.RUNNING, now))
                if cur.rowcount:
                    done.append(Timer(t.id, t.label, t.duration_s, t.due_at,
                                      TimerState.PAUSED, left))
        return done

    def resume(self, timers: list[Timer]) -> list[Timer]:
        now = self._clock()
        done = []
        with self._db.transaction() as cur:
            for t in timers:
                due_at = now + (t.paused_left_s or 0.0)
                cur.execute("UPDATE timers SET state=?, due_at=?, remaining_s=NULL "
                            "WHERE id=? AND state=?", (TimerState.RUNNING, due_at, t.id,
                                                       TimerState.PAUSED))
                if cur.rowcount:
                    done.append(Timer(t.id, t.label, t.duration_s, due_at, TimerState.RUNNING))
        return done

    def change(self, timers: list[Timer], seconds: int) -> list[Timer]:
        """Add (or with a negative `seconds`, remove) time. Removing as much as is left
        or more is refused (timer.too_short): a misheard "ten" for "two" must not make
        the timer ring now, and "cancel the timer" says the other thing plainly."""
        now = self._clock()
        for t in timers:
            left = t.remaining_s(now)
            if left + seconds < 1:
                raise ToolError("timer.too_short", (
                    f"Your {timer_name(t)} has only {spoken_duration(max(1, round(left)))} "
                    f"left, so I can't take {spoken_duration(-seconds)} off. To stop it, "
                    f"say \"cancel the {timer_name(t)}\"."))
            if left + seconds > MAX_TIMER_S:
                raise ToolError("timer.too_long", "A timer can run for at most 7 days.")
        with self._db.transaction() as cur:
            for t in timers:
                cur.execute("UPDATE timers SET due_at=due_at+? WHERE id=? AND state=?",
                            (seconds, t.id, TimerState.RUNNING))
                cur.execute("UPDATE timers SET remaining_s=remaining_s+? WHERE id=? AND "
                            "state=?", (seconds, t.id, TimerState.PAUSED))
        ids = {t.id for t in timers}
        return [t for t in self.pending() if t.id in ids]

    def cancel(self, label: str = "") -> list[Timer]:
        """Cancel the timers named `label`, or every timer when it is empty."""
        try:
            timers = self.choose("cancel", label, every=not label)
        except ToolError:
            return []
        return self.cancel_these(timers)

    def cancel_these(self, timers: list[Timer]) -> list[Timer]:
        done = []
        with self._db.transaction() as cur:
            for t in timers:
                cur.execute("UPDATE timers SET state=? WHERE id=? AND state IN (?, ?)",
                            (TimerState.CANCELLED, t.id, TimerState.RUNNING,
                             TimerState.PAUSED))
                if cur.rowcount:
                    done.append(t)
        return done

    def claim_due(self, now: float) -> list[Timer]:
        return [self._row(r) for r in due.claim_due(self._db, "timers", now)]

    def next_due(self) -> float | None:
        return due.next_due(self._db, "timers")


_SAY = {"change": "add 1 minute to the {}", "check": "how long is left on the {}"}


def _which(verb: str, timers: list[Timer]) -> ToolError:
    example = _SAY.get(verb, verb + " the {}").format(timer_name(timers[0]))
    also = ', or "cancel all timers"' if verb == "cancel" else ""
    return ToolError("timer.which", (
        f"You have {len(timers)} timers: {_names(timers)}. Which one? Say for example "
        f"\"{example}\"{also}."))


def _wrong_state(verb: str, timers: list[Timer]) -> ToolError:
    one = timer_name(timers[0]) if len(timers) == 1 else ""
    if verb == "pause":
        return ToolError("timer.already_paused", f"Your {one} is already paused." if one
                         else "Your timers are already paused.")
    if verb == "resume":
        return ToolError("timer.not_paused", f"Your {one} is not paused." if one
                         else "None of your timers is paused.")
    return ToolError("timer.not_found", "There is no timer running.")
