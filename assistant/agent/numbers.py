"""Numbers and durations in words or digits: "two minutes and thirty seconds" → 150."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "oh": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000}
_FRACTIONS = {"half": 0.5, "quarter": 0.25}
_AND_HALF = (["and", "a", "half"], ["and", "half"])  # "one and half hour" (non-native)
_UNIT_SECONDS = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1, "s": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60, "m": 60,
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600, "h": 3600,
}
# the words of a duration's unit, spelled out ("mins", not "m"): what a duration may be
# converted into ("90 minutes in hrs")
TIME_UNIT_WORDS = frozenset(u for u in _UNIT_SECONDS if len(u) > 1)
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)


def tokenize(text: str) -> list[str]:
    """Lowercase words and numbers; '2.5' and '1,000' stay whole, '90s'→'90','s'."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    return re.findall(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?", text)


def parse_number(tokens: list[str], i: int) -> tuple[float, int] | None:
    """Parse a number starting at tokens[i]; return (value, tokens consumed)."""
    if i >= len(tokens):
        return None
    tok = tokens[i]
    if re.fullmatch(r"\d+(?:\.\d+)?", tok):
        value, j = float(tok), i + 1
        extra = _and_half(tokens, j)  # "1 and a half"
        return value + (0.5 if extra else 0), j + extra - i
    if tok not in _NUMBER_WORDS:
        return None
    total, current, j = 0.0, 0.0, i
    seen = False
    while j < len(tokens):
        t = tokens[j]
        if t in ("a", "an") and seen:
            break
        if t in _UNITS:
            if seen and current % 10 != 0 and current < 20 and t not in ("a", "an"):
                break  # "two three" is two numbers
            current += _UNITS[t]
        elif t in _TENS:
            if seen and current % 100 not in (0,):
                break
            current += _TENS[t]
        elif t in _SCALES:
            current = max(current, 1) * _SCALES[t]
            if _SCALES[t] >= 1000:
                total += current
                current = 0
        elif t == "and" and seen and j + 1 < len(tokens) and (
                tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS) and tokens[j + 1] not in (
                "a", "an"):
            pass  # "one hundred and five"
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    value = total + current
    extra = _and_half(tokens, j)
    return value + (0.5 if extra else 0), j + extra - i


def _and_half(tokens: list[str], j: int) -> int:
    """How many tokens of "and a half" / "and half" start at j (0 if none)."""
    for words in _AND_HALF:
        if tokens[j:j + len(words)] == words:
            return len(words)
    return 0


@dataclass(frozen=True)
class DurationMatch:
    seconds: int
    start: int  # token span [start, end)
    end: int


def find_duration(text: str) -> DurationMatch | None:
    """The first duration in `text`, summing its parts: "1 hour 20 minutes",
    "two minutes and thirty seconds", "half an hour", "an hour and a half", "90s"."""
    return find_duration_in(tokenize(text))


def find_duration_in(tokens: list[str]) -> DurationMatch | None:
    """`find_duration` over words already split (lowercase; spans index `tokens`)."""
    i = 0
    while i < len(tokens):
        match = _duration_at(tokens, i)
        if match:
            return match
        i += 1
    return None


def _duration_at(tokens: list[str], i: int) -> DurationMatch | None:
    total = 0.0
    j = i
    parts = 0
    last_unit_s = 0
    while j < len(tokens):
        # "and" joins the parts; whisper often hears it as "in" ("two minutes in thirty
        # seconds"), which only makes sense as a join when a smaller unit follows
        joined = parts and tokens[j] in ("and", "in") and tokens[j + 1:j + 3] != ["a", "half"]
        k = j + 1 if joined else j
        part = _duration_part(tokens, k)
        if part is None or (joined and tokens[j] == "in" and part[2] >= last_unit_s):
            break
        seconds, consumed, unit_s = part
        last_unit_s = unit_s
        total += seconds
        parts += 1
        j = k + consumed
        # "an hour and a half" / "two minutes and a half" / "an hour and half"
        extra = _and_half(tokens, j)
        if extra:
            total += 0.5 * unit_s
            j += extra
    tail = _unitless_tail(tokens, j, last_unit_s) if parts else None
    if tail:
        total, j = total + tail[0], j + tail[1]
    if not parts or total <= 0:
        return None
    return DurationMatch(int(round(total)), i, j)


MORE_WORDS = {"more", "extra", "additional"}


def _unitless_tail(tokens: list[str], j: int, unit_s: int) -> tuple[float, int] | None:
    """(seconds, tokens) of a whole number 1–59 said after hours or minutes without its
    own unit: "1 hour 15" is 75 minutes, "5 minutes 30" is 5½ minutes. Not when a unit
    or "more" follows it (that is another duration or a count)."""
    if unit_s not in (3600, 60):
        return None
    number = parse_number(tokens, j)
    if number is None:
        return None
    value, consumed = number
    after = tokens[j + consumed:j + consumed + 1]
    if value != int(value) or not 1 <= value <= 59 or tokens[j] in ("a", "an") or (
            after and (after[0] in _UNIT_SECONDS or after[0] in MORE_WORDS
                       or after[0] in _NOT_TIME_UNITS)):
        return None
    return value * unit_s / 60, consumed


def _duration_part(tokens: list[str], k: int) -> tuple[float, int, int] | None:
    """(seconds, tokens consumed, seconds per unit) for one "<number> <unit>" part."""
    if k >= len(tokens):
        return None
    # "half an hour", "a quarter of an hour", "quarter hour"
    j = k
    if tokens[j] in ("a", "an") and j + 1 < len(tokens) and tokens[j + 1] in _FRACTIONS:
        j += 1
    if tokens[j] in _FRACTIONS:
        frac = _FRACTIONS[tokens[j]]
        m = j + 1
        while m < len(tokens) and tokens[m] in ("a", "an", "of"):
            m += 1
        if m < len(tokens) and tokens[m] in _UNIT_SECONDS and len(tokens[m]) > 1:
            unit_s = _UNIT_SECONDS[tokens[m]]
            return frac * unit_s, m + 1 - k, unit_s
        return None
    number = parse_number(tokens, k)
    if number is None:
        return None
    value, consumed = number
    m = k + consumed
    # "15 more minutes": the unit still follows
    if tokens[m:m + 1] and tokens[m] in MORE_WORDS and tokens[m + 1:m + 2] \
            and tokens[m + 1] in _UNIT_SECONDS and len(tokens[m + 1]) > 1:
        m += 1
    if m < len(tokens) and tokens[m] in _UNIT_SECONDS:
        # single letters ("5 m") only right after digits
        if len(tokens[m]) == 1 and not re.fullmatch(r"\d+(?:\.\d+)?", tokens[m - 1]):
            return None
        unit_s = _UNIT_SECONDS[tokens[m]]
        return value * unit_s, m + 1 - k, unit_s
    return None


@dataclass(frozen=True)
class ClockMatch:
    hhmm: str  # "18:30", as said (no am/pm → the hour as given)
    start: int  # token span [start, end)
    end: int


_MERIDIEM = {"am": 0, "pm": 12}
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}


# A number said before one of these is a quantity, not an hour ("at twenty percent").
_NOT_TIME_UNITS = {"percent", "%", "per", "degrees", "degree", "points", "point", "times"}


def find_clock_time_in(tokens: list[str]) -> ClockMatch | None:
    """The first time of day: "18:30", "6 pm", "six thirty p.m.", "7 o'clock", "noon",
    "at 6". Tokens as from `tokenize`, except that "18:30" may be one token."""
    for i, tok in enumerate(tokens):
        if tok in _NAMED_TIMES:
            return ClockMatch(_NAMED_TIMES[tok], i, i + 1)
        found = _clock_at(tokens, i)
        if found:
            return found
    return None


def _past_to(tokens: list[str], i: int) -> tuple[int, int, int] | None:
    """(hour, minute, end) for "half past six", "quarter to eight", "ten past nine"."""
    if tokens[i] in ("half", "quarter"):
        minute, j = (30 if tokens[i] == "half" else 15), i + 1
    else:
        number = parse_number(tokens, i)
        if number is None or number[0] != int(number[0]) or not 0 < number[0] < 60:
            return None
        minute, j = int(number[0]), i + number[1]
        j += tokens[j:j + 1] in (["minutes"], ["minute"])
    way = tokens[j] if j < len(tokens) else ""
    hour = parse_number(tokens, j + 1) if way in ("past", "after", "to", "till") else None
    if hour is None or hour[0] != int(hour[0]) or not 1 <= hour[0] <= 12 or (
            way not in ("past", "after") and tokens[i] == "half"):
        return None
    end = j + 1 + hour[1]  # "from five to ten" is no time: a number needs more said
    if tokens[i] not in ("half", "quarter") and tokens[j - 1] not in ("minute", "minutes") \
            and not (i > 0 and tokens[i - 1] == "at") \
            and _meridiem(tokens, end) is None and _part_of_day(tokens, end) is None:
        return None
    if way in ("past", "after"):
        return int(hour[0]), minute, end
    return int(hour[0]) - 1 or 12, 60 - minute, end


def _clock_at(tokens: list[str], i: int) -> ClockMatch | None:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", tokens[i])
    past_to = None if m else _past_to(tokens, i)
    if m:
        hour, minute, j = int(m.group(1)), int(m.group(2)), i + 1
    elif past_to:
        hour, minute, j = past_to
    else:
        number = parse_number(tokens, i)
        if number is None or number[0] != int(number[0]):
            return None
        hour, minute, j = int(number[0]), 0, i + number[1]
        after = parse_number(tokens, j)  # "six thirty"
        if after and after[0] == int(after[0]) and 0 < after[0] < 60 and hour <= 12 and \
                (_meridiem(tokens, j + after[1]) is not None
                 or (i > 0 and tokens[i - 1] == "at")):
            minute, j = int(after[0]), j + after[1]
    half = _meridiem(tokens, j)
    if half is not None:
        offset, used = half
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + offset
        j += used
    elif tokens[j:j + 1] in (["o'clock"], ["oclock"]):
        j += 1
    elif not (m or past_to or (i > 0 and tokens[i - 1] == "at")) or (
            j < len(tokens) and (tokens[j] in _UNIT_SECONDS or tokens[j] in _NOT_TIME_UNITS)):
        return None  # "at 20 minutes", "put the sound at twenty percent"
    if half is None and hour <= 12:  # "8 o'clock in the evening", "at 7 in the morning"
        part = _part_of_day(tokens, j)
        if part is not None:
            pm, used = part
            hour = hour % 12 + (12 if pm else 0)
            j += used
    if hour > 23 or minute > 59:
        return None
    return ClockMatch(f"{hour:02d}:{minute:02d}", i, j)


_PARTS_OF_DAY = {("in", "the", "morning"): False, ("this", "morning"): False,
                 ("in", "the", "afternoon"): True, ("this", "afternoon"): True,
                 ("in", "the", "evening"): True, ("this", "evening"): True,
                 ("at", "night"): True, ("tonight",): True}


def _part_of_day(tokens: list[str], j: int) -> tuple[bool, int] | None:
    """(afternoon or later, tokens used) for "in the evening" at tokens[j]."""
    for words, pm in _PARTS_OF_DAY.items():
        if tuple(tokens[j:j + len(words)]) == words:
            return pm, len(words)
    return None


def _meridiem(tokens: list[str], j: int) -> tuple[int, int] | None:
    """(hours to add, tokens used) for "pm" / "p m" / "a.m." at tokens[j]."""
    if j < len(tokens) and tokens[j] in _MERIDIEM:
        return _MERIDIEM[tokens[j]], 1
    if j + 1 < len(tokens) and tokens[j] in ("a", "p") and tokens[j + 1] == "m":
        return _MERIDIEM[tokens[j] + "m"], 2
    return None


def spoken_duration(seconds: int) -> str:
    """150 → "2 minutes and 30 seconds"."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
        if value:
            parts.append(f"{value} {unit}{'s' if value != 1 else ''}")
    if not parts:
        return "0 seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Spoken arithmetic ("7 times 8", "15 percent of 80", "(4 + 6) * 3"): what the router lets
# fill an {expression} slot. An operator makes a span a sum; the glue words may be in one.
ARITHMETIC_OPERATORS = frozenset({
    "plus", "minus", "times", "multiplied", "divided", "over", "squared", "cubed", "power",
    "root", "sqrt", "mod", "modulo", "x", "+", "-", "*", "/", "^", "×", "÷"})
_ARITHMETIC_GLUE = frozenset({
    "by", "of", "the", "to", "into", "raised", "square", "cube", "and", "point", "percent",
    "%", "(", ")", "="}) | frozenset(_FRACTIONS)


def arithmetic_word(word: str) -> bool:
    """Whether `word` (a lowercase token) can be part of a spoken sum."""
    return (word in ARITHMETIC_OPERATORS or word in _ARITHMETIC_GLUE or word in _NUMBER_WORDS
            or re.fullmatch(r"\d+(?:\.\d+)?", word) is not None)


def is_number_word(word: str) -> bool:
    """A number in digits or one of its words ("7", "seven", "hundred"; not "a")."""
    if word in _NUMBER_WORDS:
        return word not in ("a", "an", "oh")
    return re.fullmatch(r"\d+(?:\.\d+)?", word) is not None
