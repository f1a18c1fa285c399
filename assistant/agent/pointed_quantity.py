"""A quantity said in one part of a sentence and converted in another: "sold 40 pounds
of tomatoes at the gate, what's that in kilos", "the recipe wants 8 ounces of butter,
how many grams is that". The asking part points back ("that", "it"); the quantity is
the last number before it followed by words that name a unit."""

from __future__ import annotations

import re

from assistant.agent.known_values import is_unit
from assistant.agent.numbers import parse_number, tokenize

_POINTER = r"(?:that|this|it|those|these)"
_UNIT = r"(?P<unit>[a-z°º][a-z°º ]{0,40}?)"
# The asking part, at the end of the text (after a comma, a full stop or "and").
_ASKS = [re.compile(p) for p in (
    rf"\bwhat(?:'s| is| are| would| will| does)? {_POINTER}(?: (?:be|come to|make|"
    rf"amount to|work out (?:as|to)|equal))? (?:in|into|as|to) {_UNIT}$",
    rf"\bhow many {_UNIT} (?:is|are|would|will|does)? ?{_POINTER}(?: be| make| come to)?$",
    rf"\b{_POINTER}(?:'s| is| would be| will be) how many {_UNIT}$",
    rf"\b(?:convert|change|turn) {_POINTER} (?:in)?to {_UNIT}(?: for me)?$",
    rf"\b{_POINTER} in {_UNIT}$",
)]
_TAIL = re.compile(r"[\s?.!]+(?:please|pls|thanks|thank you)?[\s?.!]*$")
MAX_UNIT_WORDS = 3  # "degrees fahrenheit", "square feet", "miles per hour"
_FILLER = {"of", "for", "the", "a", "an"}


def pointed_conversion(text: str) -> str | None:
    """The conversion said plainly ("40 pounds in kilos") when the text asks to convert
    "that" and says a quantity before it; else None."""
    said = " ".join(text.lower().split())
    said = _TAIL.sub("", said)
    for pattern in _ASKS:
        found = pattern.search(said)
        if found is None or not is_unit(found.group("unit").strip()):
            continue
        quantity = _last_quantity(said[:found.start()])
        if quantity is not None:
            return f"{quantity} in {found.group('unit').strip()}"
    return None


def _last_quantity(before: str) -> str | None:
    """The last "<number> <unit>" in `before` ("40 pounds", "350 degrees fahrenheit")."""
    words = tokenize(before)
    for i in range(len(words) - 1, -1, -1):
        number = parse_number(words, i)
        if number is None or words[i] in ("a", "an"):
            continue
        value, used = number
        start = i + used
        for n in range(MAX_UNIT_WORDS, 0, -1):
            unit = words[start:start + n]
            if len(unit) == n and unit[-1] not in _FILLER and is_unit(" ".join(unit)):
                shown = int(value) if value == int(value) else value
                return f"{shown} {' '.join(unit)}"
    return None
