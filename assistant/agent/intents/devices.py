"""Device control said with a name we do not know ("turn on the kitchen lights") is
answered "connect Home Assistant" only as a last resort, and only when each name looks
like a device, a room or a floor: a few words, no numbers or symbols, and none of the
words our own tools are asked with (this language's templates for them, and our tools'
example phrases) — so "what's 7 times 8" is never a light."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

from assistant.agent.intents.catalog import catalog, template_words
from assistant.tools.manifest import ToolManifest

MAX_NAME_WORDS = 4
# English words our tools' phrasings use that are just as likely in a device's or room's
# name ("the back door", "the TV", "my left lamp").
_NEUTRAL = frozenset({"a", "an", "the", "my", "our", "your", "this", "that", "of", "in",
                      "on", "at", "to", "and", "is", "it", "me", "i", "front", "back",
                      "left", "right", "top", "bottom", "side", "main", "tv"})
_WORD = re.compile(r"\w+", re.UNICODE)
_JOINERS = frozenset(" '’-")


class DeviceNames:
    """`plausible(name, language)`: could these words name a device, room or floor?"""

    def __init__(self, tool_intents: Iterable[str], device_intents: Iterable[str]) -> None:
        self._tool_intents = frozenset(tool_intents)
        self._device_intents = frozenset(device_intents)
        self._example_words: frozenset[str] = frozenset()  # English, from the manifests
        self._words_by_tool: dict[str, frozenset[str]] = {}  # every word of its examples
        self._lock = threading.Lock()
        self._blocked: dict[str, frozenset[str]] = {}

    def use_tools(self, manifests: Iterable[ToolManifest]) -> None:
        """Our tools' example phrases (English) from now on."""
        # The first word of an example is how people start asking for that tool
        # ("calculate", "remember", "jot"): a greedy name that holds one is no device.
        # Other example words may well be in a name ("the front door", "my desk").
        words = set()
        by_tool = {m.name: frozenset().union(*(_words(e) for e in m.examples))
                   for m in manifests}
        for m in manifests:
            for example in m.examples:
                first = _WORD.match(example.strip())
                if first is not None and not example.strip().startswith("{"):
                    words.add(first.group().lower())
        with self._lock:
            self._example_words = frozenset(words)
            self._words_by_tool = by_tool
            self._blocked.pop("en", None)

    def plausible(self, name: str, language: str) -> bool:
        if not shaped_like_a_name(name):
            return False
        blocked = self._blocked_words(language)
        return not any(w.lower() in blocked for w in _WORD.findall(name))

    def asks_for(self, name: str, tool: str, example: str) -> bool:
        """The name says a word `tool` is asked with (its matched `example` or any of its
        example phrases) that could not as well be a device's: "camera" in "front of the
        camera", not "the" or "front"."""
        said = {w.lower() for w in _WORD.findall(name)} - _NEUTRAL
        with self._lock:
            words = self._words_by_tool.get(tool, frozenset())
        return bool(said & (words | _words(example)))

    def _blocked_words(self, language: str) -> frozenset[str]:
        cat = catalog(language)
        if cat is None:
            return frozenset()
        with self._lock:
            if cat.language not in self._blocked:
                device = template_words(cat, self._device_intents)
                tools = template_words(cat, self._tool_intents) - device
                if cat.language == "en":
                    tools |= self._example_words - device
                self._blocked[cat.language] = tools - _NEUTRAL
            return self._blocked[cat.language]


def shaped_like_a_name(name: str) -> bool:
    """A few words of letters (no numbers or symbols): what any name could look like."""
    words = _WORD.findall(name)
    if not words or len(words) > MAX_NAME_WORDS or len(name.strip()) < 2:
        return False
    return not any(ch.isdigit() or not (ch in _JOINERS or unicodedata.category(ch)[0] in "LM")
                   for ch in name.strip())


def _words(phrase: str) -> frozenset[str]:
    """A phrase's own words, without its slots ("{text}")."""
    return frozenset(w.lower() for w in _WORD.findall(re.sub(r"\{\w+\}", " ", phrase)))
