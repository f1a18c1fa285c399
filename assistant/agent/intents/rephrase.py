"""Openings people use that say a template's verb in more words ("send a broadcast
that …" for "broadcast that …", "make an announcement: …" for "announce …"), per
language (package code). These phrasings are ours: the intents stage tries the sentence
said the template's way when it matched nothing as said."""

from __future__ import annotations

import re

from assistant.agent.intents.polite import POLITE_START
from assistant.agent.typed_words import INTERJECTIONS

# (opening, the template's words for it), tried in order; the rest of the sentence stays.
_OPENINGS = {
    "en": (
        (r"(?:send|put|give|do|make)(?: out)? (?:a|an) (?:broadcast|announcement)"
         r"(?: (?:to|for) (?:the )?(?:whole )?(?:house|home|family|kids|everyone|everybody|"
         r"all))?", "broadcast"),
        # an interjection set apart before the request: "eish, set a 12 minute timer …"
        (rf"(?:{'|'.join(sorted(INTERJECTIONS))})(?=\s*,)", ""),
    ),
}


def rephrased(text: str, language: str) -> str | None:
    """`text` with its opening said the template's way, or None when it has no such
    opening (or nothing follows it)."""
    lang = language.lower().split("-")[0]
    said = " ".join(text.split())
    polite = POLITE_START.get(lang)
    before = rf"(?:(?:{polite})[ ,]+)?" if polite else ""
    for opening, words in _OPENINGS.get(lang, ()):
        found = re.match(rf"({before})(?:{opening})\b", said, re.IGNORECASE)
        if found is not None and said[found.end():].strip(" ,.!?;:"):
            return f"{found.group(1)}{words}{said[found.end():]}".strip(" ,")
    return None
