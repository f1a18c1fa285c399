"""Sentences sampled from Home Assistant's intent templates (read from the installed
`home_assistant_intents` package at run time, never copied here), each with the slot
values it was built from, for `heron bench understanding`.

hassil's own `sample_intents` enumerates every expansion but does not say which slot
values went into a sentence, so this walks the same template trees at random and keeps
the values it picked. Slot values a template leaves open (timer names, list items, list
names, what to play, what to broadcast) come from the small per-language tables below;
numbers are varied in the ranges people use, as digits or (sometimes) words."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hassil import Intents, recognize_all
from hassil.expression import (
    Alternative,
    Expression,
    ListReference,
    Permutation,
    RuleReference,
    Sequence,
    TextChunk,
)
from hassil.intents import IntentData, RangeSlotList, TextSlotList, WildcardSlotList
from hassil.numbers import get_rbnf_engine
from home_assistant_intents import get_intents

from assistant.agent.intents.catalog import package_language

# Values a user fills in (our own words, per language). Lists are created and timers
# started with these names before the run, as a user would have them.
VALUES: dict[str, dict[str, list[str]]] = {
    "en": {"timer": ["egg", "pasta", "pizza", "laundry", "tea"],
           "item": ["eggs", "milk", "bread", "olive oil", "batteries"],
           "list": ["shopping list", "to-do list", "groceries", "packing list"],
           "query": ["jazz", "abbey road", "miles davis", "bohemian rhapsody"],
           "message": ["dinner is ready", "time for bed", "the taxi is here"]},
    "de": {"timer": ["Eier", "Pizza", "Nudeln", "Wäsche", "Tee"],
           "item": ["Eier", "Milch", "Brot", "Olivenöl", "Batterien"],
           "list": ["Baumarkt", "Urlaub", "Geschenke"],
           "query": ["Jazz", "Beethoven", "Rammstein", "Klassik"],
           "message": ["das Essen ist fertig", "wir fahren jetzt los"]},
    "fr": {"timer": ["pâtes", "pizza", "œufs", "lessive", "thé"],
           "item": ["œufs", "lait", "pain", "huile d'olive", "piles"],
           "list": ["bricolage", "vacances", "cadeaux"],
           "query": ["jazz", "Édith Piaf", "Stromae", "Vivaldi"],
           "message": ["le dîner est prêt", "on part maintenant"]},
    "es": {"timer": ["pasta", "pizza", "huevos", "colada", "té"],
           "item": ["huevos", "leche", "pan", "aceite de oliva", "pilas"],
           "list": ["ferretería", "vacaciones", "regalos"],
           "query": ["jazz", "Shakira", "Rosalía", "flamenco"],
           "message": ["la cena está lista", "nos vamos ya"]},
    "ar": {"timer": ["بيض", "معكرونة", "شاي", "بيتزا", "غسيل"],
           "item": ["بيض", "حليب", "خبز", "زيت زيتون", "بطاريات"],
           "list": ["الهدايا", "المهام", "السفر"],
           "query": ["فيروز", "أم كلثوم", "عمرو دياب"],
           "message": ["العشاء جاهز", "حان وقت النوم"]},
}
# Languages without a table above (`--languages all`) take their words from the package's
# own lists, in this order (plain words a user could name a timer, an item or a list by);
# what to play and what to broadcast stay English (their slots are wildcards: any text).
DERIVED_FROM = ("color", "cover_classes")
ENGLISH_KINDS = ("query", "message")

DEFAULT_LISTS = ("shopping list", "to-do list")  # every user has them (the contract)

# Which value table fills which slot (by slot name, as the templates name them).
WILDCARD_SLOTS = {"name": "timer", "item": "item", "search_query": "query", "message": "message"}
# Numbers in the ranges people say (the templates allow 1..100 for everything).
NUMBER_RANGES = {"hours": (1, 3), "minutes": (1, 59), "seconds": (5, 59),
                 "volume_level": (0, 100), "volume_step": (5, 50)}
WORDS_SHARE = 0.3  # of numbers written as words (when the template allows words)


Expected = Callable[[str, dict[str, Any]], tuple[str | None, dict[str, Any]]]


class _Blocked(Exception):
    """The walk reached a slot this intent does not take (an area, a device name …)."""


@dataclass(frozen=True)
class Sample:
    language: str
    intent: str
    text: str
    slots: dict[str, Any] = field(default_factory=dict)


class _Walker:
    def __init__(self, intents: Intents, language: str, allowed: frozenset[str],
                 list_slot: str | None, rng: random.Random) -> None:
        self.intents, self.language, self.allowed = intents, language, allowed
        self.list_slot = list_slot  # the slot holding a list name for this intent ("name")
        self.rng = rng
        self.rules: dict = intents.expansion_rules
        self.lists: dict = intents.slot_lists
        self._ok: dict[int, bool] = {}

    def use(self, data: IntentData) -> _Walker:
        """Walk the sentences of `data` (its own expansion rules and lists on top)."""
        self.rules = {**self.intents.expansion_rules, **data.expansion_rules}
        self.lists = {**self.intents.slot_lists, **data.slot_lists}
        self._ok = {}
        return self

    # Can this expression be expanded without a slot the intent does not take?
    def ok(self, e: Expression, depth: int = 0) -> bool:
        key = id(e)
        if key not in self._ok:
            self._ok[key] = self._compute_ok(e, depth)
        return self._ok[key]

    def _compute_ok(self, e: Expression, depth: int) -> bool:
        if depth > 40:
            return False
        if isinstance(e, TextChunk):
            return True
        if isinstance(e, ListReference):
            return e.slot_name in self.allowed
        if isinstance(e, RuleReference):
            rule = self.rules.get(e.rule_name)
            return rule is not None and self.ok(rule.expression, depth + 1)
        if isinstance(e, Alternative):
            return any(self.ok(i, depth + 1) for i in e.items)
        return all(self.ok(i, depth + 1) for i in e.items)  # Sequence, Permutation

    def walk(self, e: Expression, slots: dict[str, Any]) -> str:
        if isinstance(e, TextChunk):
            return e.original_text
        if isinstance(e, Alternative):
            choices = [i for i in e.items if self.ok(i)]
            if not choices:
                raise _Blocked
            return self.walk(self.rng.choice(choices), slots)
        if isinstance(e, Permutation):
            items = list(e.items)
            self.rng.shuffle(items)
            return " ".join(self.walk(i, slots).strip() for i in items)
        if isinstance(e, Sequence):
            return "".join(self.walk(i, slots) for i in e.items)
        if isinstance(e, RuleReference):
            return self.walk(self.rules[e.rule_name].expression, slots)
        if isinstance(e, ListReference):
            return self._fill(e, slots)
        raise _Blocked

    def _fill(self, ref: ListReference, slots: dict[str, Any]) -> str:
        slot = ref.slot_name
        if slot not in self.allowed:
            raise _Blocked
        table = values_for(self.language)
        if slot == self.list_slot:
            value = self.rng.choice(table["list"])
            slots[slot] = value
            return value
        slot_list = self.lists.get(ref.list_name)
        inline = ref.get_inline_range()
        if inline is not None:
            slot_list = RangeSlotList(name=None, start=inline[0], stop=inline[1], step=inline[2])
        if slot_list is None or isinstance(slot_list, WildcardSlotList):
            kind = WILDCARD_SLOTS.get(slot)
            if kind is None:
                raise _Blocked
            value = self.rng.choice(table[kind])
            slots[slot] = value
            return value
        if isinstance(slot_list, RangeSlotList):
            return self._number(slot, slot_list, slots)
        if isinstance(slot_list, TextSlotList):
            choice = self.rng.choice(slot_list.values)
            text = self.walk(choice.text_in, {})
            slots[slot] = choice.value_out if choice.value_out is not None else text.strip()
            return text
        raise _Blocked

    def _number(self, slot: str, rl: RangeSlotList, slots: dict[str, Any]) -> str:
        lo, hi = NUMBER_RANGES.get(slot, (rl.start, rl.stop))
        lo, hi = max(lo, rl.start), min(hi, rl.stop)
        n = self.rng.randrange(lo, hi + 1, rl.step) if lo <= hi else rl.start
        slots[slot] = n * rl.multiplier if rl.multiplier is not None else n
        if rl.words and (not rl.digits or self.rng.random() < WORDS_SHARE):
            try:
                engine = get_rbnf_engine(rl.words_language or self.language)
                spelled = sorted(set(engine.format_number(n).text_by_ruleset.values()))
                if spelled:
                    return self.rng.choice(spelled)
            except (ValueError, KeyError):
                pass
        return str(n)


def _ambiguous(text: str, intents: Intents, language: str, expected: Expected) -> bool:
    """The templates themselves give `text` two answers: two tools ("delete X from my
    shopping list" is both "complete" and "remove") or two numbers ("an hour and a
    quarter": 15 minutes or 15 seconds in one Arabic template). No single answer is right,
    so such a sentence is not sampled. (Wildcard splits are not counted as answers.)"""
    # The default lists exist too (ListStore): "rimuovi X dalla shopping list" reads as
    # "remove" from the list named "shopping list" as well as "complete" on the shopping list.
    known = dict.fromkeys([*values_for(language)["list"], *DEFAULT_LISTS])
    names = TextSlotList.from_tuples([(n, n, {"domain": "todo"}) for n in known])
    lists = {"name": names, "area": TextSlotList.from_strings(["-"]),
             "floor": TextSlotList.from_strings(["-"])}
    answers = set()
    for result in recognize_all(text, intents, slot_lists=lists, language=language,
                                intent_context={"area": "-"}):
        slots = {**result.intent_data.slots,
                 **{k: v.value for k, v in result.entities.items()}}
        try:
            tool, args = expected(result.intent.name, slots)
        except (KeyError, TypeError, ValueError):
            continue
        answers.add((tool, tuple(sorted((k, v) for k, v in args.items()
                                        if isinstance(v, int | float)))))
    return len(answers) > 1


_DOUBLED = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)  # "shopping list list"


def sample_language(language: str, intents_slots: dict[str, tuple[frozenset[str], str | None]],
                    per_intent: int, seed: int, expected: Expected | None = None
                    ) -> list[Sample]:
    """Up to `per_intent` distinct sentences for each intent in `intents_slots`
    (intent → the slots it may take, and which of them names a list); with `expected`
    (intent, slots → tool, args), sentences the templates read two ways are left out."""
    code = package_code(language)
    if code is None:
        return []
    intents = Intents.from_dict(get_intents(code))
    mapped = Intents(language, {n: i for n, i in intents.intents.items() if n in intents_slots},
                     intents.slot_lists, intents.expansion_rules, intents.skip_words,
                     intents.settings)
    out: list[Sample] = []
    for name in sorted(intents_slots):
        intent = intents.intents.get(name)
        if intent is None:
            continue
        allowed, list_slot = intents_slots[name]
        rng = random.Random(f"{seed}:{language}:{name}")
        walker = _Walker(intents, language, allowed, list_slot, rng)
        templates = [(data, s) for data in intent.data for s in data.sentences
                     if all(k in allowed for k in data.slots) and walker.use(data).ok(s.expression)]
        seen: set[str] = set()
        for _ in range(per_intent * 20):
            if len(seen) >= per_intent or not templates:
                break
            data, sentence = rng.choice(templates)
            slots: dict[str, Any] = {}
            try:
                text = " ".join(walker.use(data).walk(sentence.expression, slots).split())
            except _Blocked:
                continue
            if not text or text.casefold() in seen or _DOUBLED.search(text):
                continue
            if expected is not None and _ambiguous(text, mapped, language, expected):
                continue
            seen.add(text.casefold())
            out.append(Sample(language, name, text, {**data.slots, **slots}))
    return out


def package_code(language: str) -> str | None:
    """The intents package's code for a language code ("no" → "nb", "zh" → "zh-CN"),
    or None when the package has no templates for it (the intents stage's own mapping)."""
    return package_language(language)


@functools.cache
def values_for(language: str) -> dict[str, list[str]]:
    """The slot values for `language`: the table above, else words from the package's
    own lists (timer names, items and list names), else English (see DERIVED_FROM)."""
    if language in VALUES:
        return VALUES[language]
    words = _package_words(language)
    if len(words) < 6:  # too few to vary three kinds of names: say them in English
        return VALUES["en"]
    # Disjoint thirds, so a timer's name is never also a list's name.
    third = max(2, len(words) // 3)
    table = {"timer": words[:third], "item": words[third:2 * third],
             "list": words[2 * third:3 * third] or words[-2:]}
    return {**table, **{k: VALUES["en"][k] for k in ENGLISH_KINDS}}


def _package_words(language: str) -> list[str]:
    """Single plain words (letters only; two words often begin with an article) from the
    package's lists in DERIVED_FROM, one spelling each (fixed seed), in order, no repeats."""
    code = package_code(language)
    if code is None:
        return []
    intents = Intents.from_dict(get_intents(code))
    rng = random.Random(0)
    out: list[str] = []
    for name in DERIVED_FROM:
        slot_list = intents.slot_lists.get(name)
        if not isinstance(slot_list, TextSlotList):
            continue
        for value in slot_list.values:
            walker = _Walker(intents, language, frozenset(), None, rng)
            try:
                text = " ".join(walker.walk(value.text_in, {}).split()).lower()
            except (_Blocked, KeyError):
                continue
            if re.fullmatch(r"[^\W\d_]+", text) and text not in out:
                out.append(text)
    return out
