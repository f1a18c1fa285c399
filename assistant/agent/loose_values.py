"""Values said away from where a tool's examples put them: which monitor or region a
screen command is about ("read the text on monitor 2"), and a timer's name said on its
own ("countdown 15 minutes, call it standup", "is the egg timer done")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from assistant.agent.numbers import find_duration, parse_number, tokenize
from assistant.agent.slots import LABEL_STOP, POLITE_WORDS, choice_values
from assistant.agent.tokens import Token

_NTH = {"1": 1, "2": 2, "3": 3, "4": 4, "one": 1, "two": 2, "three": 3, "four": 4,
        "first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_SCREEN_WORD = r"(?:monitor|screen|display)"
_MONITOR_AFTER = re.compile(rf"\b{_SCREEN_WORD}\s+(?:number\s+|no\.?\s*|#\s*)?"
                            r"(\d|one|two|three|four)\b(?!\s*(?:[:.,]\d|seconds?|minutes?|x\b))",
                            re.IGNORECASE)
_MONITOR_BEFORE = re.compile(rf"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+{_SCREEN_WORD}\b",
                             re.IGNORECASE)
_REGION = re.compile(r"\bregion\s*(?:at\s*)?\(?\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(\d+)\s*,\s*(\d+)",
                     re.IGNORECASE)


def screen_target_said(text: str) -> str | None:
    """"monitor:2" for "on monitor 2" / "the second screen", "region:0,0,800,600" for
    "the region 0,0,800,600"; None when neither was said."""
    if found := _REGION.search(text):
        return "region:" + ",".join(found.groups())
    found = _MONITOR_AFTER.search(text) or _MONITOR_BEFORE.search(text)
    return f"monitor:{_NTH[found.group(1).lower()]}" if found else None


# "is the 10 minute timer still running", "how much time has the egg timer still"
_THE_NAME_TIMER = re.compile(r"(?:\b(?:the|my|a|an)\s+|^)((?:\d+\s+(?:hour|minute|second)s?|"
                             r"[^\W\d][\w-]*))\s+timer\b", re.IGNORECASE)
_NAMED_LABEL = re.compile(
    r"(?:\b(?:call|label|name)\s+it\s+|\b(?:called|named|labell?ed|with\s+the\s+name)\s+)"
    r"[\"'“‘]?([^\W\d][\w-]*)", re.IGNORECASE)
_TIMER_THEN_NAME = re.compile(r"^(?:pause|resume|unpause|continue|cancel|stop|delete|remove|"
                              r"check)\s+timer\s+[\"'“‘]?([^\W\d][\w-]*)[\"'”’]?[.!?]*$",
                              re.IGNORECASE)
# "timer 15 min iv check": a terse timer's name after its length
_TIMER_LENGTH_NAME = re.compile(
    r"^(?:set\s+(?:a\s+)?)?timer\s+(?:for\s+)?\d+\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|"
    r"hours?)\s+(?:(?:label|name|called|named)\s+)?([^\W\d][\w-]*(?:\s+[^\W\d][\w-]*){0,2})"
    r"[.!]*$", re.IGNORECASE)
_NOT_A_NAME = {"next", "first", "second", "last", "other", "same", "only", "whole", "old",
               "me", "us", "you", "now", "later", "today", "tonight", "tomorrow", "half",
               "quarter", "hour", "hours", "minute", "minutes", "seconds", "min",
               "mins", "sec", "secs", "hr", "hrs", "countdown", "exactly", "about", "around",
               "quick", "short", "long", "little", "simple", "kitchen",
               # a verb said before "timer" at the start: "pause timer"
               "pause", "resume", "unpause", "continue", "check", "show", "list", "reset",
               "restart", "remove", "kill", "end", "clear", "add", "extend", "get", "how"}
# "a 10 minute timer for my laundry", "delete the timer for pasta": what it is for
_TIMER_FOR = re.compile(r"\btimers?\b([^,.;!?]*)", re.IGNORECASE)
_FOR_NAME = re.compile(r"\b(?:for|of)\s+(?:(?:the|my|our|her|his|their)\s+)?([^\W\d][\w-]*)",
                       re.IGNORECASE)


def label_said(text: str, lengths: Iterable[object] = ()) -> str | None:
    """A timer's name said apart from where examples put it: "…, call it standup", "a
    timer with the name laundry", "pause timer deploy", "is the egg timer done". Not a
    length among `lengths` (seconds): "start the 10 minute timer" sets one, unnamed."""
    found = _NAMED_LABEL.search(text) or _TIMER_THEN_NAME.match(text.strip()) \
        or _TIMER_LENGTH_NAME.match(text.strip()) or _THE_NAME_TIMER.search(text)
    name = found.group(1).lower() if found else _timer_for(text)
    if not _a_name(name):
        return None
    length = find_duration(name)
    return None if length is not None and length.seconds in set(lengths) else name


def _a_name(word: str | None) -> bool:
    if not word or word in LABEL_STOP | _NOT_A_NAME | POLITE_WORDS:
        return False
    words = tokenize(word)  # a number alone ("forty-five") is no name; "10 minute" is
    number = parse_number(words, 0)
    return number is None or number[1] < len(words)


def _timer_for(text: str) -> str | None:
    after = _TIMER_FOR.search(text)
    names = (m.group(1).lower() for m in _FOR_NAME.finditer(after.group(1) if after else ""))
    return next((name for name in names if _a_name(name)), None)


def shaped_path(slots: dict[str, str], text: str, tokens: list[Token],
                args: dict[str, Any]) -> dict[str, Any]:
    """A file or folder written as a path anywhere ("give us a read of ~/notes.txt")
    for a tool's one path slot that the example that won left empty."""
    names = [name for name, kind in slots.items() if kind == "path"]
    if len(names) != 1 or names[0] in args:
        return {}
    said = [t for t in tokens if t.kind in ("path", "file")
            and not any(isinstance(v, str) and text[t.start:t.end] in v for v in args.values())]
    return {names[0]: text[said[0].start:said[0].end]} if len(said) == 1 else {}


def said_number(slots: dict[str, str], props: dict[str, Any], tokens: list[Token],
                args: dict[str, Any]) -> dict[str, Any]:
    """The one number said ("bump the volume up by 30", "the last five notes") for a
    tool's one number slot that the example that won left empty."""
    names = [name for name, kind in slots.items() if kind == "number"]
    if len(names) != 1:
        return {}
    prop, had = props.get(names[0], {}), args.get(names[0])
    # a value the schema's default stood in for ("louder" → 10) is no value said
    if had is not None and not (isinstance(had, int | float) and "default" in prop
                                and abs(had) == prop["default"]):
        return {}
    words, numbers, k = [t.text for t in tokens], [], 0
    while k < len(words):
        found = parse_number(words, k) if words[k] not in ("a", "an") else None
        numbers += [found[0]] if found else []
        k += found[1] if found else 1
    if len(numbers) != 1:
        return {}
    number = int(numbers[0]) if prop.get("type") == "integer" else numbers[0]
    return {names[0]: -number if had is not None and had < 0 else number}


def said_anywhere(props: dict[str, Any], text: str, tokens: list[Token]) -> dict[str, Any]:
    """The arguments words said anywhere in `text` set: "x-words" choices, the screen
    target ("… on monitor 2") and a place "there" stands for."""
    return {**choice_values(props, tokens), **screen_targets(props, text),
            **places_there(props, text)}


# "I'm travelling to Edinburgh …; what's the weather like there": the place named before
_PLACE_THEN_THERE = re.compile(r"\b(?:to|in|at|visiting)\s+((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)"
                               r"{0,2})\b.*\bthere\b", re.DOTALL)


def places_there(props: dict[str, Any], text: str) -> dict[str, str]:
    """The "x-there" argument a place named earlier sets when the request says "there"."""
    names = [name for name, prop in props.items() if prop.get("x-there")]
    found = _PLACE_THEN_THERE.search(text) if names else None
    return dict.fromkeys(names, found.group(1)) if found else {}


def screen_targets(props: dict[str, Any], text: str) -> dict[str, str]:
    """The "x-screen-target" arguments a monitor or a region said in `text` sets."""
    names = [name for name, prop in props.items() if prop.get("x-screen-target")]
    where = screen_target_said(text) if names else None  # most tools take no screen
    return dict.fromkeys(names, where) if where else {}
