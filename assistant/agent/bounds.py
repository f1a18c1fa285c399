"""Which example phrases could still win, found without aligning them: an upper bound
on each example's alignment score from the words heard. The router aligns only the
examples whose bound can change its answer (~400 examples: most are never aligned)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.agent.align import TYPED_ELSEWHERE, Item, joined_similarity, word_similarity
from assistant.agent.tokens import TYPED_SLOTS, Token


class WordIndex:
    """The example phrases' words, and which of them each heard word may be: the
    answers are kept per heard word (most words of a command were heard before)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(sorted(set(words)))
        self._near: dict[str, tuple[tuple[str, float], ...]] = {}
        self._joined: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {}

    def near(self, heard: str) -> tuple[tuple[str, float], ...]:
        """(word, similarity) for each word of the examples `heard` may be."""
        hit = self._near.get(heard)
        if hit is None:
            hit = tuple((w, s) for w in self.words if (s := word_similarity(w, heard)))
            self._near[heard] = hit
            _bound(self._near)
        return hit

    def near_pair(self, first: str, second: str) -> tuple[tuple[str, float], ...]:
        """The same for two heard words said as one ("fire fox")."""
        key = (first, second)
        hit = self._joined.get(key)
        if hit is None:
            hit = tuple((w, s) for w in self.words
                        if (s := joined_similarity(w, first, second)))
            self._joined[key] = hit
            _bound(self._joined)
        return hit


def _bound(cache: dict, size: int = 4096) -> None:
    if len(cache) > size:
        del cache[next(iter(cache))]


def upper_bounds(templates: Sequence[Sequence[Item]], tokens: list[Token],
                 insert_cost: list[float], index: WordIndex) -> list[float]:
    """For each example phrase, a score `align` cannot exceed (see `Bounds.upper`)."""
    return Bounds(templates).upper(tokens, insert_cost, index).tolist()


MAX_BITS = 62  # tokens with a bit each in an int64


class Bounds:
    """Upper bounds on each example phrase's alignment score, found without aligning:
    every word at its best similarity to anything said (or left out), every slot
    filled, and — with no free slot to absorb them — the words nothing in the example
    sounds like paid for. The examples are laid out once as arrays, so a request costs
    a few array operations whatever the number of examples."""

    def __init__(self, templates: Sequence[Sequence[Item]]) -> None:
        markers = set(TYPED_SLOTS.values())
        vocab: dict[str, int] = {}
        rows, cols, weights, keeps = [], [], [], []
        self._free_gain = np.zeros(len(templates))
        self._total = np.ones(len(templates))
        self._has_free = np.zeros(len(templates), dtype=bool)
        for t, items in enumerate(templates):
            total = 0.0
            for it in items:
                total += it.weight
                if it.slot_kind and it.slot_kind not in TYPED_SLOTS:
                    self._free_gain[t] += it.weight
                    self._has_free[t] = True
                    continue
                # a typed slot is a word that only its marker token is
                word = TYPED_SLOTS[it.slot_kind] if it.slot_kind else it.text
                rows.append(t)
                cols.append(vocab.setdefault(word, len(vocab)))
                weights.append(it.weight)
                keeps.append(it.keep)
            self._total[t] = total or 1.0
        self._vocab = vocab
        self._markers = {m: vocab[m] for m in markers if m in vocab}
        self._rows = np.array(rows, dtype=np.intp)
        self._cols = np.array(cols, dtype=np.intp)
        self._weights = np.array(weights)
        self._keeps = np.array(keeps)
        # items are laid out template by template: where each template's start
        self._starts = np.searchsorted(self._rows, np.arange(len(templates)))
        self._has_items = np.bincount(self._rows, minlength=len(templates)) > 0

    def upper(self, tokens: list[Token], insert_cost: list[float],
              index: WordIndex) -> np.ndarray:
        """The bound of every example for these tokens. `index` holds every literal
        word of the examples."""
        n = len(tokens)
        words = [t.text for t in tokens]
        sim = np.zeros(len(self._vocab))
        # which tokens each word may stand for, one bit per token (no BLAS: its threads
        # only add jitter on a busy machine)
        cover = np.zeros(len(self._vocab), dtype=np.int64)

        def note(matches: tuple[tuple[str, float], ...], bits: int) -> None:
            for w, s in matches:
                col = self._vocab.get(w)
                if col is not None:
                    sim[col] = max(sim[col], s)
                    cover[col] |= bits

        counted = min(n, MAX_BITS)  # words past this many are never paid for: still a bound
        for j, w in enumerate(words[:counted]):
            col = self._markers.get(w)
            if col is not None:
                sim[col] = 1.0
                cover[col] |= 1 << j
                continue
            note(index.near(w), 1 << j)
            if j + 1 < counted and tokens[j].kind == tokens[j + 1].kind == "word":
                note(index.near_pair(w, words[j + 1]), 3 << j)
        item_gain = self._weights * np.maximum(sim[self._cols], self._keeps)
        gain = self._free_gain + np.bincount(self._rows, weights=item_gain,
                                             minlength=len(self._total))
        if counted and len(self._cols):
            masks = np.bitwise_or.reduceat(cover[self._cols], self._starts.clip(
                max=len(self._cols) - 1))
            masks[~self._has_items] = 0
            unpaid = np.zeros(len(self._total))
            for j in range(counted):
                # a day, time or length may cost less where the tool takes it (align)
                cost = min(insert_cost[j], TYPED_ELSEWHERE) if tokens[j].kind in TYPED_SLOTS \
                    else insert_cost[j]
                unpaid += cost * ((masks >> j) & 1 == 0)
            gain = gain - np.where(self._has_free, 0.0, unpaid)
        return np.maximum(gain, 0.0) / self._total
