"""Scoring recognised text: word error rate, and the reference texts of the real
recordings we score against (moonshine-voice assets)."""

from __future__ import annotations

import re

TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it "
    "was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness, it was the "
    "spring of hope, it was the winter of despair, we had everything before us, we had "
    "nothing before us, we were all going direct to Heaven, we were all going direct the "
    "other way—in short, the period was so far like the present period, that some of its "
    "noisiest authorities insisted on its being received, for good or for evil, in the "
    "superlative degree of comparison only.")
BECKETT = "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better."

NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS |= {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90"}
_NUM = NUMBER_WORDS | {"okay": "ok"}


def words(text: str) -> list[str]:
    """Lowercase words, number words as digits ("two" → "2"), "okay" → "ok"."""
    text = text.lower().replace("—", " ").replace("-", " ")
    return [_NUM.get(w, w) for w in re.findall(r"[a-z0-9']+", text)]


def edits(reference: str, hypothesis: str) -> int:
    """Word-level edit distance."""
    ref, hyp = words(reference), words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis (0..)."""
    return edits(reference, hypothesis) / max(1, len(words(reference)))


def wer_pct(pairs: list[tuple[str, str]]) -> float:
    """Corpus WER in % (edits over all reference words)."""
    n = sum(len(words(r)) for r, _ in pairs)
    return round(100 * sum(edits(r, h) for r, h in pairs) / max(1, n), 2)
