"""Split a reply into pieces for speech: sentences, and a long first sentence at its
first comma, so the first audio is ready sooner while the rest is synthesized."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
_FIRST_CLAUSE = re.compile(r"^(.{2,40}?,)\s+(.{12,})$")


def split_for_speech(text: str) -> list[str]:
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences:
        return []
    first = _FIRST_CLAUSE.match(sentences[0])
    if first:
        sentences[0:1] = [first.group(1), first.group(2)]
    return sentences
