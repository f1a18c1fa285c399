"""Split a reply into pieces for speech: sentences, and a long first sentence cut
early — at its first comma, else before a joining word ("at", "and", "which") after a
few words — so the first audio is ready sooner while the rest is synthesized (a page
read aloud starts as soon as its first words are, not its whole first sentence)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
_FIRST_CLAUSE = re.compile(r"^(.{2,40}?,)\s+(.{12,})$")
# words a sentence can pause before without sounding cut
_JOINING = frozenset("and but or so because which that who whom whose when where while as "
                     "if at in on for with to from of by after before until into over "
                     "through about under between during without".split())
FIRST_MIN_WORDS, FIRST_MAX_WORDS = 3, 9  # the first piece's length when cut at a word
LONG_FIRST_WORDS = 12  # a first sentence this long (words) is cut at a joining word
REST_MIN_WORDS = 3


def split_for_speech(text: str, early_cut: bool = True) -> list[str]:
    """The text's sentences; with `early_cut` (the start of an utterance) the first one
    cut early as well. Text that arrives in pieces (a streamed reply) is split with
    `early_cut=False`, or every unfinished sentence would be cut mid-way."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences or not early_cut:
        return sentences
    first = _FIRST_CLAUSE.match(sentences[0])
    if first:
        sentences[0:1] = [first.group(1), first.group(2)]
    else:
        sentences[0:1] = _cut_at_joining_word(sentences[0])
    return sentences


def _cut_at_joining_word(sentence: str) -> list[str]:
    words = sentence.split(" ")
    if len(words) < LONG_FIRST_WORDS:
        return [sentence]
    for i in range(FIRST_MIN_WORDS, min(FIRST_MAX_WORDS, len(words) - REST_MIN_WORDS) + 1):
        if words[i].lower() in _JOINING and not words[i - 1].endswith(("-", "'")):
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [sentence]
