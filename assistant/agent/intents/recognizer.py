"""Match an utterance to Home Assistant's intent templates with hassil: the intents of
our tools first, then device control with the names we know, then both with misheard
words put right ("set a timer for five minuets", "what's the thyme"). Device control
with any name ("turn on the kitchen lights") is a separate, last-resort match. Names
come from callables (list names, timer labels, weather places, media players), so a new
list is known at once."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from hassil import recognize_all, recognize_best
from hassil.filter import filter_intents
from hassil.intents import Intents, RangeSlotList, TextSlotList, WildcardSlotList
from hassil.recognize import RecognizeResult

from assistant.agent.intents.catalog import Catalog, catalog, number_language
from assistant.agent.intents.devices import shaped_like_a_name
from assistant.agent.intents.misheard import Corrected, Corrector
from assistant.agent.intents.readings import (
    Rewritten,
    best_reading,
    digits_for_words,
    located,
)

DEFAULT_LISTS = ("shopping list", "to-do list")
DESKTOP_AREA = "desktop"  # the area every unqualified command is about: this computer
EXACT = 1.0
# Words said as written but about a device or room we do not know ("turn on the kitchen
# lights"): sure of the intent, not of what it is about.
OPEN_NAMES = 0.8
# Templates that name a device of one kind ("is the {name} open" for a cover, "set the
# {name} to 21 degrees" for a thermostat, "activate the {name} scene") require its
# domain, which Home Assistant's own name list carries and a wildcard cannot: a sentence
# no other template matched is tried once per such domain, and taken only when more
# than the name was said (IntentRecognizer._open_accepts): many of these templates are
# a bare "tell me {name}" or "open {name}".
OPEN_DOMAINS = ("cover", "climate", "lock", "valve", "scene")
SCENE = "scene"
_WORD = re.compile(r"\w+", re.UNICODE)
_LIST_REF = re.compile(r"\{(\w+)(?::(\w+))?\}")
_RULE_REF = re.compile(r"<(\w+)>")


def _no_names() -> Iterable[str]:
    return ()


def _default_lists() -> Iterable[str]:
    return DEFAULT_LISTS


@dataclass(frozen=True)
class SlotSources:
    """Where the names the templates refer to come from (called per recognition)."""

    list_names: Callable[[], Iterable[str]] = _default_lists
    timer_labels: Callable[[], Iterable[str]] = _no_names
    weather_locations: Callable[[], Iterable[str]] = _no_names
    media_players: Callable[[], Iterable[str]] = _no_names
    area: str = DESKTOP_AREA


@dataclass(frozen=True)
class IntentMatch:
    intent: str  # "HassStartTimer"
    slots: dict[str, Any]  # slot name → value (numbers as numbers, list values as mapped)
    texts: dict[str, str]  # slot name → the words said for it ("" from context)
    response: str | None  # the response key of the matched template
    confidence: float  # 1 for an exact match
    sentence: str  # the template that matched
    language: str  # the package's language code
    corrected: str = ""  # the text after misheard words were put right ("" if exact)
    wildcards: tuple[str, ...] = ()  # the slots that took any words said
    said: str = ""  # the text as it was given (punctuation and all)


class IntentRecognizer:
    """`recognize(text, language)` → the best intent match, or None;
    `recognize_open(...)` → device control with any name (the last resort)."""

    def __init__(self, sources: SlotSources | None = None,
                 intent_names: Iterable[str] | None = None,
                 open_names: Iterable[str] = ()) -> None:
        """`intent_names`: the intents to match (None: all); `open_names`: the device
        control intents among them, also matched with any device, area or floor name by
        `recognize_open` (answered without knowing the device)."""
        self.sources = sources or SlotSources()
        self._intent_names = frozenset(intent_names) if intent_names is not None else None
        self._open_names = frozenset(open_names)
        self._lock = threading.Lock()
        self._filtered: dict[tuple[str, str, str | None], Intents] = {}
        self._correctors: dict[str, Corrector] = {}
        self._lists_key: tuple | None = None
        self._lists: dict[str, TextSlotList] = {}
        self._signs: dict[tuple[int, str], float | None] = {}
        self._known_names: frozenset[str] = frozenset()  # this recognition's, see _known

    def recognize(self, text: str, language: str) -> IntentMatch | None:
        cat = catalog(language)
        if cat is None or not text.strip():
            return None
        with self._lock:
            lists = self._slot_lists()
            context = self._context()
            self._known_names = self._known()
            # Our tools' intents alone first: most commands stop here, and it is the
            # cheaper match (device control has many more templates).
            for group in ("tools", "devices"):
                found = self._usable(self._match(text, self._intents(cat, group), lists,
                                                 context, cat))
                if found is not None:
                    return replace(found, said=text)
            fixed = self._corrector(cat).correct(text, self._names())
            if not fixed.similarities:  # no word was near a template word: nothing to redo
                return None
            found = self._usable(self._match(fixed.text, self._intents(cat, "all"), lists,
                                             context, cat, fixed, text))
            return None if found is None else replace(found, said=text)

    def recognize_open(self, text: str, language: str,
                       plausible: Callable[[str], bool] = lambda name: True
                       ) -> IntentMatch | None:
        """Device control naming a device, area or floor we do not know, when each such
        name passes `plausible` and the template's own words were said (else None)."""
        cat = catalog(language)
        if cat is None or not text.strip() or not self._open_names:
            return None
        with self._lock:
            for domain in (None, *OPEN_DOMAINS):
                context = self._context() | ({"domain": domain} if domain else {})
                best = recognize_best(text, self._intents(cat, "open", domain),
                                      slot_lists=_OPEN_LISTS, intent_context=context,
                                      language=number_language(cat.language))
                # Only hassil's best reading counts: a worse one ("x to" for "set x to 20
                # percent") is no reason to think a device was meant. A template with no
                # word said ("{area} {brightness}" for "double 21") tells nothing either.
                if best is not None and best.text_chunks_matched > 0 \
                        and self._open_accepts(best, text, plausible, domain):
                    return replace(self._result(best, cat), confidence=OPEN_NAMES, said=text)
        return None

    @staticmethod
    def _open_accepts(best: RecognizeResult, text: str, plausible: Callable[[str], bool],
                      domain: str | None) -> bool:
        """Whether a reading with unknown names means a device. Without a domain: each
        name is `plausible`. A domain's template also needs a value said besides the
        name ("open" in "is the garage door open", "21"), or for a scene two words of
        its own around the name ("activate the movie scene": a scene may well be called
        "movie", a word our tools are asked with)."""
        names = [e.text for e in best.entities_list if e.is_wildcard]
        if domain == SCENE:
            rest = len(_WORD.findall(text)) - sum(len(_WORD.findall(n)) for n in names)
            return rest >= 2 and all(shaped_like_a_name(n) for n in names)
        if domain is not None and not any(
                e.text for e in best.entities_list if not e.is_wildcard):
            return False
        return all(plausible(n) for n in names)

    # -- matching --------------------------------------------------------------------------
    def _usable(self, found: IntentMatch | None) -> IntentMatch | None:
        # Device control that took any words for a name (the package's own wildcards,
        # "who is at {zone}") waits for the last resort: the router may know the words.
        if found is not None and found.wildcards and found.intent in self._open_names:
            return None
        return found

    def _match(self, text: str, intents: Intents, lists: dict, context: dict, cat: Catalog,
               fixed: Corrected | None = None, original: str = "") -> IntentMatch | None:
        result = self._best(text, intents, lists, context, cat)
        if result is None:
            return None
        if fixed is None:
            numbers = self._numbers_in_names(text, result, intents, lists, context, cat)
            if numbers is not None:
                return numbers
        return self._result(result, cat, fixed, original)

    def _best(self, text: str, intents: Intents, lists: dict, context: dict, cat: Catalog
              ) -> RecognizeResult | None:
        readings = recognize_all(text, intents, slot_lists=lists, intent_context=context,
                                 language=number_language(cat.language))
        return best_reading(readings, text, self._known_names)

    def _numbers_in_names(self, text: str, result: RecognizeResult, intents: Intents,
                          lists: dict, context: dict, cat: Catalog) -> IntentMatch | None:
        """The sentence read again with number words in its names as digits, when that
        reading fills more slots with less in the names ("pirosra egy órás 39
        másodpercre": hassil looks for number words after a name only when no digits
        follow)."""
        spans = [span for e in result.entities_list if e.is_wildcard
                 if (span := located(e, text)) is not None]
        if not spans:
            return None
        rewritten = digits_for_words(text, spans, number_language(cat.language))
        if rewritten is None:
            return None
        again = self._best(rewritten.text, intents, lists, context, cat)
        if again is None or _filled(again) <= _filled(result) \
                or _wild_length(again) >= _wild_length(result):
            return None
        return replace(self._result(again, cat, rewritten, text), confidence=EXACT,
                       corrected="")

    def _result(self, result: RecognizeResult, cat: Catalog,
                fixed: Corrected | Rewritten | None = None, original: str = "") -> IntentMatch:
        slots: dict[str, Any] = {}
        texts: dict[str, str] = {}
        wildcards: list[str] = []
        for name, entity in result.entities.items():
            value, said = entity.value, entity.text or ""
            if entity.is_wildcard:
                wildcards.append(name)
                if fixed is not None and entity.text_span is not None:
                    # A wildcard is what the user said (an item, a message): not corrected
                    # (nor its number words written as digits).
                    span = located(entity, fixed.text) or entity.text_span
                    said = fixed.original(span, original).strip()
                    value = said
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = self._signed(result, cat, name, value)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            slots[name] = value
            texts[name] = said.strip() if isinstance(said, str) else str(said)
        sentence = result.intent_sentence.text if result.intent_sentence else ""
        confidence = fixed.confidence() if isinstance(fixed, Corrected) else EXACT
        return IntentMatch(result.intent.name, slots, texts, result.response, confidence,
                           sentence or "", cat.language, fixed.text if fixed else "",
                           tuple(wildcards))

    def _signed(self, result: RecognizeResult, cat: Catalog, slot: str, value: float) -> float:
        """The number with the sign of the range list it was said for. hassil caches
        number words per range without the list's multiplier, so "down by twenty" can
        come back +20 after "up by twenty" (and "set the volume to twenty" as -20)."""
        sentence = result.intent_sentence
        key = (id(sentence), slot)
        if key not in self._signs:
            self._signs[key] = _multiplier(result, cat, slot)
        multiplier = self._signs[key]
        return value if multiplier is None else abs(value) * multiplier

    def _intents(self, cat: Catalog, group: str, domain: str | None = None) -> Intents:
        """The group's templates; with `domain`, only those scoped to that domain."""
        key = (cat.language, group, domain)
        if key not in self._filtered:
            every = self._intent_names if self._intent_names is not None \
                else frozenset(cat.intents.intents)
            names = {"tools": every - self._open_names, "devices": every & self._open_names,
                     "open": every & self._open_names, "all": every}[group]
            self._filtered[key] = filter_intents(cat.intents, intent_names=names) \
                if domain is None else filter_intents(
                    cat.intents, intent_names=names, domains=[domain], keep_domainless=False)
        return self._filtered[key]

    def _corrector(self, cat: Catalog) -> Corrector:
        if cat.language not in self._correctors:
            self._correctors[cat.language] = Corrector(cat.vocabulary)
        return self._correctors[cat.language]

    def _context(self) -> dict[str, Any]:
        return {"area": {"value": self.sources.area, "text": self.sources.area}}

    def _slot_lists(self) -> dict[str, TextSlotList]:
        src = self.sources
        names = (tuple(src.list_names()), tuple(src.weather_locations()),
                 tuple(src.media_players()))
        if names != self._lists_key:
            values = [(n, n, {"domain": domain}) for domain, group in
                      zip(("todo", "weather", "media_player"), names, strict=True)
                      for n in group if n.strip()]
            self._lists = {"name": TextSlotList.from_tuples(values, allow_template=False),
                           "area": TextSlotList(name="area", values=[]),
                           "floor": TextSlotList(name="floor", values=[])}
            self._lists_key = names
        return self._lists

    def _known(self) -> frozenset[str]:
        """Every name we know in full, casefolded: list names, timer labels …"""
        src = self.sources
        return frozenset(n.strip().casefold() for group in (
            src.list_names(), src.timer_labels(), src.weather_locations(),
            src.media_players()) for n in group if n and n.strip())

    def _names(self) -> set[str]:
        src = self.sources
        words: set[str] = set()
        for group in (src.list_names(), src.timer_labels(), src.weather_locations(),
                      src.media_players()):
            for name in group:
                words.update(w.lower() for w in _WORD.findall(name or ""))
        return words


def _filled(result: RecognizeResult) -> int:
    return sum(not e.is_wildcard for e in result.entities_list)


def _wild_length(result: RecognizeResult) -> int:
    return sum(len(e.text or "") for e in result.entities_list if e.is_wildcard)


_OPEN_LISTS = {name: WildcardSlotList(name=name) for name in ("name", "area", "floor")}


def _multiplier(result: RecognizeResult, cat: Catalog, slot: str) -> float | None:
    """The multiplier (1 when none) of the non-negative range list `slot` was matched
    with in this template; None when it was not a range list."""
    rules = {**cat.intents.expansion_rules, **result.intent_data.expansion_rules}
    texts = [result.intent_sentence.text if result.intent_sentence else ""]
    seen: set[str] = set()
    for text in texts:  # the template, then the rules it uses (the list grows)
        for rule in _RULE_REF.findall(text or ""):
            if rule not in seen and rule in rules:
                seen.add(rule)
                texts.append(rules[rule].text or "")
    lists = {**cat.intents.slot_lists, **result.intent_data.slot_lists}
    for text in texts:
        for list_name, slot_name in _LIST_REF.findall(text or ""):
            if (slot_name or list_name) != slot:
                continue
            found = lists.get(list_name)
            if not isinstance(found, RangeSlotList) or found.start < 0:
                return None
            return 1.0 if found.multiplier is None else float(found.multiplier)
    return None
