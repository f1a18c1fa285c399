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

from assistant.agent.align import POINTING, Item, align, anchor_free_slots, idf_weights, word_weight
from assistant.agent.bounds import Bounds, WordIndex
from assistant.agent.clauses import clause_route, clauses_of
from assistant.agent.embeddings import Embedder, ExampleIndex
from assistant.agent.examples import (
    SLOT,
    example_tails,
    literal_words,
    named_variants,
    slot_tails,
    users,
)
from assistant.agent.known_values import no_unit_said, unknown_unit
from assistant.agent.loose_values import label_said, said_anywhere, said_number, shaped_path
from assistant.agent.pointed_quantity import pointed_conversion
from assistant.agent.slots import (
    below_minimum,
    lost_place,
    measure_values,
    refused_value,
    said_values,
    slot_value,
    without_tail,
)
from assistant.agent.tokens import (
    DAY,
    DURATION,
    FILLER,
    STOPWORDS,
    TIME,
    TYPED_SLOTS,
    Token,
    tokens_of,
)
from assistant.agent.value_masks import mask_values, said_on_top
from assistant.tools.manifest import ToolManifest
from models.errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.65
AMBIGUITY_MARGIN = 0.06  # top two tools closer than this, one of them with effects → ask
SEMANTIC_DISCOUNT = 0.05  # meaning alone must clear the threshold by this much
SEMANTIC_SHARE = 0.5  # of the score when both signals count
# Words alone carry a misheard command, but not one whose meaning is far from the
# example ("should I take a coat" is no "what is {value} {from_unit} in {to_unit}").
SEMANTIC_FLOOR = 0.3
LEXICAL_ALONE_PENALTY = 0.5
# A free value holding a word that only this many tools use (another's command word)
# pays this share of the word's cost as if it were said for nothing.
COMMAND_WORD_TOOLS = 7
FOREIGN_WORD_COST = 0.5
EXACT = 0.999
KNOWN_WORD_FUZZ = 0.75  # an alignment this good means an example phrase was said as written
# How each slot kind reads in an example phrase given to the embedder; the utterance's
# typed values (durations, times, paths, addresses) are replaced the same way.
PLACEHOLDER = {"duration": "{duration}", "time": "{time}", "day": "{day}", "url": "{url}",
               "path": "{path}"}
_SLOT_WEIGHT = {"duration": 1.5, "time": 1.5, "day": 1.5, "label": 0.4}
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
    typed: frozenset[str]  # the typed slot kinds the tool takes
    words: frozenset[str]  # the words of the tool's examples
    tails: dict[str, tuple[tuple[str, ...], ...]]  # examples.example_tails


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
        words_by_tool = {m.name: literal_words(m) for m in manifests}
        self._tool_words = words_by_tool
        self._manifests = {m.name: m for m in manifests}
        self._weights = idf_weights(words_by_tool)
        # Words only a few tools use name their commands ("note", "clipboard", "timer").
        self._command_words = {w: used for w, used in users(words_by_tool).items()
                               if used <= COMMAND_WORD_TOOLS and w not in FILLER
                               and w not in STOPWORDS}
        self._unknown_weight = word_weight("", len(words_by_tool), 1)
        tails = {m.name: slot_tails(m) for m in manifests}
        self._templates = [self._compile(m, ex, tails[m.name]) for m in manifests
                           for ex in named_variants(m)]
        self._bounds = Bounds([t.items for t in self._templates])
        self._words = WordIndex([it.text for t in self._templates for it in t.items
                                 if not it.slot_kind])
        self._last_route: tuple[str, RouteMatch | None] | None = None

    def warm_up(self) -> None:
        """Embed the example phrases now rather than on the first routed utterance."""
        self._example_matrix()

    def _compile(self, m: ToolManifest, example: str,
                 tails: dict[str, tuple[tuple[str, ...], ...]]) -> _Template:
        slots = m.slots()
        props = m.input_schema.get("properties", {})
        items: list[Item] = []
        shown: list[str] = []
        for part in re.split(r"(\{\w+\})", example):
            slot = SLOT.fullmatch(part)
            if slot:
                name = slot.group(1)
                kind = slots.get(name, "text")
                prop = props.get(name, {})
                items.append(Item(name, _SLOT_WEIGHT.get(kind, _FREE_SLOT_WEIGHT), kind,
                                  refuse=frozenset(prop.get("x-not-shapes", ())),
                                  longest=prop.get("x-max-words", 0),
                                  shape_required=prop.get("x-shape-required", False),
                                  any_words=prop.get("x-any-words", False)))
                shown.append(PLACEHOLDER.get(kind, "something"))
                continue
            for tok in tokens_of(part) if part.strip() else ():
                items.append(Item(tok.text, self._weights.get(tok.text, 1.0)))
                shown.append(tok.text)
        typed = frozenset(kind for kind in slots.values() if kind in TYPED_SLOTS)
        return _Template(m, example, anchor_free_slots(items), " ".join(shown), typed,
                         frozenset(self._tool_words[m.name]), example_tails(m, example, tails))

    def example_phrases(self) -> list[str]:
        """What the router embeds: one text per template, in order."""
        return [t.embed_text for t in self._templates]

    def _example_matrix(self) -> np.ndarray | None:
        if self._index is None:
            return None
        return self._index.matrix(self.example_phrases())

    # -- routing ---------------------------------------------------------------------------
    def route(self, text: str) -> RouteMatch | None:
        """The best tool for `text` with its arguments; None below the threshold."""
        # A voice turn routes its transcript twice: the endpointer asks whether it is a
        # complete command, then the agent acts on it. The second costs nothing.
        if self._last_route is not None and self._last_route[0] == text:
            cached = self._last_route[1]  # a copy: callers may fill in its arguments
            return None if cached is None else replace(cached, args=dict(cached.args))
        match = self._route(text)
        if clauses_of(text):
            match = clause_route(self, text, match)
        plainly = pointed_conversion(text)  # "40 pounds of tomatoes, what's that in kilos"
        if plainly is not None:
            converted = self._route(plainly)
            if converted is not None and converted.tool == "convert" and not converted.missing:
                match = converted
        self._last_route = (text, match)
        return match

    def _best_of_tool(self, tool: str, text: str) -> RouteMatch | None:
        tokens = mask_values(tokens_of(text))
        scored = self._aligned_of_tool(tool, tokens) if tokens else []
        return self._match(scored[0], text, tokens) if scored else None

    def _complete_of_tool(self, tool: str, text: str, tokens: list[Token]
                          ) -> RouteMatch | None:
        """The best example of `tool` that fills every required slot with a value the
        tool can use (a unit the converter reads), if it clears the threshold."""
        props = self._manifests[tool].input_schema.get("properties", {})
        for s in self._aligned_of_tool(tool, tokens):
            if s.score < self.threshold:
                break
            match = self._match(s, text, tokens)
            if not match.missing and not (refused_value(props, match.args)
                                          or no_unit_said(tool, match.args)
                                          or unknown_unit(tool, match.args)):
                return match
        return None

    def _aligned_of_tool(self, tool: str, tokens: list[Token]) -> list[_Scored]:
        """Every example of `tool` aligned with `tokens` by words alone, best first (in
        the examples' order among equals)."""
        costs = self._insert_costs(tokens)
        scored = []
        for t in self._templates:
            if t.tool.name == tool:
                a = align(t.items, tokens, costs, None, t.typed)
                scored.append(_Scored(t, a.score, a.score, None, a.matched, a.spans))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def _route(self, text: str) -> RouteMatch | None:
        ranked, refused = self._rank(text), set()
        tokens = self._last_tokens
        while ranked and ranked[0].score >= self.threshold:
            best = self._match(ranked[0], text, tokens)
            props = ranked[0].template.tool.input_schema.get("properties", {})
            if not (refused_value(props, best.args) or no_unit_said(best.tool, best.args)
                    or below_minimum(props, best.args)
                    or lost_place(ranked[0].template.tool.slots(), props, ranked[0].spans,
                                  text, tokens)):
                break
            # "is it cold in the kitchen" asks no forecast, "locate OK in this window" no
            # file: the tool is not meant at all; the others, all scored, may be
            refused.add(ranked[0].template.tool.name)
            ranked = [r for r in self._rank(text, every=True)
                      if r.template.tool.name not in refused]
        if not ranked or ranked[0].score < self.threshold:
            return None
        # "change 30 celsius to fahrenheit": another example says it all, as well (unless
        # "it" stands for what is missing: a clause may name it)
        if best.missing and not any(t.text in POINTING for t in tokens):
            whole = self._complete_of_tool(best.tool, text, tokens)
            best = whole if whole is not None and whole.score >= best.score else best
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
                                                   or other.args) \
                and not _says_only(ranked[0].template, second.template, tokens):
            # "set a timer for 90 seconds" misheard: a reminder would still need its
            # text, the timer is a whole command. Take the whole one, do not ask — if it
            # clears the threshold or what was said fills its slots ("the timer" is not
            # a request for the time), and nothing said belongs to the other alone
            # ("set a timer reminder …" asks).
            return other
        return RouteMatch(best.tool, best.args, best.score, best.example, best.missing,
                          ambiguous=(best.tool, other.tool), alternatives=(other,))

    def scores(self, text: str) -> list[ToolScore]:
        """Every tool's best score for `text`, best first."""
        return [ToolScore(s.template.tool.name, s.score, s.lexical, s.semantic, s.template.text)
                for s in self._rank(text, every=True)]

    def _rank(self, text: str, every: bool = False) -> list[_Scored]:
        """The tools' best scores, best first. Unless `every`, only the tools that can
        still decide the route are scored exactly: an example whose upper bound is below
        the second tool's score (and the threshold) is never aligned."""
        tokens = mask_values(tokens_of(text))
        self._last_tokens = tokens
        if not tokens or not self._templates:
            return []
        costs = self._insert_costs(tokens)
        # "timer" heard is meant as "timer", not a slip for "time": near matches of a
        # word some tool uses as it is count for less.
        fuzz = [KNOWN_WORD_FUZZ if t.text in self._weights else 1.0 for t in tokens]
        foreign = [FOREIGN_WORD_COST * c for c in costs]
        bounds = self._bounds.upper(tokens, costs, self._words).tolist()
        done: dict[int, _Scored] = {}

        def score(k: int) -> _Scored:
            if k not in done:
                t = self._templates[k]
                alien = [c if tok.text in self._command_words and tok.text not in t.words
                         else 0.0 for tok, c in zip(tokens, foreign, strict=True)]
                a = align(t.items, tokens, costs, fuzz, t.typed, alien)
                done[k] = _Scored(self._templates[k], a.score, a.score, None, a.matched,
                                  a.spans)
            return done[k]

        exact = any(score(k).lexical >= EXACT for k, b in enumerate(bounds) if b >= EXACT)
        semantic = None if exact else self._semantic(tokens)
        if semantic is not None:
            bounds = [combine(b, float(c)) for b, c in zip(bounds, semantic, strict=True)]
        best: dict[str, _Scored] = {}
        for k in sorted(range(len(bounds)), key=bounds.__getitem__, reverse=True):
            if not every and bounds[k] < self._enough(best):
                break
            s = score(k)
            if semantic is not None:
                s.semantic = float(semantic[k])
                s.score = combine(s.lexical, s.semantic)
            name = s.template.tool.name
            if name not in best or (s.score, s.matched) > (best[name].score, best[name].matched):
                best[name] = s
        return sorted(best.values(), key=lambda s: (s.score, s.matched), reverse=True)

    def _enough(self, best: dict[str, _Scored]) -> float:
        """Below this score an example can no longer change the route: it would be
        neither the best tool, nor a close second, nor clear the threshold."""
        top = sorted((s.score for s in best.values()), reverse=True)[:2]
        if not top:
            return -1.0
        if top[0] < self.threshold:
            return self.threshold
        return max(top[0] - self.ambiguity_margin, top[1] if len(top) > 1 else -1.0)

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

    def _insert_costs(self, tokens: list[Token]) -> list[float]:
        on_top = said_on_top([t.text for t in tokens])  # "… on monitor 2", "… so …"
        return [_INSERT_FILLER if k in on_top else self._insert_cost(t)
                for k, t in enumerate(tokens)]

    def _insert_cost(self, tok: Token) -> float:
        if tok.text in FILLER or tok.kind == "op":  # "set the volume to 50%"
            return _INSERT_FILLER
        return _INSERT_FACTOR * self._weights.get(tok.text, self._unknown_weight)

    # -- slots -----------------------------------------------------------------------------
    @staticmethod
    def _match(s: _Scored, text: str, tokens: list[Token]) -> RouteMatch:
        m = s.template.tool
        props = m.input_schema.get("properties", {})
        args: dict[str, Any] = said_anywhere(props, text, tokens)
        for name, kind in m.slots().items():
            value = slot_value(kind, props.get(name, {}), s.spans.get(name), text, tokens)
            if isinstance(value, str) and name in s.template.tails:
                value = without_tail(value, s.template.tails[name])  # "… to clipboard"
            if value is not None:
                args[name] = value
        for name, kind in m.slots().items():
            if kind == "label" and name not in args and \
                    (said := label_said(text, args.values())):
                args[name] = said  # "countdown 15m, call it standup"
        args.update(shaped_path(m.slots(), text, tokens, args))  # "a read of ~/a.txt"
        args.update(said_number(m.slots(), props, tokens, args))  # "… up by 30"
        args = said_values(props, tokens, measure_values(m.slots(), args))
        # "it" names nothing by itself: the value is missing (a clause may name it)
        args = {k: v for k, v in args.items() if not (isinstance(v, str)
                                                      and v.lower() in POINTING)}
        required = m.input_schema.get("required", ())
        missing = tuple(n for n in required if n not in args)
        return RouteMatch(m.name, args, round(s.score, 4), s.template.text, missing)


def _says_only(first: _Template, second: _Template, tokens: list[Token]) -> bool:
    """Whether a word of `first`'s example that `second`'s lacks was said as written."""
    words = {it.text for it in first.items if not it.slot_kind}
    words -= {it.text for it in second.items if not it.slot_kind}
    return any(t.text in words and t.text not in STOPWORDS for t in tokens)


def combine(lexical: float, semantic: float) -> float:
    """One score from the alignment and the embedding similarity: either signal alone
    can carry a command (a misheard word / a rewording), both together count most."""
    alone = lexical - LEXICAL_ALONE_PENALTY * max(0.0, SEMANTIC_FLOOR - semantic)
    both = (1 - SEMANTIC_SHARE) * lexical + SEMANTIC_SHARE * semantic
    return max(alone, both, semantic - SEMANTIC_DISCOUNT)


def _embed_text(tokens: list[Token]) -> str:
    """The words the embedding model reads: typed values, addresses and paths as their
    placeholders, as in the examples."""
    kinds = {DURATION: "duration", TIME: "time", DAY: "day"}
    shapes = {"url": "url", "domain": "url", "path": "path"}
    return " ".join(PLACEHOLDER[k] if (k := kinds.get(t.text) or shapes.get(t.kind))
                    else t.text for t in tokens)
