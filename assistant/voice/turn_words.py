"""What the words heard at a pause say about the end of the turn, before any model:
whisper trailing off ("Remind me to..."), English ending on a word no request ends on
("set a timer for"), or whisper looping on too little audio ("Open. Open.")."""

from __future__ import annotations

# English words a request does not end on: a pause after one is a pause mid-sentence.
DANGLING_WORDS = frozenset(
    "a an the my your our their to for of at by from with into onto "
    "and or but than um uh er erm".split())


def words_verdict(text: str, language: str | None = None) -> str | None:
    """"unfinished", "unsure" (the text cannot be trusted as a command), or None when
    the words alone say nothing (then ask the understanding stages)."""
    text = text.strip()
    if text.endswith(("...", "…")):
        return "unfinished"
    words = [w.strip(".,?!") for w in text.lower().split()]
    if repeats(words):
        return "unsure"
    if words and (language or "en").startswith("en") and words[-1] in DANGLING_WORDS:
        return "unfinished"
    return None


def repeats(words: list[str]) -> bool:
    """The same phrase said over again: how whisper fills too little audio."""
    n = len(words)
    return any(n % k == 0 and words == words[:k] * (n // k) for k in range(1, n // 2 + 1))
