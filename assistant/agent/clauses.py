"""Clause routing: "we're out of milk, add it to the shopping list" is a request in one
clause of a longer sentence; "it" there stands for what another clause named."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.agent.loose_values import label_said, said_anywhere, said_number
from assistant.agent.slots import _LEADING_DETERMINERS, said_values
from assistant.agent.tokens import NOT_ABBREVIATED, TYPED_SLOTS, tokens_of
from assistant.agent.value_masks import mask_values

if TYPE_CHECKING:
    from assistant.agent.router import RouteMatch, Router

_CLAUSE_BREAK = re.compile(rf"(?:[,;!?]|{NOT_ABBREVIATED}\.)[,;.!?]*(?:\s+|$)"
                           r"|\s+(?:-+|–|—)\s+")
_PRONOUNS = {"it", "them", "em", "that", "this", "those", "these", "one"}
CLAUSE_BONUS = 0.02  # a clause must fit this much better than the whole sentence
CLAUSE_SLACK = 0.1  # … or this much worse, when the sentence's value crosses a clause
EXACT = 0.999


def clauses_of(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of a sentence (empty when there is only one)."""
    cuts = [(m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(text)]
    bounds, start = [], 0
    for cut_start, cut_end in cuts:
        if text[start:cut_start].strip():
            bounds.append((start, cut_start))
        start = cut_end
    if text[start:].strip():
        bounds.append((start, len(text)))
    return bounds if len(bounds) > 1 else []


def clause_route(router: Router, text: str, whole: RouteMatch | None) -> RouteMatch | None:
    """"we're out of milk, add it to the shopping list": the request is one clause
    of the sentence; the others would be extra words, or land in a slot. A clause
    wins when it fits better — or nearly as well, when the whole sentence's value
    runs across a clause break — and "it" there is what another clause named."""
    bar = -1.0 if whole is None else whole.score + CLAUSE_BONUS
    crossing = whole is not None and any(
        isinstance(v, str) and _CLAUSE_BREAK.search(v) for v in whole.args.values())
    if crossing:
        bar = whole.score - CLAUSE_SLACK
    # A sentence said as an example is written keeps its commas ("copy 12 Park Lane,
    # London to my clipboard") unless a clause points back at another ("…, add it").
    exact = whole is not None and whole.score >= EXACT
    best = whole
    # "I already have the batteries, take them off my list": the clause that points back
    # at another says what to do with the thing the other one only names. Never against
    # a whole command ("start a timer …, then pause it"), nor when "it" fills no text
    # slot, nor when the other clause is a command of its own.
    floor = -1.0 if whole is None else whole.score - CLAUSE_SLACK
    pointed: RouteMatch | None = None
    texts = [text[start:end] for start, end in clauses_of(text)]
    parts = [router._route(clause) for clause in texts]
    for k, clause in enumerate(texts):
        part = parts[k]
        # a clause torn between two tools is still the request when nothing else is
        # ("Maisie hates this song, skip to the next one"): the agent asks which
        if part is None or (part.ambiguous and whole is not None):
            continue
        pointing = _points_back(clause)
        if crossing and exact and not pointing:
            continue
        others = [n for n in range(len(texts)) if n != k]
        resolved, sources = _resolve_pronouns(router, part, clause, [texts[n] for n in others])
        if resolved is None:
            continue
        names_only = bool(sources) and all(
            parts[others[n]] is None or parts[others[n]].score <= bar for n in sources)
        # the clause that says more wins a tie: "we're out of coffee, put it on
        # the office list" is coffee on the office list; "renew passport is done,
        # tick it off my to-do list" names the list too
        fuller = best is not None and resolved.tool == best.tool \
            and len(resolved.args) > len(best.args) \
            and resolved.score >= best.score - CLAUSE_SLACK
        if pointing and not exact and names_only and resolved.score >= floor \
                and not _holds_pronoun(resolved) \
                and (pointed is None or resolved.score > pointed.score):
            pointed = resolved
        if resolved.score <= bar and not (fuller and pointing):
            continue
        if not pointing and _cut_short(router, resolved, whole):
            continue  # "note: buy milk, eggs and bread" is one note, not "buy milk"
        if best is whole or resolved.score > best.score or fuller:
            best = resolved
    if pointed is not None and (best is whole or best.tool != pointed.tool):
        best = pointed
    if best is None or best is whole:
        return whole
    # words said in the other clauses still count: "too loud, quieter"; so does a day,
    # a time or a length the clause's tool takes ("day after tomorrow, what date is that")
    manifest = router._manifests[best.tool]
    props = manifest.input_schema.get("properties", {})
    tokens = mask_values(tokens_of(text))
    # "…, drop-downs on monitor 2", "…, holding it up to the camera"
    args = {**said_anywhere(props, text, tokens), **best.args}
    for name, kind in manifest.slots().items():
        said = [t.value for t in tokens if t.kind == kind and kind in TYPED_SLOTS]
        if name not in args and len(said) == 1:
            args[name] = said[0]
        elif name not in args and kind == "label" and \
                (label := label_said(text, args.values())):
            args[name] = label  # "countdown 15m, call it standup"
    args.update(said_number(manifest.slots(), props, tokens, args))  # "louder, by 15"
    return replace(best, args=said_values(props, tokens, args),
                   missing=tuple(n for n in best.missing if n not in args))

# a clause ending on a thing it names: "… about the wine", "… my old phone charger"
_THING = re.compile(r"\b(?:the|that|this|those|these|my|our|your|some)\s+"
                    r"((?:[\w'-]+\s+){0,2}[\w'-]+)\W*$", re.IGNORECASE)


_THINGS = re.compile(r"\b(?:the|that|this|those|these|my|our|your|some)\s", re.IGNORECASE)

# when it was said of the thing, after it: "… the Frozen soundtrack all morning"
_WHEN_AFTER = re.compile(r"(?:\s+(?:(?:all|this|every)\s+(?:morning|afternoon|evening|night|"
                         r"day|week|month|year)|today|tonight|yesterday|lately|recently|"
                         r"again|for ages))+\W*$", re.IGNORECASE)


# where a thing was got, after it: "picked up the fittings at the merchants"
_GOT_AT = re.compile(r"^(\s*(?:i\s+|we\s+)?(?:just\s+)?(?:got|picked\s+up|bought|grabbed|"
                     r"collected|found)\s+.+?)\s+(?:at|from)\s+(?:the|a|an)\s+.+$",
                     re.IGNORECASE)
# a thing that came or is done: "pbs arrived this morning", "the weeding project is
# finally finished"
_CAME = re.compile(r"^\s*(?:the\s+|my\s+|our\s+)?((?:[\w'-]+\s+){0,2}?[\w'-]+)\s+"
                   r"(?:(?:has|have|is|are)\s+)?(?:(?:finally|just|now|already)\s+)?"
                   r"(?:arrived|came(?:\s+in)?|turned\s+up|showed\s+up|been\s+delivered|"
                   r"done|finished|sorted)\W*$", re.IGNORECASE)


def _named_thing(clause: str) -> str | None:
    """The thing a clause ends on; None when it opens on another ("the milk is in the
    fridge": which one "it" is cannot be told)."""
    clause = _WHEN_AFTER.sub("", clause)
    came = _CAME.match(clause)
    if came is not None and not _PRONOUNS & set(came.group(1).lower().split()):
        return came.group(1).lower()
    got = _GOT_AT.match(clause)
    found = _THING.search(got.group(1) if got else clause)
    thing = found.group(1).lower() if found else None
    starts = [m.start() for m in _THINGS.finditer(clause)]
    if len(starts) > 1 and not clause[:starts[0]].strip():
        return None
    return thing if thing and not _PRONOUNS & set(thing.split()) else None


def _cut_short(router: Router, part: RouteMatch, whole: RouteMatch | None) -> bool:
    """Whether a clause's reading is the whole sentence's with a value cut at a clause
    break, where the rest is more of that value ("level 3, row F"), not a sentence of
    its own ("…, I got some today", "…, please add it")."""
    if whole is None or part.tool != whole.tool:
        return False
    cut = False
    for name, value in part.args.items():
        full = whole.args.get(name)
        if value == full:
            continue
        if not (isinstance(value, str) and isinstance(full, str) and len(full) > len(value)
                and full.lower().startswith(value.lower())):
            return False
        mark = _CLAUSE_BREAK.match(full, len(value))
        rest = full[mark.end():] if mark else ""
        words = rest.lower().split()
        if not words or words[0] in _SENTENCE_OPENERS or router._route(rest) is not None:
            return False
        cut = True
    return cut


# words a clause of its own opens with, rather than more of a list or an address
_SENTENCE_OPENERS = {"i", "i'm", "i've", "we", "you", "please", "it", "it's", "that", "this",
                     "then", "so", "because", "but", "thanks", "thank", "can", "could"}


# after "that" these open a clause it introduces ("a note that the deposition …")
_CLAUSE_AFTER_THAT = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "i", "we",
                      "you", "he", "she", "they", "it", "there", "is", "was"}


def _points_back(clause: str) -> bool:
    """Whether a clause says "it", "them", "that" … for a thing named elsewhere; "that"
    opening a clause of its own ("make a note that the hearing moved") points nowhere."""
    words = [t.text for t in tokens_of(clause)]
    return any(w in _PRONOUNS and not (w == "that" and k + 1 < len(words)
                                       and words[k + 1] in _CLAUSE_AFTER_THAT)
               for k, w in enumerate(words))


def _holds_pronoun(match: RouteMatch) -> bool:
    """Whether a value holds "it" itself ("I need it for the pasta"): then the clause
    does not point at another one."""
    return any(isinstance(v, str) and _PRONOUNS & set(v.lower().split())
               for v in match.args.values())


def _resolve_pronouns(router: Router, part: RouteMatch, clause: str, others: list[str]
                      ) -> tuple[RouteMatch | None, set[int]]:
    """`part` with a pronoun ("check it off") standing for what the same slot holds
    in another clause ("I bought the milk"); None when a value is still missing. Also
    which of `others` filled a text slot."""
    args = dict(part.args)
    sources: set[int] = set()
    names = [n for n, v in part.args.items() if isinstance(v, str)
             and v.lower() in _PRONOUNS]
    if part.missing and _PRONOUNS & {t.text for t in tokens_of(clause)}:
        names += part.missing  # "put it on the list": "it" holds no value itself
    elif part.missing:
        return None, sources
    kinds = router._manifests[part.tool].slots()
    for name in names:
        for n, other in enumerate(others):
            found = router._best_of_tool(part.tool, other)
            said = found.args.get(name) if found is not None else None
            if isinstance(said, str) and said.lower() not in _PRONOUNS:
                # "it" stands for the thing, not for "the" before it
                args[name] = _LEADING_DETERMINERS.sub("", said) or said
                if kinds.get(name) == "text":
                    sources.add(n)
                break
        else:
            # no example of the tool reads the other clause: "it" is the thing it ends
            # on ("I changed my mind about the wine, remove it …")
            found_thing = next(((n, t) for n, t in enumerate(map(_named_thing, others)) if t),
                               None) if kinds.get(name) == "text" else None
            if found_thing is None:
                return None, sources
            sources.add(found_thing[0])
            args[name] = found_thing[1]
    return replace(part, args=args, missing=()), sources
