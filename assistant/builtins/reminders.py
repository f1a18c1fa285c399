"""The built-in set_reminder: when ("in 10 minutes", "at 18:30") and what. The reminder is
kept by scheduling/reminder_store.py and fired by the scheduler ("Reminder: call Sam.")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.agent.numbers import spoken_duration
from assistant.builtins.clock import spoken_time
from assistant.scheduling.reminder_store import ReminderStore
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

MAX_REMINDER_S = 366 * 24 * 3600
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_at(text: str, now: dt.datetime) -> dt.datetime:
    """`at` as an aware local datetime: an ISO date-time ("2025-05-01T09:30", naive =
    local time) or a clock time ("18:30", "7:30 pm", "7pm"), which means its next
    occurrence (tomorrow when it has already passed today)."""
    raw = text.strip().lower()
    match = _CLOCK.match(raw)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        half = (match.group(3) or "").replace(".", "")
        if half:
            if not 1 <= hour <= 12:
                raise _bad_time(text)
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour > 23 or minute > 59:
            raise _bad_time(text)
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return when if when > now else when + dt.timedelta(days=1)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise _bad_time(text) from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo)
    return when


def _bad_time(text: str) -> ToolError:
    return ToolError("reminder.bad_time", f"I don't understand the time {text!r}.",
                     "say a time like 18:30 or 7:30 pm, or a date like 2025-05-01T09:30")


def spoken_when(when: dt.datetime, now: dt.datetime) -> str:
    days = (when.date() - now.date()).days
    clock = spoken_time(when)
    if days == 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"on {when:%A} at {clock}"
    return f"on {when:%B} {when.day} at {clock}"


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


class SetReminder:
    manifest = ToolManifest(
        name="set_reminder", title="Set a reminder", builtin=True, effects="write",
        description="Remind the user of something later, out loud. Give the text and "
                    "exactly one of: seconds from now, or `at` (an ISO date-time, or a "
                    "clock time like 18:30 meaning its next occurrence).",
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": 500, "x-slot": "text",
                         "x-message": True, "x-sheds-reasons": True,
                         "description": "what to remind the user of"},
                "seconds": {"type": "integer", "minimum": 1, "maximum": MAX_REMINDER_S,
                            "x-slot": "duration", "description": "delay from now"},
                "at": {"type": "string", "maxLength": 40, "x-slot": "time",
                       "description": "ISO 8601 date-time or HH:MM (local time)"},
            },
        },
        output_schema={"type": "object", "properties": {"reminder": {"type": "object"}}},
        examples=("remind me to {text} in {seconds}", "remind me in {seconds} to {text}",
                  "i need to remember to {text} in {seconds}",
                  "i have to remember to {text} at {at}",
                  "remind me in {seconds} {text}",
                  "remind me at {at} to {text}", "remind me to {text} at {at}",
                  "set a reminder to {text} in {seconds}",
                  "set a reminder for {at} to {text}", "in {seconds} remind me to {text}",
                  "give me a reminder in {seconds} to {text}",
                  "nudge me in {seconds} to {text}", "remind me about {text} at {at}",
                  "don't let me forget to {text} in {seconds}",
                  "ping me at {at} to {text}",
                  "remind me at {at} about {text}", "remind me about {text} in {seconds}",
                  "at {at} remind me to {text}", "set a reminder at {at} for {text}",
                  "set a reminder for {at} {text}", "make a reminder for {at} {text}",
                  "can you remind me to {text} in {seconds}", "alert me at {at} to {text}",
                  "remind me {at} to {text}", "in {seconds} tell me to {text}",
                  "reminder at {at} {text}", "give me a nudge at {at} to {text}",
                  "tell me to {text} in {seconds}", "reminder in {seconds} {text}"),
    )

    def __init__(self, store: ReminderStore, now: Callable[[], dt.datetime] = _now) -> None:
        self._store = store
        self._now = now

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        text = re.sub(r"^(?:to|that)\s+", "", args["text"].strip(), flags=re.IGNORECASE)
        if not text:
            raise ToolError("reminder.no_text", "What should I remind you of?",
                            "say, for example: remind me in ten minutes to call Sam")
        seconds, at = args.get("seconds"), (args.get("at") or "").strip()
        if seconds is not None and at:
            raise ToolError("reminder.two_times", "Should I remind you after a delay or at "
                            "a time? I got both.", "give either seconds or at, not both")
        now = self._now()
        if seconds is not None:
            when = now + dt.timedelta(seconds=int(seconds))
            spoken = f"in {spoken_duration(int(seconds))}"
        elif at:
            when = parse_at(at, now)
            if when <= now:
                raise ToolError("reminder.in_past", f"{at} has already passed.",
                                "give a time in the future")
            if (when - now).total_seconds() > MAX_REMINDER_S:
                raise ToolError("reminder.too_far", "That is more than a year away.",
                                "set a reminder within the next year")
            spoken = spoken_when(when, now)
        else:
            raise ToolError("reminder.no_time", "When should I remind you?",
                            "say, for example: remind me in ten minutes to call Sam")
        r = self._store.add(text, when.timestamp())
        return {"reminder": r.to_dict(),
                "speech": f"OK, I'll remind you {spoken}: {text.rstrip('.!?')}."}
