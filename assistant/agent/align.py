"""The router's lexical side: utterance tokens that remember where they came from,
typed slot values found up front (durations, clock times), sound-alike word similarity,
and a fuzzy alignment of an utterance against one example phrase that also says which
words fill each {slot}."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.agent.numbers import find_clock_time_in, find_duration_in

DURATION, TIME = "<duration>", "<time>"  # masked tokens standing for a typed value
TYPED_SLOTS = {"duration": DURATION, "time": TIME}
# Free slots and the longest span (tokens) each may take.
FREE_SLOT_MAX = {"label": 3, "app": 5}
FREE_SLOT_DEFAULT_MAX = 40
# Token kinds that show a value is an address or a path rather than words.
_SHAPED_FOR = {"url": ("url", "domain"), "path": ("path", "file")}
# "example.com" is an address, "notes.txt" a file name.
_TLDS = {"com", "org", "net", "io", "dev", "app", "edu", "gov", "uk", "de", "fr", "eu", "co",
         "info", "ai", "me", "tv", "us", "ca", "au", "nl", "se", "ch", "it", "es", "jp"}
KEEP_WHEN_LEFT_OUT = 0.4  # share of a left-out word's weight still counted

_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s,]+)"
    r"|(?P<path>(?:~|\.{1,2})?/[^\s,!?]*|~(?=\s|$))"
    r"|(?P<clock>\b\d{1,2}:\d{2}\b)"
    r"|(?P<file>\b[\w-]{2,}(?:\.[\w-]+)*\.[a-z][a-z0-9]{0,4}\b)"
    r"|(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)?)",
    re.IGNORECASE,
)
_IS_WORDS = {"what", "it", "that", "there", "how", "who", "where", "when", "here"}
# Said before the command and meaningless to routing.
LEADING_FILLER = {"hey", "hi", "ok", "okay", "jarvis", "heron", "please", "so", "um", "uh",
                  "can", "could", "would", "will", "you", "tell", "me"}
# Cheap to ignore when they appear where an example has nothing.
FILLER = LEADING_FILLER | {"now", "thanks", "thank", "just", "quickly", "again", "for",
                           "a", "an", "the", "my", "me", "to", "up", "of", "right", "away",
                           "like", "actually", "oh", "well", "and", "then"}
# Too short or too common to be fuzzy-matched to anything but themselves.
STOPWORDS = {"a", "an", "the", "my", "is", "to", "for", "of", "in", "on", "me", "i", "it",
             "at", "and", "this", "that", "what", "are", "be", "do", "with", "by", "from"}
# Never a slot value on their own ("remind me in five minutes": "me" is not the text).
# Names (a "hey jarvis" timer) can be, so the greeting words are not in this set.
NOT_A_VALUE = (FILLER - {"hey", "hi", "jarvis", "heron"}) | STOPWORDS


@dataclass(frozen=True)
class Token:
    text: str  # lowercased, contractions expanded; DURATION/TIME for masked values
    start: int  # character span in the original utterance
    end: int
    kind: str = "word"  # word | num | url | domain | path | file | clock | duration | time
    value: object = None  # seconds for a duration, "HH:MM" for a time


def tokens_of(text: str) -> list[Token]:
    """Tokens with character offsets; contractions expanded ("what's" → what is) and
    leading filler ("hey jarvis, could you") dropped."""
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        start, end = m.span()
        raw = m.group().lower()
        if kind in ("url", "path", "file"):
            trimmed = raw.rstrip(".!?)")
            end -= len(raw) - len(trimmed)
            raw = trimmed
        if kind == "file" and raw.rsplit(".", 1)[-1] in _TLDS:
            kind = "domain"
        if kind == "num":
            raw = raw.replace(",", "")
            out.append(Token(raw, start, end, kind))
            continue
        if kind != "word":
            out.append(Token(raw, start, end, kind))
            continue
        out.extend(Token(w, start, end) for w in _expand(raw))
    i = 0
    while i < len(out) - 1 and out[i].text in LEADING_FILLER:
        i += 1
    return out[i:]


def _expand(word: str) -> list[str]:
    base, _, tail = word.partition("'")
    if tail == "s":
        return [base, "is"] if base in _IS_WORDS else [base]
    if tail == "re":
        return [base, "are"]
    if tail == "ll":
        return [base, "will"]
    if tail == "t" and base.endswith("n"):
        return [base[:-1] or base, "not"]
    return [word]


def mask_values(tokens: list[Token]) -> list[Token]:
    """Replace the first duration and the first clock time by one typed token each."""
    words = [t.text for t in tokens]
    spans = []
    duration = find_duration_in(words)
    if duration:
        spans.append((duration.start, duration.end, DURATION, "duration", duration.seconds))
    clock = find_clock_time_in(words)
    if clock and not (duration and clock.start < duration.end and duration.start < clock.end):
        spans.append((clock.start, clock.end, TIME, "time", clock.hhmm))
    out = list(tokens)
    for start, end, text, kind, value in sorted(spans, reverse=True):
        out[start:end] = [Token(text, tokens[start].start, tokens[end - 1].end, kind, value)]
    return out


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


@lru_cache(maxsize=65536)
def word_similarity(a: str, b: str) -> float:
    """1 for the same word, ~0.9 for a sound-alike, the spelling ratio when ≥ 0.75
    ("time"/"timer"), else 0. Short and very common words only match themselves."""
    if a == b:
        return 1.0
    if a.startswith("<") or b.startswith("<") or a in STOPWORDS or b in STOPWORDS:
        return 0.0
    if min(len(a), len(b)) >= 3 and sound_key(a) == sound_key(b):
        return 0.9
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 3:
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
          fuzz: list[float] | None = None) -> Alignment:
    """Best fuzzy alignment of `tokens` to `items` (dynamic programming over
    item × token positions). Literal words gain their weight × similarity; a typed
    slot gains when its masked token is there; a free slot takes one or more words;
    words matched by nothing cost `insert_cost`. `fuzz[j]` scales a near (not exact)
    match of token j: below 1 for words that are themselves known command words."""
    m, n = len(items), len(tokens)
    fuzz = fuzz or [1.0] * n
    neg = -1e9
    best = [[neg] * (n + 1) for _ in range(m + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
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
            _relax(best, back, i + 1, j, here + item.weight * item.keep, i, j)
            if j == n:
                continue
            if not item.slot_kind:
                sim = word_similarity(item.text, tokens[j].text)
                if sim:
                    if sim < 1.0 and not _plural_pair(item.text, tokens[j].text):
                        sim *= fuzz[j]
                    _relax(best, back, i + 1, j + 1, here + item.weight * sim, i, j)
                if j + 1 < n and tokens[j].kind == tokens[j + 1].kind == "word":
                    sim = _joined_similarity(item.text, tokens[j].text, tokens[j + 1].text)
                    if sim:
                        if sim < 1.0:
                            sim *= min(fuzz[j], fuzz[j + 1])
                        _relax(best, back, i + 1, j + 2, here + item.weight * sim, i, j)
            elif item.slot_kind in TYPED_SLOTS:
                if tokens[j].text == TYPED_SLOTS[item.slot_kind]:
                    _relax(best, back, i + 1, j + 1, here + item.weight, i, j)
            else:
                limit = min(n, j + FREE_SLOT_MAX.get(item.slot_kind, FREE_SLOT_DEFAULT_MAX))
                shaped = _SHAPED_FOR.get(item.slot_kind)
                for k in range(j + 1, limit + 1):
                    tok = tokens[k - 1]
                    if tok.kind in ("duration", "time"):
                        break
                    if _cannot_hold(item, tok):
                        break
                    span = tokens[j:k]
                    if all(t.text in NOT_A_VALUE for t in span):
                        # "remind me in five minutes": "me" is not what to remind of
                        continue
                    gain = item.weight
                    if shaped is not None and not any(t.kind in shaped for t in span):
                        gain *= 0.5  # a URL or path slot holding plain words
                    _relax(best, back, i + 1, k, here + gain, i, j)
    total = sum(it.weight for it in items) or 1.0
    spans: dict[str, tuple[int, int]] = {}
    said: set[int] = set()  # items matched by a word or filled
    matched = 0.0
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
            else:
                matched += item.weight
        i, j = pi, pj
    return Alignment(max(0.0, best[m][n]) / total, matched, _anchored(items, spans, said))


def _anchored(items: tuple[Item, ...], spans: dict[str, tuple[int, int]],
              said: set[int]) -> dict[str, tuple[int, int]]:
    """Free slot values whose neighbouring words were heard: in "set an alarm for five
    minutes" against "set a {label} timer for {seconds}", "alarm" is no label."""
    out = {}
    for k, item in enumerate(items):
        if item.text not in spans or not item.slot_kind:
            continue
        if item.slot_kind not in TYPED_SLOTS:
            neighbours = [n for n in (k - 1, k + 1)
                          if 0 <= n < len(items) and not items[n].slot_kind]
            # A label is optional and short: only trusted between words that were heard.
            heard = all if item.slot_kind == "label" else any
            if neighbours and not heard(n in said for n in neighbours):
                continue
        out[item.text] = spans[item.text]
    return out


def _cannot_hold(item: Item, tok: Token) -> bool:
    """An app name or a label is words: a URL or a path there is the wrong thing."""
    return item.slot_kind in ("app", "label") and tok.kind in _ADDRESS_KINDS


_ADDRESS_KINDS = ("url", "domain", "path", "file")


def _joined_similarity(word: str, first: str, second: str) -> float:
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
