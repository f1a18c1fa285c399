"""Short follow-up questions and their answers: "Do you want to set a timer or a
reminder?" → "the timer", and "For how long?" → "five minutes". Pure logic: the agent
keeps one `Pending` per source and feeds it the next utterance."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from assistant.agent.align import word_similarity
from assistant.agent.router import RouteMatch
from assistant.agent.slots import looks_like_path
from assistant.agent.tokens import DURATION, STOPWORDS, TIME, tokens_of
from assistant.agent.value_masks import mask_values
from assistant.tools.manifest import ToolManifest

CLARIFY_TTL_S = 30.0
CLEAR_COMMAND = 0.9  # a route this sure is a new command, not the answer to a question
FREE_TEXT_KINDS = ("text", "app", "url", "path", "label")
NEVER_MIND = "OK, never mind."
_CANCEL = {"neither", "nothing", "none", "nope", "no", "nevermind", "forget", "cancel"}
_ORDINALS = {"first": 0, "former": 0, "one": 0, "second": 1, "latter": 1, "last": 1,
             "other": 1}
_ASK_BY_KIND = {
    "duration": "For how long? For example: five minutes.",
    "time": "At what time?",
    "app": "Which app?",
    "url": "Which web address?",
    "path": "Which file?",
    "label": "What should I call it?",
}
_ASK_FOR = {"set_timer": {"seconds": "For how long? For example: set a timer for five "
                                     "minutes."},
            "set_reminder": {"text": "What should I remind you of?",
                             "seconds": "When should I remind you? For example: in ten "
                                        "minutes."}}


@dataclass(frozen=True)
class Pending:
    """A question waiting for its answer: which tool (`options`), or a slot value
    (`slot` of options[0])."""

    options: tuple[RouteMatch, ...]
    question: str
    expires_at: float
    slot: str = ""
    slot_kind: str = ""


@dataclass(frozen=True)
class Resolution:
    match: RouteMatch | None = None  # the command to carry on with
    cancelled: bool = False  # the user said "neither" / "never mind"


def choice_question(match: RouteMatch, manifests: dict[str, ToolManifest]) -> str:
    """ "Do you want to set a timer or a reminder?" from the tools' titles."""
    titles = [_title(name, manifests) for name in match.ambiguous]
    first, *others = [t.lower().split() for t in titles]
    shared = 0
    while all(shared < len(o) - 1 and o[shared] == first[shared] for o in others) \
            and shared < len(first) - 1:
        shared += 1
    # Keep the article with the noun: "set a timer or a reminder".
    if shared and first[shared - 1] in ("a", "an", "the", "my"):
        shared -= 1
    lead = " ".join(first[:shared])
    rest = [" ".join(first[shared:])] + [" ".join(o[shared:]) for o in others]
    choices = ", ".join(rest[:-1]) + " or " + rest[-1]
    return f"Do you want to {lead + ' ' if lead else ''}{choices}?"


def slot_question(match: RouteMatch, manifest: ToolManifest | None) -> tuple[str, str]:
    """(question, slot kind) for the first missing slot of `match`."""
    name = match.missing[0]
    kind = manifest.slots().get(name, "text") if manifest else "text"
    text = _ASK_FOR.get(match.tool, {}).get(name) or _ASK_BY_KIND.get(kind) or \
        f"What {name.replace('_', ' ')} should I use?"
    return text, kind


def resolve(pending: Pending, text: str, manifests: dict[str, ToolManifest]) -> Resolution:
    """What the answer to `pending` means; an empty Resolution when it is no answer
    (the caller then routes it as a new command)."""
    if pending.slot:
        return _fill_slot(pending, text)
    words = [t.text for t in tokens_of(text)]
    if not words or len(words) > 5:
        return Resolution()
    keys = _distinct_words(pending.options, manifests)
    scores = [max((word_similarity(k, w) for k in ks for w in words), default=0.0)
              for ks in keys]
    best = max(range(len(scores)), key=scores.__getitem__)
    if scores[best] >= 0.75 and scores.count(scores[best]) == 1:
        return Resolution(_settled(pending.options[best]))
    for w in words:
        if w in _ORDINALS and _ORDINALS[w] < len(pending.options):
            return Resolution(_settled(pending.options[_ORDINALS[w]]))
    if any(w in _CANCEL for w in words) or " ".join(words[-2:]) in ("never mind",
                                                                   "forget it"):
        return Resolution(cancelled=True)
    return Resolution()


def _fill_slot(pending: Pending, text: str) -> Resolution:
    match = pending.options[0]
    tokens = mask_values(tokens_of(text))
    words = [t.text for t in tokens]
    if words and (words[-2:] == ["never", "mind"] or words in (["cancel"], ["no"],
                                                                ["nothing"])):
        return Resolution(cancelled=True)
    value: Any = None
    if pending.slot_kind in ("duration", "time"):
        marker = DURATION if pending.slot_kind == "duration" else TIME
        value = next((t.value for t in tokens if t.text == marker), None)
    elif tokens:
        value = re.sub(r"^(?:to|that|about|of)\s+", "", text.strip(), flags=re.I)
        value = value.strip(" \t.!?\"'“”") or None
    if value is None or (pending.slot_kind == "path" and not looks_like_path(value)):
        return Resolution()  # "the 12/4 stuff" is no file name: ask again
    args = {**match.args, pending.slot: value}
    missing = tuple(n for n in match.missing if n != pending.slot)
    return Resolution(_settled(replace(match, args=args, missing=missing)))


def _settled(match: RouteMatch) -> RouteMatch:
    return replace(match, ambiguous=(), alternatives=())


def _distinct_words(options: tuple[RouteMatch, ...],
                    manifests: dict[str, ToolManifest]) -> list[set[str]]:
    """Per option, the words of its name and title that the others do not have
    ("timer" vs "reminder")."""
    sets = []
    for o in options:
        words = set(re.split(r"[_\W]+", o.tool.lower()))
        words |= set(_title(o.tool, manifests).lower().split())
        words |= {w[:-1] for w in words if w.endswith("s") and len(w) > 3}
        sets.append({w for w in words if w and w not in STOPWORDS})
    return [s - set().union(*(t for t in sets if t is not s)) for s in sets]


def _title(name: str, manifests: dict[str, ToolManifest]) -> str:
    m = manifests.get(name)
    return m.title if m else name.replace("_", " ")
