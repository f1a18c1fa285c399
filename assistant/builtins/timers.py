"""The built-in timer tools set_timer, list_timers, cancel_timer, pause_timer,
resume_timer and change_timer (the store is scheduling/timer_store.py; the scheduler
fires them)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from assistant.agent.numbers import spoken_duration
from assistant.scheduling.timer_store import (
    MAX_TIMER_S,
    Timer,
    TimerState,
    TimerStore,
    timer_name,
    timer_names,
)
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

log = logging.getLogger(__name__)

_LABEL = {"type": "string", "maxLength": 60, "x-slot": "label", "x-names": "timer",
          "description": "the timer's name, e.g. \"egg\" (or its length, \"5 minute\")"}
# Router hints (read by the router, ignored by JSON Schema): an argument a spoken word
# sets rather than a slot holds. "cancel all timers" → all=true; "take 2 minutes off the
# timer" → seconds=-120.
_ALL_WORDS = ["all", "every", "both"]
_REMOVE_WORDS = ["off", "remove", "subtract", "minus", "less", "fewer", "shorten", "reduce",
                 "cut", "away", "decrease", "shorter"]


def _schema(**props: Any) -> dict[str, Any]:
    required = [k for k, v in props.items() if v.pop("required", False)]
    schema = {"type": "object", "additionalProperties": False, "properties": props}
    return {**schema, "required": required} if required else schema


class _TimerTool:
    def __init__(self, store: TimerStore) -> None:
        self._store = store


class SetTimer(_TimerTool):
    manifest = ToolManifest(
        name="set_timer", title="Set a timer", builtin=True, effects="write",
        description="Start a countdown timer, optionally with a name.",
        input_schema=_schema(
            seconds={"type": "integer", "minimum": 1, "maximum": MAX_TIMER_S,
                     "x-slot": "duration", "description": "length in seconds",
                     "required": True},
            label=dict(_LABEL)),
        examples=("set a timer for {seconds}", "set a {label} timer for {seconds}",
                  "set an {label} timer for {seconds}", "start an {label} timer for {seconds}",
                  "start a timer for {seconds}", "start a {seconds} timer",
                  "timer for {seconds}", "set a {seconds} timer",
                  "set a timer for {seconds} called {label}",
                  "start a {seconds} {label} timer", "give me a {seconds} {label} timer",
                  "count down {seconds}",
                  "i need a timer for {seconds}", "make a timer for {seconds}",
                  "make a {seconds} timer", "timer {seconds} for {label}",
                  "set a timer for {seconds} for the {label}", "put a timer on for {seconds}",
                  "put a {seconds} timer on",
                  "time {seconds} for me", "countdown {seconds}",
                  "a {seconds} timer for the {label}", "make a {label} timer for {seconds}",
                  "start counting down {seconds}",
                  "can i have a {seconds} timer", "set a timer for {seconds} and call it {label}",
                  "set a timer for {seconds} and name it {label}",
                  "a {seconds} countdown for {label}", "start a {seconds} timer for {label}"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        t = self._store.add(int(args["seconds"]), args.get("label", "").strip())
        what = f"{t.label} timer" if t.label else "timer"
        return {"timer": t.to_dict(self._store.now()),
                "speech": f"OK, {what} set for {spoken_duration(t.duration_s)}."}


def _status(t: Timer, now: float) -> str:
    left = spoken_duration(max(1, round(t.remaining_s(now))))
    if t.state == TimerState.PAUSED:
        return f"Your {timer_name(t)} is paused with {left} left."
    return f"Your {timer_name(t)} has {left} left."


class ListTimers(_TimerTool):
    manifest = ToolManifest(
        name="list_timers", title="Timer status", builtin=True,
        description="Say which timers are running or paused and how long each has left.",
        input_schema=_schema(label=dict(_LABEL)),
        examples=("what timers do i have", "list my timers", "how much time is left",
                  "how long is left on my timer", "show timers", "are there any timers",
                  "how long until the timer goes off", "when will my timer go off",
                  "how much time is left on the {label} timer",
                  "how long is left on the {label} timer", "timer status",
                  "how is my timer doing", "how is the {label} timer doing",
                  "is the {label} timer done", "is my timer finished", "is the timer nearly done",
                  "how long to go on the {label} timer", "how long left on the timer",
                  "how much longer on the {label} timer", "how much longer on the timer",
                  "check on the {label} timer", "any timers running",
                  "what's left on the timer", "how far along is the {label} timer",
                  "when is the {label} timer done",
                  "how much time does the {label} timer have left",
                  "how long left on the {label}", "how much time remains on the {label} timer"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        label = args.get("label", "").strip()
        now = self._store.now()
        timers = self._store.choose("check", label, every=True) if label else \
            self._store.pending()
        parts = [_status(t, now) for t in timers]
        if not timers:
            speech = "You have no timers running."
        elif len(timers) == 1:
            speech = parts[0]
        else:  # a short first sentence: it is spoken while the rest is synthesized
            speech = " ".join([f"You have {len(timers)} timers.", *parts])
        return {"timers": [t.to_dict(now) for t in timers], "speech": speech}


class CancelTimer(_TimerTool):
    manifest = ToolManifest(
        name="cancel_timer", title="Cancel timers", builtin=True, effects="write",
        description="Cancel the timer with this name, or every timer with all=true.",
        input_schema=_schema(
            label=dict(_LABEL),
            all={"type": "boolean", "description": "cancel every timer",
                 "x-true-when-said": _ALL_WORDS}),
        examples=("cancel the timer", "cancel my timer", "stop the timer",
                  "cancel the {label} timer", "delete the {label} timer", "cancel all timers",
                  "remove the timer",
                  "stop the {label} timer", "cancel all my timers", "stop all timers",
                  "cancel every timer", "turn off the {label} timer",
                  "get rid of the timer", "get rid of the {label} timer",
                  "kill the timer", "scrap the {label} timer", "i do not need the {label} timer",
                  "forget the timer", "forget about the {label} timer",
                  "remove the timer", "switch off the timer", "end the {label} timer",
                  "abort the timer", "no more timer", "clear the {label} timer",
                  "clear all timers"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        every = bool(args.get("all"))
        label = args.get("label", "").strip()
        if every and label.lower() in _ALL_WORDS:  # "cancel every timer": no name said
            label = ""
        timers = self._store.choose("cancel", label, every)
        cancelled = self._store.cancel_these(timers)
        if not cancelled:  # fired or cancelled elsewhere in the meantime
            raise ToolError("timer.not_found", "There is no timer running.")
        names = timer_names(cancelled, article="")  # "tea timer", "two 5-minute timers"
        several = len({timer_name(t) for t in cancelled}) >= 3
        speech = f"Cancelled your {len(cancelled)} timers." if several else \
            f"Cancelled your {names}."
        now = self._store.now()
        return {"cancelled": [t.to_dict(now) for t in cancelled], "count": len(cancelled),
                "speech": speech}


class PauseTimer(_TimerTool):
    manifest = ToolManifest(
        name="pause_timer", title="Pause a timer", builtin=True, effects="write",
        description="Pause a running timer; it keeps the time it has left.",
        input_schema=_schema(label=dict(_LABEL)),
        examples=("pause the timer", "pause my timer", "pause the {label} timer",
                  "pause timer", "hold the timer", "put the {label} timer on hold",
                  "freeze the timer",
                  "hold the {label} timer", "freeze the {label} timer", "put the timer on hold",
                  "pause the countdown", "stop the {label} timer for a moment",
                  "pause the {label} timer for now", "hold the countdown",
                  "halt the timer for now", "stop the {label} timer for now"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        timers = self._store.choose("pause", args.get("label", "").strip(),
                                    states=(TimerState.RUNNING,))
        paused = self._store.pause(timers)
        if not paused:  # it came due while we were looking
            raise ToolError("timer.not_found", "There is no timer running.")
        now = self._store.now()
        speech = " ".join(_status(t, now) for t in paused)
        return {"paused": [t.to_dict(now) for t in paused], "speech": speech}


class ResumeTimer(_TimerTool):
    manifest = ToolManifest(
        name="resume_timer", title="Resume a timer", builtin=True, effects="write",
        description="Start a paused timer again from where it stopped.",
        input_schema=_schema(label=dict(_LABEL)),
        examples=("resume the timer", "resume my timer", "resume the {label} timer",
                  "unpause the timer", "unpause the {label} timer", "continue the timer",
                  "continue the {label} timer", "start the timer again",
                  "carry on with the timer", "keep the timer going",
                  "start the {label} timer again", "unfreeze the timer",
                  "let the timer run again", "resume the countdown", "continue the countdown",
                  "restart the paused {label} timer", "get the {label} timer going again",
                  "put the {label} timer back on", "{label} timer back on",
                  "the timer can continue", "start the {label} timer again where it stopped",
                  "pick up the {label} timer where it left off"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        timers = self._store.choose("resume", args.get("label", "").strip(),
                                    states=(TimerState.PAUSED,))
        resumed = self._store.resume(timers)
        if not resumed:
            raise ToolError("timer.not_paused", "There is no paused timer.")
        now = self._store.now()
        speech = " ".join(
            f"Resumed your {timer_name(t)}: {spoken_duration(max(1, round(t.remaining_s(now))))}"
            " left." for t in resumed)
        return {"resumed": [t.to_dict(now) for t in resumed], "speech": speech}


class ChangeTimer(_TimerTool):
    manifest = ToolManifest(
        name="change_timer", title="Add or remove time", builtin=True, effects="write",
        description="Add time to a timer, or remove time with negative seconds.",
        input_schema=_schema(
            seconds={"type": "integer", "minimum": -MAX_TIMER_S, "maximum": MAX_TIMER_S,
                     "x-slot": "duration", "x-negative-when-said": _REMOVE_WORDS,
                     "description": "seconds to add; negative removes time (not 0)",
                     "required": True},
            label=dict(_LABEL)),
        examples=("add {seconds} to the timer", "add {seconds} to my timer",
                  "add {seconds} to the {label} timer", "add another {seconds} to the timer",
                  "add {seconds} onto the {label} timer", "add {seconds} more onto {label}",
                  "put {seconds} more on the timer", "extend the timer by {seconds}",
                  "take {seconds} off the timer", "take {seconds} off the {label} timer",
                  "remove {seconds} from the timer", "remove {seconds} from the {label} timer",
                  "subtract {seconds} from the timer", "take {seconds} off",
                  "knock {seconds} off the timer", "knock {seconds} off the {label} timer",
                  "give the {label} timer {seconds} more", "give the timer another {seconds}",
                  "give me {seconds} more on the timer",
                  "put another {seconds} on the {label} timer", "add {seconds} more to the timer",
                  "{seconds} more on the timer", "make the timer {seconds} longer",
                  "make the {label} timer {seconds} longer",
                  "cut {seconds} from the {label} timer",
                  "make the {label} timer {seconds} shorter",
                  "the {label} timer needs another {seconds}"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        seconds = int(args["seconds"])
        if seconds == 0:
            raise ToolError("timer.no_change", "How much time should I add or take off?")
        timers = self._store.choose("change", args.get("label", "").strip())
        changed = self._store.change(timers, seconds)
        if not changed:
            raise ToolError("timer.not_found", "There is no timer running.")
        now = self._store.now()
        how = "Added" if seconds > 0 else "Took"
        amount = spoken_duration(abs(seconds))
        where = "to" if seconds > 0 else "off"
        speech = " ".join(f"{how} {amount} {where} your {timer_name(t)}: "
                          f"{spoken_duration(max(1, round(t.remaining_s(now))))} left."
                          for t in changed)
        return {"timers": [t.to_dict(now) for t in changed], "seconds": seconds,
                "speech": speech}
