"""Built-in tools get_time and get_date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.tools.manifest import ToolManifest

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

Now = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def spoken_time(t: dt.datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def spoken_date(d: dt.date) -> str:
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


class GetTime:
    manifest = ToolManifest(
        name="get_time", title="Current time", builtin=True,
        description="Tell the current local time.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        output_schema={"type": "object", "properties": {"iso": {"type": "string"}}},
        examples=("what time is it", "what's the time", "tell me the time",
                  "what is the time now", "do you know what time it is", "current time"),
    )

    def __init__(self, now: Now = _now) -> None:
        self._now = now

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        t = self._now()
        return {"iso": t.isoformat(timespec="seconds"), "speech": f"It's {spoken_time(t)}."}


class GetDate:
    manifest = ToolManifest(
        name="get_date", title="Today's date", builtin=True,
        description="Tell today's date and weekday.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        output_schema={"type": "object", "properties": {"date": {"type": "string"}}},
        examples=("what's the date", "what is today's date", "what day is it today",
                  "what's the date today", "which day is it", "today's date"),
    )

    def __init__(self, now: Now = _now) -> None:
        self._now = now

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        d = self._now().date()
        return {"date": d.isoformat(), "speech": f"Today is {spoken_date(d)}."}
