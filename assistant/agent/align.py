"""The router's lexical side: sound-alike word similarity and a fuzzy alignment of an
utterance against one example phrase that also says which words fill each {slot}.
Tokens come from `tokens.py`, typed values masked by `value_masks.py`."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.agent.numbers import (
    ARITHMETIC_OPERATORS,
    arithmetic_word,
    is_number_word,
    parse_number,
)
from assistant.agent.slots import SPOKEN_FOLDERS
from assistant.agent.tokens import (
    NOT_A_VALUE,
    STOPWORDS,
    TYPED_SLOTS,
    Token,
)

# Free slots and the longest span (tokens) each may take.
FREE_SLOT_MAX = {"label": 3, "app": 5, "number": 6, "expression": 24}
FREE_SLOT_DEFAULT_MAX = 40
# Token kinds that show a value is an address or a path rather than words.
_SHAPED_FOR = {"url": ("url", "domain"), "path": ("path", "file")}
POINTING = {"it", "them", "em"}
LABEL_NOT_FIRST = {"on", "in", "at", "to", "for", "of", "with", "from", "off"}
KEEP_WHEN_LEFT_OUT = 0.4  # share of a left-out word's weight still counted
MISHEARD_WORDS = 2  # a dropped slot value this short may be a command word misheard
# Words that say a folder, which a path slot takes as surely as "~/…"
FOLDER_NAMES = frozenset(SPOKEN_FOLDERS) | {"folder", "directory", "home"}
_PATH_WORD_COST = 0.001
TYPED_ELSEWHERE = 0.1


# -- word similarity -------------------------------------------------------------------
_SOUND_RULES = (("ph", "f"), ("th", "t"), ("ck", "k"), ("gh", "g"), ("wh", "w"),
                ("kn", "n"), ("wr", "r"), ("ee", "i"), ("ea", "i"), ("ie", "i"),
                ("y", "i"), ("oo", "u"), ("ou", "u"), ("z", "s"), ("c", "k"), ("q", "k"))


@lru_cache(maxsize=4096)
def sound_key(word: str) -> str:
    """A rough spelling of how a word sounds: "thyme" and "time" both → "tim"."""
    key = word
    for a, b in _SOUND_RULES:
        key = key.replace(a, b)
    if len(key) > 2 and key.endswith("e"):
        key = key[:-1]
    return re.sub(r"(.)\1+", r"\1", key)


_ARTICLES = {"a", "an"}
_DETERMINERS = {"a", "an", "the", "my", "your", "this", "that"}


@lru_cache(maxsize=8192)
def _letters(word: str) -> Counter[str]:
    return Counter(word)


@lru_cache(maxsize=65536)
def word_similarity(a: str, b: str) -> float:
    """1 for the same word, ~0.9 for a sound-alike, the spelling ratio when ≥ 0.75
    ("time"/"timer"), else 0. Short and very common words only match themselves."""
    if a == b or {a, b} == _ARTICLES:
        return 1.0
    if a in _DETERMINERS and b in _DETERMINERS:  # "bring up a terminal" for "… the …"
        return 0.8
    if a.startswith("<") or b.startswith("<") or a in STOPWORDS or b in STOPWORDS:
        return 0.0
    if min(len(a), len(b)) >= 3 and sound_key(a) == sound_key(b):
        return 0.9
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 3:
        return 0.0
    # The letters the two share bound the ratio: most pairs stop here, cheaply.
    if 2 * (_letters(a) & _letters(b)).total() < 0.75 * (len(a) + len(b)):
        return 0.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio if ratio >= 0.75 else 0.0


# -- one example phrase -----------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One part of an example phrase: a literal word or a {slot}."""

    text: str  # the word, or the slot name
    weight: float
    slot_kind: str = ""  # "" for a literal word
    keep: float = KEEP_WHEN_LEFT_OUT  # share of the weight still counted when not said
    refuse: frozenset[str] = frozenset()  # token kinds a slot never holds ("x-not-shapes")
    longest: int = 0  # most words a slot holds ("x-max-words"); 0: as for its kind
    shape_required: bool = False  # an address/path slot that never holds plain words
    any_words: bool = False  # a slot that may hold other tools' words ("x-any-words": units)


def anchor_free_slots(items: list[Item]) -> tuple[Item, ...]:
    """The words on either side of a free slot ("write down {text}") tell where its
    value starts and ends: they must be said, so leaving one out counts nothing."""
    out = list(items)
    for k, item in enumerate(items):
        if item.slot_kind and item.slot_kind not in TYPED_SLOTS:
            for n in (k - 1, k + 1):
                if 0 <= n < len(out) and not out[n].slot_kind:
                    out[n] = Item(out[n].text, out[n].weight, "", 0.0)
    return tuple(out)


@dataclass(frozen=True)
class Alignment:
    score: float  # 0..1: how much of the example the utterance covers, minus extra words
    matched: float  # literal weight matched (ties go to the more specific example)
    spans: dict[str, tuple[int, int]]  # slot name → token span [start, end)


def idf_weights(vocab_by_tool: dict[str, set[str]]) -> dict[str, float]:
    """Words that name one tool ("reminder") weigh more than words most tools use."""
    n = max(len(vocab_by_tool), 1)
    df: dict[str, int] = {}
    for words in vocab_by_tool.values():
        for w in words:
            df[w] = df.get(w, 0) + 1
    return {w: word_weight(w, n, k) for w, k in df.items()}


def word_weight(word: str, tools: int, used_by: int) -> float:
    """1 for a word every tool uses, up to ~3 for one that names a single tool of 15."""
    if word in STOPWORDS:
        return 0.3
    return 1.0 + 0.5 * math.log2(max(tools, 1) / max(used_by, 1))


def align(items: tuple[Item, ...], tokens: list[Token], insert_cost: list[float],
          fuzz: list[float] | None = None, typed: frozenset[str] = frozenset(),
          foreign: list[float] | None = None) -> Alignment:
    """Best fuzzy alignment of `tokens` to `items` (dynamic programming over
    item × token positions). Literal words gain their weight × similarity; a typed
    slot gains when its masked token is there; a free slot takes one or more words;
    words matched by nothing cost `insert_cost`. `fuzz[j]` scales a near (not exact)
    match of token j: below 1 for words that are themselves known command words.
    `typed`: the typed slot kinds the tool takes, never part of a free value even where
    this example does not place them ("the forecast for tomorrow": no place).
    `foreign[j]`: what token j costs inside a free value: a word that names another
    tool's command ("show me {name}" holding "my latest note") is no name."""
    m, n = len(items), len(tokens)
    fuzz = fuzz or [1.0] * n
    # A duration or a time stays out of free values only where the example has a slot
    # for it: "copy meeting at noon" copies the whole text.
    # A day, time or length the tool takes, said where this example has no slot for it
    # ("weather for Abuja the day after tomorrow" for "weather for {location}"), costs
    # what a little word costs: the slot is filled from anywhere (slots.slot_value).
    placed = {it.slot_kind for it in items if it.slot_kind in TYPED_SLOTS}
    elsewhere = typed - placed
    insert_cost = [min(c, TYPED_ELSEWHERE) if tokens[j].kind in elsewhere else c
                   for j, c in enumerate(insert_cost)]
    typed = typed | placed
    # A day, time or length said where this example does not put it ("tomorrow weather in
    # Osaka" for "weather in {location} {day_offset}") still fills its slot: the slot
    # counts as said (the word still costs what an extra word costs where it stands).
    anywhere = {kind for kind in placed if any(t.text == TYPED_SLOTS[kind] for t in tokens)}
    neg = -1e9
    best = [[neg] * (n + 1) for _ in range(m + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
    needs_anchor = [_needs_anchor(items, i) for i in range(m)]
    for i in range(m + 1):
        row = best[i]
        for j in range(n + 1):
            here = row[j]
            if here == neg:
                continue
            if j < n:  # an extra word in the utterance
                _relax(best, back, i, j + 1, here - insert_cost[j], i, j)
            if i == m:
                continue
            item = items[i]
            # The example's part not said: an example is one way of putting it, so
            # leaving a word out costs less than saying a word it does not have.
            kept = 1.0 if item.slot_kind in anywhere else item.keep
            _relax(best, back, i + 1, j, here + item.weight * kept, i, j)
            if j == n:
                continue
            if not item.slot_kind:
                sim = word_similarity(item.text, tokens[j].text)
                if sim:
                    if sim < 1.0 and not _plural_pair(item.text, tokens[j].text):
                        sim *= fuzz[j]
                    _relax(best, back, i + 1, j + 1, here + item.weight * sim, i, j)
                if j + 1 < n and tokens[j].kind == tokens[j + 1].kind == "word":
                    sim = joined_similarity(item.text, tokens[j].text, tokens[j + 1].text)
                    if sim:
                        if sim < 1.0:
                            sim *= min(fuzz[j], fuzz[j + 1])
                        _relax(best, back, i + 1, j + 2, here + item.weight * sim, i, j)
            elif item.slot_kind in TYPED_SLOTS:
                if tokens[j].text == TYPED_SLOTS[item.slot_kind]:
                    _relax(best, back, i + 1, j + 1, here + item.weight, i, j)
            else:
                if needs_anchor[i] and not _after_word(back, i, j):
                    continue  # "how's the weather looking in X": "in" was said first
                limit = min(n, j + (item.longest or FREE_SLOT_MAX.get(item.slot_kind,
                                                                     FREE_SLOT_DEFAULT_MAX)))
                shaped = _SHAPED_FOR.get(item.slot_kind)
                # a URL or path slot holding plain words gains half
                gain = item.weight if shaped is None else 0.5 * item.weight
                has_value = False
                sums: set[str] = set()
                alien = 0.0
                for k in range(j + 1, limit + 1):
                    tok = tokens[k - 1]
                    if tok.kind in typed or _cannot_hold(item, tok):
                        break
                    if k == j + 1 and item.slot_kind == "label" and tok.text in LABEL_NOT_FIRST:
                        break  # "… on the pizza timer": the name comes after "on the"
                    if item.slot_kind == "label" and i > 0 and tok.text == items[i - 1].text:
                        break  # "umbrella from holiday" is no name for "from {list} list"
                    # "remind me in five minutes": "me" is not what to remind of
                    # "tick it off my list": "it" holds the place of what another
                    # clause names (the router leaves it missing when none does)
                    has_value = has_value or tok.text not in NOT_A_VALUE \
                        or tok.text in POINTING
                    if foreign is not None and item.slot_kind not in _ANY_WORDS \
                            and not item.any_words and not (item.slot_kind == "path"
                                                            and tok.text in FOLDER_NAMES):
                        # one such word is enough to tell
                        alien = max(alien, foreign[k - 1])
                    if shaped is not None and tok.kind in shaped:
                        gain = item.weight
                    elif item.slot_kind == "path" and not item.shape_required \
                            and tok.text in FOLDER_NAMES:
                        gain = item.weight  # "in desktop", "in my projects folder"
                    if item.slot_kind == "number" and not _whole_number(tokens[j:k]):
                        continue  # "{value} {unit} in {unit}" holds a number, not words
                    if item.slot_kind == "expression":
                        # a sum only: numbers, an operator, and nothing but arithmetic
                        if not arithmetic_word(tok.text):
                            break
                        sums.update(_sum_parts(tokens, k - 1))
                        if sums != {"number", "operator"}:
                            continue
                    if has_value and not (item.shape_required and gain < item.weight):
                        # a folder said in words is short: of two places for it, the
                        # last "in …" ("… in the name in my pictures folder")
                        longer = _PATH_WORD_COST * (k - j) if item.slot_kind == "path" else 0.0
                        _relax(best, back, i + 1, k, here + gain - alien - longer, i, j)
    total = sum(it.weight for it in items) or 1.0
    spans: dict[str, tuple[int, int]] = {}
    gains: dict[str, float] = {}
    said: set[int] = set()  # items matched by a word or filled
    matched = 0.0
    tie_break = 0.0  # what the path slots' length cost: it only chooses, never scores
    i, j = m, n
    while (i, j) != (0, 0):
        step = back[i][j]
        assert step is not None
        pi, pj = step
        if pi == i - 1 and pj < j:
            item = items[pi]
            said.add(pi)
            if item.slot_kind:
                spans[item.text] = (pj, j)
                longer = _PATH_WORD_COST * (j - pj) if item.slot_kind == "path" else 0.0
                gains[item.text] = best[i][j] - best[pi][pj] + longer
                tie_break += longer
            else:
                matched += item.weight
        i, j = pi, pj
    anchored = _anchored(items, spans, said)
    # An example made of slots ("what is {value} {unit} in {unit}") does not fit every
    # sentence: with nothing heard but little words — no word of its own, no number or
    # duration — the words in its free slots earn nothing.
    content = any(k in said and (it.text not in STOPWORDS if not it.slot_kind else
                                 it.slot_kind in _SHAPED_KINDS)
                  for k, it in enumerate(items))
    lost = 0.0 if content else sum(
        gains[it.text] - it.weight * it.keep for it in items
        if it.slot_kind and it.text in spans and it.slot_kind not in _SHAPED_KINDS
        and it.text in anchored)
    # A value dropped for want of its anchor words: a word or two may be the command
    # word misheard ("set a Tyler for …" said for "… timer for …"); more were said for
    # nothing: "put my address on the clipboard: …" is no "put on {query}".
    for it in items:
        if it.text in spans and it.text not in anchored:
            start, end = spans[it.text]
            lost += sum(insert_cost[start + MISHEARD_WORDS:end])
    # rounded: the tie break given back must not leave a float's last bit to decide
    score = round(max(0.0, best[m][n] + tie_break - lost) / total, 9)
    return Alignment(score, matched, anchored)


# values heard by their shape, not their place
_SHAPED_KINDS = {*TYPED_SLOTS, "number", "expression"}
# values that may be any word: a timer may be called "reminder"
_ANY_WORDS = {*_SHAPED_KINDS, "label"}


def _anchored(items: tuple[Item, ...], spans: dict[str, tuple[int, int]],
              said: set[int]) -> dict[str, tuple[int, int]]:
    """Free slot values whose neighbouring words were heard: in "set an alarm for five
    minutes" against "set a {label} timer for {seconds}", "alarm" is no label."""
    out = {}
    for k, item in enumerate(items):
        if item.text not in spans or not item.slot_kind:
            continue
        if item.slot_kind not in TYPED_SLOTS and item.slot_kind != "number":
            # a label's neighbours may be a duration ("a {seconds} {label} timer")
            anchors = ("", *TYPED_SLOTS) if item.slot_kind == "label" else ("",)
            neighbours = [_anchor(items, k, step, said) for step in (-1, 1)]
            neighbours = [n for n in neighbours
                          if 0 <= n < len(items) and items[n].slot_kind in anchors]
            # A label is optional and short: only trusted between words that were heard.
            heard = all if item.slot_kind == "label" else any
            if neighbours and not heard(n in said for n in neighbours):
                continue
        out[item.text] = spans[item.text]
    return out


def _anchor(items: tuple[Item, ...], k: int, step: int, said: set[int]) -> int:
    """The item next to slot k that anchors it: an article left out is no anchor, the
    word before it is ("fire up spotify" for "fire up the {name}")."""
    n = k + step
    while 0 <= n + step < len(items) and n not in said and items[n].text in _DETERMINERS \
            and not items[n].slot_kind and not items[n + step].slot_kind:
        n += step
    return n


def _needs_anchor(items: tuple[Item, ...], i: int) -> bool:
    """Whether free slot i holds words only after its word before was heard: the slot
    ends the example (or a slot follows it), so that word is its only anchor."""
    item = items[i]
    # a number slot holds a number only: it needs no anchor word ("set volume 75")
    if not item.slot_kind or item.slot_kind in TYPED_SLOTS or item.slot_kind == "number" \
            or i == 0:
        return False
    before = items[i - 1]
    return not before.slot_kind and before.keep == 0.0 and before.text not in _DETERMINERS \
        and (i + 1 == len(items) or bool(items[i + 1].slot_kind))


def _after_word(back: list[list[tuple[int, int] | None]], i: int, j: int) -> bool:
    """Whether the best path to (i, j) heard item i - 1 (extra words may follow it)."""
    while (step := back[i][j]) is not None:
        pi, pj = step
        if pi == i:  # an extra word of the utterance
            j = pj
            continue
        return pi == i - 1 and pj < j
    return False


def _sum_parts(tokens: list[Token], k: int) -> set[str]:
    """What token k gives a spoken sum: a "number", an "operator" (a percentage only
    of something: "15 percent of 80"), or nothing."""
    word = tokens[k].text
    if is_number_word(word):
        return {"number"}
    if word in ARITHMETIC_OPERATORS or (word == "of" and k > 0
                                        and tokens[k - 1].text in ("percent", "%")):
        return {"operator"}
    return set()


def _whole_number(span: list[Token]) -> bool:
    words = [t.text for t in span]
    number = parse_number(words, 0)
    return number is not None and number[1] == len(words)


def _cannot_hold(item: Item, tok: Token) -> bool:
    """An app name or a label is words: a URL, a path or a duration there is the wrong
    thing ("start a countdown for 5 minutes" starts no app). A slot may refuse more
    ("where is report.docx" asks for a file, not for words on the screen)."""
    return tok.kind in item.refuse or item.slot_kind in ("app", "label") and (
        tok.kind in _ADDRESS_KINDS or tok.kind in TYPED_SLOTS)


_ADDRESS_KINDS = ("url", "domain", "path", "file")


@lru_cache(maxsize=65536)
def joined_similarity(word: str, first: str, second: str) -> float:
    """A word heard as two ("to day", "fire fox"): the pair read as one word. Only a
    close match counts when one half is a little word ("a timer" is not "time")."""
    sim = word_similarity(word, first + second)
    if sim < 0.9 and (first in STOPWORDS or second in STOPWORDS):
        return 0.0
    return sim


def _plural_pair(a: str, b: str) -> bool:
    return a + "s" == b or b + "s" == a


def _relax(best, back, i: int, j: int, value: float, pi: int, pj: int) -> None:
    if value > best[i][j]:
        best[i][j] = value
        back[i][j] = (pi, pj)
