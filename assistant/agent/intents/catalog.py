"""One language's intents from the installed `home_assistant_intents` package: the
compiled hassil templates, the response templates, and the words the templates use
(for the speech-error tolerant match). Loaded once per language, lazily."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hassil import Intents
from hassil.expression import Group, ListReference, RuleReference, Sentence, TextChunk
from hassil.intents import TextSlotList
from home_assistant_intents import get_intents, get_languages

from assistant.agent.intents.heron_templates import with_heron_templates

_WORD = re.compile(r"\w+", re.UNICODE)
# Language codes whisper reports that the intents package spells differently (whisper
# "no" for Norwegian Bokmål is the package's "nb"). The one place that knows: doctor,
# the benchmark and the intents stage all go through the two functions below.
_PACKAGE_CODE = {"no": "nb"}
_WHISPER_CODE = {package: whisper for whisper, package in _PACKAGE_CODE.items()}
# CLDR keeps Bokmål's number words under "no" (its "nb" file only points there) and
# unicode_rbnf, which hassil reads number words with, does not follow the pointer.
_NUMBER_WORDS_CODE = {"nb": "no"}
_lock = threading.Lock()
_cache: dict[str, Catalog | None] = {}


@dataclass(frozen=True)
class Catalog:
    language: str  # the package's code ("en", "pt-BR")
    intents: Intents
    responses: dict[str, dict[str, str]]  # intent → response key → Jinja template
    errors: dict[str, str]  # error key ("timer_not_found") → template
    vocabulary: frozenset[str]  # lower-case words the templates say

    def response(self, intent: str, key: str | None) -> str | None:
        by_key = self.responses.get(intent) or {}
        return by_key.get(key or "default", by_key.get("default"))


def package_language(code: str) -> str | None:
    """The package's code for a language code ("en-US" → "en", "pt_BR" → "pt-BR",
    whisper's "no" → "nb"), or None when the package has no intents for it."""
    known = {c.lower(): c for c in get_languages()}
    code = code.strip().replace("_", "-").lower()
    if code in known:
        return known[code]
    base = code.split("-")[0]
    base = _PACKAGE_CODE.get(base, base)
    if base in known:
        return known[base]
    return next((c for k, c in known.items() if k.split("-")[0] == base), None)


def whisper_language(package_code: str) -> str:
    """The code whisper reports for one of the package's languages ("nb" → "no",
    "pt-BR" → "pt", "zh-CN" → "zh")."""
    base = package_code.replace("_", "-").split("-")[0].lower()
    return _WHISPER_CODE.get(base, base)


def number_language(package_code: str) -> str:
    """The code hassil should read number words with for one of the package's languages
    ("nb" → "no"; "tjueni minutter" is otherwise no number in Norwegian)."""
    return _NUMBER_WORDS_CODE.get(package_code, package_code)


def catalog(language: str) -> Catalog | None:
    """The catalog for `language`; None when the package does not cover it."""
    code = package_language(language)
    if code is None:
        return None
    with _lock:  # the first voice turn and a CLI call may ask at the same time
        if code not in _cache:
            _cache[code] = _load(code)
        return _cache[code]


def _load(code: str) -> Catalog | None:
    data = get_intents(code)
    if data is None:
        return None
    data = with_heron_templates(code, data)  # reading a list: the package has no intent
    intents = Intents.from_dict(data)
    responses = data.get("responses", {})
    return Catalog(code, intents, responses.get("intents", {}), responses.get("errors", {}),
                   frozenset(_words(intents)))


def _words(intents: Intents) -> set[str]:
    words: set[str] = set()
    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                _walk(sentence, words, {}, {}, set())
    for rule in intents.expansion_rules.values():
        _walk(rule, words, {}, {}, set())
    for slot_list in intents.slot_lists.values():
        if isinstance(slot_list, TextSlotList):
            for value in slot_list.values:
                _walk(value.text_in, words, {}, {}, set())
    words.update(w.lower() for w in intents.skip_words for w in _WORD.findall(w))
    return {w for w in words if not w.isdigit()}


def template_words(cat: Catalog, intent_names: Iterable[str]) -> frozenset[str]:
    """The lower-case words the templates of these intents can say, through their
    expansion rules and the values of the package's own lists (cached per language)."""
    return _template_words(cat.language, frozenset(intent_names))


@functools.cache
def _template_words(language: str, names: frozenset[str]) -> frozenset[str]:
    cat = catalog(language)
    if cat is None:
        return frozenset()
    intents = cat.intents
    words: set[str] = set()
    for name in names:
        intent = intents.intents.get(name)
        for data in intent.data if intent is not None else ():
            rules = {**intents.expansion_rules, **data.expansion_rules}
            lists = {**intents.slot_lists, **data.slot_lists}
            seen: set[str] = set()
            for sentence in data.sentences:
                _walk(sentence, words, rules, lists, seen)
    return frozenset(w for w in words if not w.isdigit())


def _walk(e: Any, words: set[str], rules: dict, lists: dict, seen: set[str]) -> None:
    """Collect the words of an expression; rules and lists are followed when given."""
    if isinstance(e, Sentence):
        _walk(e.expression, words, rules, lists, seen)
    elif isinstance(e, TextChunk):
        words.update(w.lower() for w in _WORD.findall(e.text))
    elif isinstance(e, Group):
        for item in e.items:
            _walk(item, words, rules, lists, seen)
    elif isinstance(e, RuleReference) and e.rule_name in rules and "<" + e.rule_name not in seen:
        seen.add("<" + e.rule_name)
        _walk(rules[e.rule_name], words, rules, lists, seen)
    elif isinstance(e, ListReference) and "{" + e.list_name not in seen:
        seen.add("{" + e.list_name)
        slot_list = lists.get(e.list_name)
        if isinstance(slot_list, TextSlotList):
            for value in slot_list.values:
                _walk(value.text_in, words, rules, lists, seen)
