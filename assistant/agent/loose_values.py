"""Values said away from where a tool's examples put them: which monitor or region a
screen command is about ("read the text on monitor 2"), and a timer's name said on its
own ("countdown 15 minutes, call it standup", "is the egg timer done")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from assistant.agent.numbers import find_duration
from assistant.agent.slots import LABEL_STOP, POLITE_WORDS

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
_THE_NAME_TIMER = re.compile(r"\b(?:the|my)\s+((?:\d+\s+(?:hour|minute|second)s?|[^\W\d][\w-]*))"
                             r"\s+timer\b", re.IGNORECASE)
_NAMED_LABEL = re.compile(
    r"(?:\b(?:call|label|name)\s+it\s+|\b(?:called|named|labell?ed|with\s+the\s+name)\s+)"
    r"[\"'“‘]?([^\W\d][\w-]*)", re.IGNORECASE)
_TIMER_THEN_NAME = re.compile(r"^(?:pause|resume|unpause|continue|cancel|stop|delete|remove|"
                              r"check)\s+timer\s+([^\W\d][\w-]*)[.!?]*$", re.IGNORECASE)
_NOT_A_NAME = {"next", "first", "second", "last", "other", "same", "only", "whole", "old"}


def label_said(text: str, lengths: Iterable[object] = ()) -> str | None:
    """A timer's name said apart from where examples put it: "…, call it standup", "a
    timer with the name laundry", "pause timer deploy", "is the egg timer done". Not a
    length among `lengths` (seconds): "start the 10 minute timer" sets one, unnamed."""
    found = _NAMED_LABEL.search(text) or _TIMER_THEN_NAME.match(text.strip()) \
        or _THE_NAME_TIMER.search(text)
    name = found.group(1).lower() if found else None
    if not name or name in LABEL_STOP | _NOT_A_NAME or name in POLITE_WORDS:
        return None
    length = find_duration(name)
    return None if length is not None and length.seconds in set(lengths) else name


def screen_targets(props: dict[str, Any], text: str) -> dict[str, str]:
    """The "x-screen-target" arguments a monitor or a region said in `text` sets."""
    names = [name for name, prop in props.items() if prop.get("x-screen-target")]
    where = screen_target_said(text) if names else None  # most tools take no screen
    return dict.fromkeys(names, where) if where else {}
