"""Built-in tools get_time and get_date (today, tomorrow, "in 3 days" …), and
`find_day_offset_in`, which reads such a day from words for the router."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.agent.numbers import parse_number
from assistant.tools.manifest import ToolManifest

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

Now = Callable[[], dt.datetime]
MAX_DAY_OFFSET = 366
# Spoken replies are English whatever the process locale is (strftime's %A is not).
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def spoken_time(t: dt.datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def spoken_date(d: dt.date) -> str:
    """ "Monday, 7 December 2026"."""
    return f"{_WEEKDAYS[d.weekday()]}, {d.day} {_MONTHS[d.month - 1]} {d.year}"


@dataclass(frozen=True)
class DayOffsetMatch:
    days: int  # 0 today, 1 tomorrow, -1 yesterday
    start: int  # token span [start, end)
    end: int


_NAMED = {("today",): 0, ("to", "day"): 0, ("tomorrow",): 1, ("to", "morrow"): 1,
          ("yesterday",): -1, ("day", "after", "tomorrow"): 2,
          ("day", "before", "yesterday"): -2, ("next", "week"): 7, ("last", "week"): -7}
_LONGEST_FIRST = sorted(_NAMED.items(), key=lambda kv: -len(kv[0]))
_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "fortnights": 14}


def find_day_offset_in(words: list[str]) -> DayOffsetMatch | None:
    """The first day said relative to today: "tomorrow" → 1, "the day before yesterday"
    → -2, "in 3 days" / "3 days from now" → 3, "two weeks ago" → -14. `words` are
    lowercase tokens; the span covers the words that said it."""
    for i in range(len(words)):
        for named, days in _LONGEST_FIRST:
            if tuple(words[i:i + len(named)]) == named:
                start = i - 1 if i and words[i - 1] == "the" and named[0] == "day" else i
                return DayOffsetMatch(days, start, i + len(named))
        counted = _counted_days(words, i)
        if counted is not None:
            return counted
    return None


def _counted_days(words: list[str], i: int) -> DayOffsetMatch | None:
    """ "in 3 days", "a week from today", "a fortnight from now", "2 weeks ago", "three
    days out", starting at words[i]."""
    ahead = words[i] in ("in", "after")
    j = i + 1 if ahead else i
    number = (1.0, 1) if j < len(words) and words[j] in ("a", "one") else \
        parse_number(words, j)
    if number is None or j + number[1] >= len(words):
        return None
    unit = _UNIT_DAYS.get(words[j + number[1]])
    if unit is None or number[0] != int(number[0]):
        return None
    days, end = int(number[0]) * unit, j + number[1] + 1
    tail = words[end:end + 2]
    if tail[:1] == ["ago"]:
        return None if ahead else DayOffsetMatch(-days, i, end + 1)
    if tail[:1] == ["from"] and len(tail) == 2 and tail[1] in ("now", "today"):
        return DayOffsetMatch(days, i, end + 2)
    if tail[:1] in (["out"], ["ahead"]):  # "the forecast three days out"
        return DayOffsetMatch(days, i, end + 1)
    return DayOffsetMatch(days, i, end) if ahead else None


class GetTime:
    manifest = ToolManifest(
        name="get_time", title="Current time", builtin=True,
        description="Tell the current local time.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        output_schema={"type": "object", "properties": {"iso": {"type": "string"}}},
        examples=("what time is it", "how late is it", "what's the time", "tell me the time",
                  "what is the time now", "do you know what time it is", "current time",
                  "have you got the time", "what's the time right now", "what hour is it",
                  "check the clock", "time please", "what does the clock say",
                  "could you tell me the time", "what time do you have",
                  "what is the current time"),
    )

    def __init__(self, now: Now = _now) -> None:
        self._now = now

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        t = self._now()
        return {"iso": t.isoformat(timespec="seconds"), "hour": t.hour, "minute": t.minute,
                "speech": f"It's {spoken_time(t)}."}


def _said_day(offset: int, d: dt.date) -> str:
    when = spoken_date(d)
    if offset == 0:
        return f"Today is {when}."
    if offset == 1:
        return f"Tomorrow is {when}."
    if offset == -1:
        return f"Yesterday was {when}."
    if offset > 0:
        return f"In {offset} days it will be {when}."
    return f"{-offset} days ago it was {when}."


class GetDate:
    manifest = ToolManifest(
        name="get_date", title="Date", builtin=True,
        description="Tell the date and weekday of today, or of a day before or after it.",
        input_schema={
            "type": "object", "additionalProperties": False,
            "properties": {
                "day_offset": {"type": "integer", "minimum": -MAX_DAY_OFFSET,
                               "maximum": MAX_DAY_OFFSET, "x-slot": "day",
                               "description": "days from today: 0 today, 1 tomorrow, "
                                              "-1 yesterday"},
            },
        },
        output_schema={"type": "object", "properties": {
            "date": {"type": "string", "description": "ISO 8601 date"},
            "weekday": {"type": "string"}, "day_offset": {"type": "integer"}}},
        examples=("what's the date", "what is today's date", "what day is it today",
                  "what's the date today", "which day is it", "today's date",
                  "what's the date {day_offset}", "what is the date {day_offset}",
                  "what day is it {day_offset}", "what day was it {day_offset}",
                  "what date is it {day_offset}", "what's the date in {day_offset} days",
                  "what was the date {day_offset}", "what day is it in {day_offset} days",
                  "what day of the week is {day_offset}", "what will the date be {day_offset}",
                  "tell me the date", "what's today's date", "what date is it",
                  "which date is it today", "what is the date today", "what's the day today",
                  "today's date please"),
    )

    def __init__(self, now: Now = _now) -> None:
        self._now = now

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        offset = int(args.get("day_offset", 0))
        d = self._now().date() + dt.timedelta(days=offset)
        return {"date": d.isoformat(), "weekday": _WEEKDAYS[d.weekday()],
                "weekday_index": d.weekday(),
                "day_offset": offset, "year": d.year, "month": d.month, "day": d.day,
                "speech": _said_day(offset, d)}
