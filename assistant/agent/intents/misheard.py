"""Misheard words put right before a second intent match: each word the templates do not
say is replaced by the nearest template word that sounds or is spelt alike ("minuets" →
"minute", "thyme" → "time"), with the spans kept so a wildcard keeps what was said."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.agent.align import sound_key, word_similarity

FUZZY_CEILING = 0.95  # a corrected match is never as sure as one said as written
MIN_SIMILARITY = 0.75
MAX_LENGTH_GAP = 3  # letters; word_similarity is 0 beyond
SKELETON_MATCH = 0.8  # same consonants, other vowels ("council" for "cancel")
MIN_SKELETON = 3
NEAR_CACHE = 8192  # words remembered per process (their nearest template word)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Corrected:
    text: str  # corrected text
    # per word: (corrected start, corrected end, original start, original end)
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)
    similarities: list[float] = field(default_factory=list)  # of the replaced words
    words: int = 0

    def original(self, span: tuple[int, int], original: str) -> str:
        """The original words under a span of the corrected text."""
        start, end = span
        inside = [s for s in self.spans if s[1] > start and s[0] < end]
        if not inside:
            return self.text[start:end]
        return original[inside[0][2]:inside[-1][3]]

    def confidence(self) -> float:
        """Lower the more words were misheard and the less alike they were."""
        product = 1.0
        for s in self.similarities:
            product *= s
        share = len(self.similarities) / max(self.words, 1)
        return round(FUZZY_CEILING * product ** 0.5 * (1 - 0.3 * share), 4)


class Corrector:
    """Puts misheard words right against one language's template words."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = frozenset(vocabulary)
        # Candidates by the first letter of their sound key: a word is only compared
        # with the template words that start with the same sound (a few dozen, not all).
        self._by_sound: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            self._by_sound.setdefault(sound_key(word)[:1], []).append(word)
        self._near: OrderedDict[str, tuple[str, float] | None] = OrderedDict()
        self._lock = threading.Lock()

    def correct(self, text: str, names: frozenset[str] | set[str]) -> Corrected:
        """`text` with each unknown word (not a template word, not in `names`) replaced
        by its nearest template word, when one is near enough."""
        out = Corrected("")
        pieces: list[str] = []
        pos = 0  # in the corrected text
        last = 0
        for m in _WORD.finditer(text):
            gap = text[last:m.start()]
            pieces.append(gap)
            pos += len(gap)
            word = m.group()
            lower = word.lower()
            out.words += 1
            new = word
            if lower not in self.vocabulary and lower not in names and not lower.isdigit() \
                    and len(lower) >= 3:
                near = _better(self._nearest(lower), _nearest_in(lower, names))
                if near is not None:
                    new = near[0]
                    out.similarities.append(near[1])
            pieces.append(new)
            out.spans.append((pos, pos + len(new), m.start(), m.end()))
            pos += len(new)
            last = m.end()
        pieces.append(text[last:])
        out.text = "".join(pieces)
        return out

    def _nearest(self, word: str) -> tuple[str, float] | None:
        with self._lock:
            if word in self._near:
                self._near.move_to_end(word)
                return self._near[word]
        best = _nearest_in(word, self._by_sound.get(sound_key(word)[:1], ()))
        with self._lock:
            self._near[word] = best
            if len(self._near) > NEAR_CACHE:
                self._near.popitem(last=False)
        return best


_SOFT_C = re.compile(r"c(?=[eiy])")
_VOWELS = re.compile(r"[aeiouy]+")


def skeleton(word: str) -> str:
    """The consonants a word is heard by, in order ("council" and "cancel" → "knsl"):
    whisper misspells a vowel far more often than a consonant."""
    key = sound_key(_SOFT_C.sub("s", word))
    return key[:1] + _VOWELS.sub("", key[1:])


def sound_similarity(a: str, b: str) -> float:
    """word_similarity, or SKELETON_MATCH when both words have the same consonants
    (at least MIN_SKELETON of them) and start alike: a vowel misheard."""
    sim = word_similarity(a, b)
    if sim >= SKELETON_MATCH or min(len(a), len(b)) < 4:
        return sim
    ka, kb = skeleton(a), skeleton(b)
    if len(ka) >= MIN_SKELETON and ka == kb:
        return SKELETON_MATCH
    return sim


def _nearest_in(word: str, candidates: Iterable[str]) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for cand in candidates:
        if abs(len(cand) - len(word)) > MAX_LENGTH_GAP:
            continue
        sim = sound_similarity(cand, word)
        best = _better(best, (cand, sim) if sim >= MIN_SIMILARITY else None)
    return best


def _better(a: tuple[str, float] | None, b: tuple[str, float] | None
            ) -> tuple[str, float] | None:
    if a is None or b is None:
        return a or b
    return b if (b[1], a[0]) > (a[1], b[0]) else a  # the more alike; ties: alphabetical
