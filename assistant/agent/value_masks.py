"""Typed values masked up front (the first duration, clock time and day become one token
each, so every example phrase sees them the same way), and the words said on top of a
command rather than against it: which monitor, and why ("… so the baby can sleep")."""

from __future__ import annotations

import re

from assistant.agent.numbers import (
    MORE_WORDS,
    TIME_UNIT_WORDS,
    find_clock_time_in,
    find_duration_in,
    is_number_word,
)
from assistant.agent.tokens import DAY, DURATION, TIME, TIMER_NOUNS, Token
from assistant.builtins.clock import find_day_offset_in


def mask_values(tokens: list[Token]) -> list[Token]:
    """Replace the first duration, the first clock time and the first day other than
    today ("tomorrow", "in two weeks") by one typed token each."""
    words = [t.text for t in tokens]
    spans: list[tuple[int, int, str, str, object]] = []
    duration = find_duration_in(words)
    if duration and (_converted(words[duration.end:]) or _asked_in(words[:duration.start])):
        duration = None  # "90 minutes in hours": a quantity to convert, not a delay
    if duration and _names_a_timer(words, duration.start, duration.end):
        duration = None  # "pause the 10 minute timer": its name, not a time to set
    if duration:
        spans.append((duration.start, duration.end, DURATION, "duration", duration.seconds))
    clock = find_clock_time_in(words)
    if clock and not _overlaps(spans, clock.start, clock.end):
        spans.append((clock.start, clock.end, TIME, "time", clock.hhmm))
    day = find_day_offset_in(words)
    # today is what a date question means anyway ("what is today's date" stays as said)
    if day and day.days and not _overlaps(spans, day.start, day.end) \
            and not _asked_in(words[:day.start] + words[day.start:day.start + 1]):
        spans.append((day.start, day.end, DAY, "day", day.days))
    out = list(tokens)
    for start, end, text, kind, value in sorted(spans, reverse=True):
        masked = [Token(text, tokens[start].start, tokens[end - 1].end, kind, value)]
        # "15 more minutes" is "15 minutes more": the "more" still asks for a change
        masked += [Token("more", t.start, t.end) for t in tokens[start:end]
                   if kind == "duration" and t.text in MORE_WORDS]
        out[start:end] = masked
        if kind == "duration" and start > 0 and out[start - 1].text == "after":
            # "remind me after 2 hours to …" is "in 2 hours"
            out[start - 1] = Token("in", out[start - 1].start, out[start - 1].end)
    return out


_SCREENS = r"(?:monitor|screen|display)"
_WHOSE = r"(?:the |my |her |his |their |your )"
_PLACE = re.compile(rf"(?:^| )((?:(?:on|in|from) )?{_WHOSE}?(?:(?:first|second|third|fourth|"
                    rf"1st|2nd|3rd|4th|left|right|other) {_SCREENS}|{_SCREENS}"
                    r" (?:number )?(?:\d|one|two|three|four))|(?:in|on|from) (?:the |my )?"
                    r"(?:screen )?region \d+"
                    # "… of the active window": which window, said on top as well
                    r"|(?:in|on|of|from) (?:the |my )?(?:active|current|focused) window)(?= |$)")


def screen_place_tokens(words: list[str]) -> set[int]:
    """Indices of the words saying which monitor, region or window ("on monitor 2", "in
    the second screen", "of the active window"): said on top of a screen command, they
    are no extra words."""
    said = " ".join(words)
    out: set[int] = set()
    for found in _PLACE.finditer(said):
        first = said[:found.start(1)].count(" ")
        out.update(range(first, first + found.group(1).count(" ") + 1))
    return out


def said_on_top(words: list[str]) -> set[int]:
    """Indices of words said on top of a command, not against it: which monitor, and
    why ("read the text on monitor 2", "volume to 15 so the baby stays asleep")."""
    return screen_place_tokens(words) | why_tail_tokens(words)


_WHY = {"so", "because", "since"}
# … and these when someone does something then: "… until I come back", "… while I cook"
_WHILE = {"as", "until", "till", "while", "whilst", "then"}
_SUBJECTS = {"i", "we", "it", "you", "he", "she", "they"}
# … and these when someone else does something then: "… before my son takes me there"
_WHEN = {"before", "when", "once"}
_SOMEONE = _SUBJECTS | {"my", "our", "his", "her", "their"}
# what a sum is for: "15 percent of 86 for the tip"
_FOR_WHAT = {"the", "a", "an", "my", "our", "this"}
# a statement said after the request: "cancel the pizza timer they are done"
_STATED = {"they", "it", "we", "i", "she", "he"}
_BE = {"are", "is", "am", "was", "were"}


def why_tail_tokens(words: list[str]) -> set[int]:
    """Indices of a reason said after the request ("volume to 15 so the baby stays
    asleep", "… because I am cooking", "… 2450 divided by 7 for the apportionment"):
    words on top of a command, not against it."""
    for k in range(2, len(words) - 1):
        if words[k] in _WHY or words[k] in _WHILE and words[k + 1] in _SUBJECTS \
                or words[k] in _WHEN and words[k + 1] in _SOMEONE \
                or words[k] == "for" and words[k + 1] in _FOR_WHAT \
                and is_number_word(words[k - 1]) \
                or k >= 3 and words[k] in _STATED and words[k + 1] in _BE \
                and words[k - 1] not in ("and", "but", "or", "so", "that"):
            return set(range(k, len(words)))
    return set()


_THE = {"the", "my", "that", "this"}
_SETTING = {"set", "start", "make", "create", "begin", "run", "want", "need"}


def _names_a_timer(words: list[str], start: int, end: int) -> bool:
    """"the 5 minute timer": a length said between "the" and "timer" names a timer
    (unless it is to be set: "start the 10 minute timer")."""
    return start > 0 and words[start - 1] in _THE and end < len(words) \
        and words[end] in TIMER_NOUNS and (start < 2 or words[start - 2] not in _SETTING)


# Units of time a duration may be converted into ("… in hours", "… to mins"): a
# duration's own units, and the longer and shorter ones no duration is said in.
_TIME_UNITS = TIME_UNIT_WORDS | {"day", "days", "week", "weeks", "month", "months", "year",
                                 "years", "millisecond", "milliseconds", "ms"}


def _converted(after: list[str]) -> bool:
    """Whether the words after a duration ask to convert it: "in hours", "into days"."""
    return len(after) == 2 and after[0] in ("in", "into", "to") and after[1] in _TIME_UNITS


def _asked_in(before: list[str]) -> bool:
    """Whether the words before a quantity of time ask what it is in another unit of
    time: "how many seconds are in [3 days]", "hours in [2 weeks]"."""
    if not before or before[-1] != "in":
        return False
    rest = before[:-1]
    while rest and rest[-1] in ("are", "is", "there"):
        rest = rest[:-1]
    return bool(rest) and rest[-1] in _TIME_UNITS


def _overlaps(spans: list[tuple], start: int, end: int) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end, *_ in spans)
