"""The instant router (no LLM): match an utterance to the tools' example phrases and
fill their slots. Two signals: a fuzzy, sound-alike alignment against each example
(robust to "set at timer", "what's the thyme") and, when an embedder is given, MiniLM
similarity to the examples (robust to rewording). Unsure between tools that change
something → a match marked `ambiguous`, so the agent asks instead of guessing."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from assistant.agent.align import (
    DURATION,
    FILLER,
    TIME,
    TYPED_SLOTS,
    Item,
    Token,
    align,
    anchor_free_slots,
    idf_weights,
    mask_values,
    tokens_of,
    word_weight,
)
from assistant.agent.embeddings import Embedder, ExampleIndex
from assistant.agent.numbers import parse_number
from assistant.tools.manifest import ToolManifest
from models.errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.7
AMBIGUITY_MARGIN = 0.06  # top two tools closer than this, one of them with effects → ask
SEMANTIC_DISCOUNT = 0.12  # meaning alone must clear the threshold by this much
EXACT = 0.999
KNOWN_WORD_FUZZ = 0.75  # an alignment this good means an example phrase was said as written
# How each slot kind reads in an example phrase given to the embedder; the utterance's
# typed values (durations, times, paths, addresses) are replaced the same way.
PLACEHOLDER = {"duration": "{duration}", "time": "{time}", "url": "{url}", "path": "{path}"}
_LABEL_STOP = {"a", "an", "the", "my", "new", "this", "that", "all", "timer", "timers", "for",
               "set", "start", "cancel", "stop", "delete", "please", "and", "of", "in", "at",
               "to", "on", "up", "is", "it", "one", "another"}
_LEAD_WORDS = {"that", "about", "to"}  # "make a note that …", "remind me about …"
_TRAIL_WORDS = {"a", "an", "the", "for", "in", "at", "on", "to", "of", "and", "please"}
_SLOT = re.compile(r"\{(\w+)\}")
_SLOT_WEIGHT = {"duration": 1.5, "time": 1.5, "label": 0.4}
_FREE_SLOT_WEIGHT = 0.5
_INSERT_FILLER = 0.1
_INSERT_FACTOR = 0.5


@dataclass(frozen=True)
class RouteMatch:
    tool: str
    args: dict[str, Any]
    score: float
    example: str
    missing: tuple[str, ...] = field(default=())  # required slots not heard
    # Set when the router is unsure between tools and one of them changes something:
    # the tool names to ask about (this match's first) and the others' own matches.
    ambiguous: tuple[str, ...] = field(default=())
    alternatives: tuple[RouteMatch, ...] = field(default=())


@dataclass(frozen=True)
class ToolScore:
    """How well one tool fits an utterance (for reports and tuning)."""

    tool: str
    score: float
    lexical: float
    semantic: float | None
    example: str


@dataclass(frozen=True)
class _Template:
    tool: ToolManifest
    text: str
    items: tuple[Item, ...]
    embed_text: str


@dataclass
class _Scored:
    template: _Template
    score: float
    lexical: float
    semantic: float | None
    matched: float
    spans: dict[str, tuple[int, int]]


class Router:
    """`route(text)` → the best tool with its arguments, or None when nothing fits.

    Without an embedder only the lexical signal is used (still robust to slips of
    the recogniser). `update(manifests)` after the tool set changes; example
    embeddings are recomputed only when the phrases did.
    """

    def __init__(self, manifests: Sequence[ToolManifest], embedder: Embedder | None = None,
                 threshold: float = DEFAULT_THRESHOLD,
                 ambiguity_margin: float = AMBIGUITY_MARGIN) -> None:
        self.threshold = threshold
        self.ambiguity_margin = ambiguity_margin
        self.embedder = embedder
        self._index = ExampleIndex(embedder) if embedder is not None else None
        self.update(manifests)

    # -- the tool set ----------------------------------------------------------------------
    def update(self, manifests: Sequence[ToolManifest]) -> None:
        """Use this tool set from now on (after a worker was added, removed or reloaded)."""
        words_by_tool = {m.name: _literal_words(m) for m in manifests}
        self._weights = idf_weights(words_by_tool)
        self._unknown_weight = word_weight("", len(words_by_tool), 1)
        self._templates = [self._compile(m, ex) for m in manifests for ex in m.examples]
        self._last_route: tuple[str, RouteMatch | None] | None = None

    def warm_up(self) -> None:
        """Embed the example phrases now rather than on the first routed utterance."""
        self._example_matrix()

    def _compile(self, m: ToolManifest, example: str) -> _Template:
        slots = m.slots()
        items: list[Item] = []
        shown: list[str] = []
        for part in re.split(r"(\{\w+\})", example):
            slot = _SLOT.fullmatch(part)
            if slot:
                name = slot.group(1)
                kind = slots.get(name, "text")
                items.append(Item(name, _SLOT_WEIGHT.get(kind, _FREE_SLOT_WEIGHT), kind))
                shown.append(PLACEHOLDER.get(kind, "something"))
                continue
            for tok in tokens_of(part) if part.strip() else ():
                items.append(Item(tok.text, self._weights.get(tok.text, 1.0)))
                shown.append(tok.text)
        return _Template(m, example, anchor_free_slots(items), " ".join(shown))

    def _example_matrix(self) -> np.ndarray | None:
        if self._index is None:
            return None
        return self._index.matrix([t.embed_text for t in self._templates])

    # -- routing ---------------------------------------------------------------------------
    def route(self, text: str) -> RouteMatch | None:
        """The best tool for `text` with its arguments; None below the threshold."""
        # A voice turn routes its transcript twice: the endpointer asks whether it is a
        # complete command, then the agent acts on it. The second costs nothing.
        if self._last_route is not None and self._last_route[0] == text:
            cached = self._last_route[1]  # a copy: callers may fill in its arguments
            return None if cached is None else replace(cached, args=dict(cached.args))
        match = self._route(text)
        self._last_route = (text, match)
        return match

    def _route(self, text: str) -> RouteMatch | None:
        ranked = self._rank(text)
        if not ranked or ranked[0].score < self.threshold:
            return None
        tokens = self._last_tokens
        best = self._match(ranked[0], text, tokens)
        if len(ranked) < 2:
            return best
        second = ranked[1]
        close = (ranked[0].score - second.score < self.ambiguity_margin
                 and ranked[0].lexical < EXACT)
        changes = {ranked[0].template.tool.effects, second.template.tool.effects} - {"read"}
        if not (close and changes):
            return best
        other = self._match(second, text, tokens)
        if best.missing and not other.missing and (other.score >= self.threshold
                                                   or other.args):
            # "set a timer for 90 seconds" misheard: a reminder would still need its
            # text, the timer is a whole command. Take the whole one, do not ask — if it
            # clears the threshold or what was said fills its slots ("the timer" is not
            # a request for the time).
            return other
        return RouteMatch(best.tool, best.args, best.score, best.example, best.missing,
                          ambiguous=(best.tool, other.tool), alternatives=(other,))

    def scores(self, text: str) -> list[ToolScore]:
        """Every tool's best score for `text`, best first."""
        return [ToolScore(s.template.tool.name, s.score, s.lexical, s.semantic, s.template.text)
                for s in self._rank(text)]

    def _rank(self, text: str) -> list[_Scored]:
        tokens = mask_values(tokens_of(text))
        self._last_tokens = tokens
        if not tokens or not self._templates:
            return []
        costs = [self._insert_cost(t) for t in tokens]
        # "timer" heard is meant as "timer", not a slip for "time": near matches of a
        # word some tool uses as it is count for less.
        fuzz = [KNOWN_WORD_FUZZ if t.text in self._weights else 1.0 for t in tokens]
        scored = []
        for tpl in self._templates:
            a = align(tpl.items, tokens, costs, fuzz)
            scored.append(_Scored(tpl, a.score, a.score, None, a.matched, a.spans))
        exact = max(s.lexical for s in scored) >= EXACT
        semantic = None if exact else self._semantic(tokens)
        if semantic is not None:
            for s, cos in zip(scored, semantic, strict=True):
                s.semantic = float(cos)
                s.score = combine(s.lexical, s.semantic)
        best: dict[str, _Scored] = {}
        for s in scored:
            name = s.template.tool.name
            if name not in best or (s.score, s.matched) > (best[name].score, best[name].matched):
                best[name] = s
        return sorted(best.values(), key=lambda s: (s.score, s.matched), reverse=True)

    def _semantic(self, tokens: list[Token]) -> np.ndarray | None:
        """Cosine similarity of the utterance to every example; None without a model."""
        if self._index is None or self.embedder is None:
            return None
        try:
            matrix = self._example_matrix()
            query = self.embedder.embed_one(_embed_text(tokens))
        except ModelError as err:
            # Routing must go on: the words alone still carry known commands.
            log.warning("router: embeddings off (%s: %s); %s", err.code, err.message,
                        err.hint)
            self._index = None
            return None
        return matrix @ query

    def _insert_cost(self, tok: Token) -> float:
        if tok.text in FILLER:
            return _INSERT_FILLER
        return _INSERT_FACTOR * self._weights.get(tok.text, self._unknown_weight)

    # -- slots -----------------------------------------------------------------------------
    @staticmethod
    def _match(s: _Scored, text: str, tokens: list[Token]) -> RouteMatch:
        m = s.template.tool
        props = m.input_schema.get("properties", {})
        args: dict[str, Any] = {}
        for name, kind in m.slots().items():
            value = _slot_value(kind, props.get(name, {}), s.spans.get(name), text, tokens)
            if value is not None:
                args[name] = value
        required = m.input_schema.get("required", ())
        missing = tuple(n for n in required if n not in args)
        return RouteMatch(m.name, args, round(s.score, 4), s.template.text, missing)


def combine(lexical: float, semantic: float) -> float:
    """One score from the alignment and the embedding similarity: either signal alone
    can carry a command (a misheard word / a rewording), both together count most."""
    return max(lexical, 0.5 * lexical + 0.5 * semantic, semantic - SEMANTIC_DISCOUNT)


def _embed_text(tokens: list[Token]) -> str:
    shown = []
    for t in tokens:
        if t.text == DURATION:
            shown.append(PLACEHOLDER["duration"])
        elif t.text == TIME:
            shown.append(PLACEHOLDER["time"])
        elif t.kind in ("url", "domain"):
            shown.append(PLACEHOLDER["url"])
        elif t.kind == "path":
            shown.append(PLACEHOLDER["path"])
        else:
            shown.append(t.text)
    return " ".join(shown)


def _slot_value(kind: str, prop: dict[str, Any], span: tuple[int, int] | None, text: str,
                tokens: list[Token]) -> Any:
    if kind in TYPED_SLOTS:
        # The value counts even when the example that won did not place it.
        marker = TYPED_SLOTS[kind]
        return next((t.value for t in tokens if t.text == marker), None)
    if span is None:
        return None
    start, end = span
    # "set an alarm for …": little words at the edges are not part of the value.
    if end - start > 1 and tokens[start].text in _LEAD_WORDS:
        start += 1
    while end - start > 1 and tokens[end - 1].text in _TRAIL_WORDS:
        end -= 1
    words = [t.text for t in tokens[start:end]]
    if prop.get("type") in ("integer", "number"):
        number = parse_number(words, 0)
        return int(number[0]) if number and prop.get("type") == "integer" else \
            (number[0] if number else None)
    value = text[tokens[start].start:tokens[end - 1].end].strip(" \t\"'“”‘’,;:")
    if kind == "label":
        value = re.sub(r"^(?:(?:a|an|the|my)\s+)+", "", value.lower())
        if value in _LABEL_STOP:
            return None
    return value or None


def _literal_words(m: ToolManifest) -> set[str]:
    words: set[str] = set()
    for ex in m.examples:
        words.update(t.text for t in tokens_of(_SLOT.sub(" ", ex)))
    return words
