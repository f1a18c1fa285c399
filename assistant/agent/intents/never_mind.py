""""Never mind" said with more around it: "oh never mind, Ava's found it herself",
"nvm cust hung up", "sorry, never mind, I don't need anything now". The package's
HassNevermind sentences are the whole utterance; people add why. The part that says
never mind is found here; whether the rest is a new request is the caller's to judge."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.agent.typed_words import INTERJECTIONS

# Words without which no sentence says never mind (English; other languages match only
# the package's whole sentences).
_KEYWORDS = {"never", "nevermind", "nvm", "forget", "scratch", "disregard", "ignore",
             "worry", "worries", "leave", "bother"}
# … and these only when they are the whole clause ("leave it, I'll do it myself", not
# "leave it on the list")
_WHOLE_CLAUSE = {"leave", "bother"}
# Interjections before it that the templates do not all allow ("aiyah never mind").
_OPENERS = INTERJECTIONS | {"ok", "okay", "um", "uh", "no", "meh", "nah", "right"}
_CLAUSE_END = re.compile(r"\s*(?:[,;:!?]|\.(?=\s|$)|\s[-–—]\s)\s*")
_WORD = re.compile(r"[\w']+")
MAX_PHRASE_WORDS = 5  # "disregard my previous request please"
# Words after it in the same clause that make it about a thing: "never mind the pasta
# timer, cancel it", "nvm about the pizza", not the turn.
_ABOUT = {"the", "about", "my", "your", "that", "this", "those", "these", "a", "an", "his",
          "her", "our", "their"}


@dataclass(frozen=True)
class NeverMind:
    phrase: str  # the words that said it ("never mind")
    rest: tuple[str, ...]  # the clauses around it, as said ("Ava's found it herself")


def never_mind_said(text: str, is_never_mind: Callable[[str], bool]) -> NeverMind | None:
    """The clause opening with a way of saying never mind (after interjections), and the
    rest of the utterance; None when there is none or it is the whole utterance (the
    package's own sentences handle that). `is_never_mind` asks the intent templates."""
    if not _KEYWORDS & {w.lower() for w in _WORD.findall(text)}:
        return None
    clauses = [c for c in _CLAUSE_END.split(text.strip()) if c.strip()]
    for i, clause in enumerate(clauses):
        words = clause.split()
        start = 0
        while start < len(words) and _bare(words[start]) in _OPENERS:
            start += 1
        for end in range(min(len(words), start + MAX_PHRASE_WORDS), start, -1):
            phrase = " ".join(words[start:end])
            if not _KEYWORDS & {_bare(w) for w in words[start:end]}:
                continue
            if end < len(words) and _bare(words[end]) in _ABOUT:
                continue
            if end < len(words) and _WHOLE_CLAUSE & {_bare(w) for w in words[start:end]}:
                continue
            if is_never_mind(phrase):
                tail = " ".join(words[end:])
                rest = tuple(c for c in (*clauses[:i], tail, *clauses[i + 1:])
                             if c.strip() and not _only_openers(c))
                return NeverMind(phrase, rest) if rest or start or len(clauses) > 1 else None
    return None


def _bare(word: str) -> str:
    return word.lower().strip("'\".")


def _only_openers(clause: str) -> bool:
    return all(_bare(w) in _OPENERS for w in clause.split())
