"""Sentences said around a request that are no part of it: "Would you please play Kind of
Blue? It helps me concentrate.", "Cross off milk, I bought it already.", "the kids are in
the bath so put a 15 minute timer on". The request is
understood without them first; the whole text still counts when the request alone is
not a whole command ("… by mistake; please take it off again" needs what came before)."""

from __future__ import annotations

import re

from assistant.agent.tokens import NOT_AFTER_ABBREVIATION

# Where one sentence ends and the next begins: after "?", "!" or ";", or after "." before a
# capital ("p.m. tomorrow", "notes.txt" and "Mr. Haldane" go on).
_BOUNDARY = re.compile(rf"(?<=[?!;])\s+|(?<=[^\W\d]{{2}}[.]){NOT_AFTER_ABBREVIATION}\s+(?=[A-Z])")
# How an aside starts: it says something about the world, not what to do.
_ASIDE_OPENERS = {"it", "it's", "its", "they", "they're", "the", "my", "i", "i'll", "i'm",
                  "i've", "i'd", "we", "we're", "this", "that's", "he", "she", "there",
                  "he's", "she's", "they've", "we've", "you're",
                  "there's", "our", "his", "her", "everyone", "everybody", "otherwise",
                  "because", "since", "thanks", "thank", "cheers", "gotta", "gonna"}
_FIRST_WORD = re.compile(r"[\w']+")


# A clause after a comma that is an aside too: "cross off milk, I bought it already"; but
# not one that names what the request is about ("my essay, it's called history").
_CLAUSE = re.compile(r",\s+(?=[\w'’]+)")
_NAMING = re.compile(r"\b(?:called|named|titled|labell?ed)\b", re.IGNORECASE)
# "the baby's asleep so bring the volume down": a story, then "so" and the request (a
# verb, not someone doing something: "… so the baby can sleep" is why, not what)
_SO_REQUEST = re.compile(r"(?<!\bbe)(?<!\bis)(?<!\bare)(?<!\bwas)(?:,\s*|\s+)so\s+"
                         r"(?!(?:that|i|we|you|he|she|it|they|the|a|an|my|our|your|her|his|"
                         r"their|this|these|those|everyone|everybody|nobody|much|many|far|long|"
                         r"kind|good|nice|sweet|very|too)\b)([a-z][\w' ]*\S.*)$", re.IGNORECASE)


def without_asides(text: str, language: str) -> str:
    """`text` without its asides (English), or `text` when it has none or is all asides."""
    if language != "en":
        return text
    sentences = [s for s in _BOUNDARY.split(text.strip()) if s.strip()]
    if not sentences:  # only white space ("\f"): nothing to set apart
        return text
    kept = [s for s in sentences if not _is_aside(s)] or sentences
    clauses = _CLAUSE.split(kept[-1])
    # after a colon the words are dictated ("make a note: plumber on Thursday, he charges
    # 2500"): all of them are the note
    dictated = ":" in clauses[0]
    while len(clauses) > 1 and not dictated and _is_aside(clauses[-1]) \
            and not _NAMING.search(clauses[-1]):
        clauses.pop()
    kept[-1] = ", ".join(clauses)
    request = " ".join(kept)
    told = _SO_REQUEST.search(request)
    if told is not None and len(request[:told.start()].split()) >= 3:
        request = told.group(1)
    return text if request == text.strip() else request


def _is_aside(sentence: str) -> bool:
    first = _FIRST_WORD.search(sentence.replace("\u2019", "'"))
    return first is not None and first.group().lower() in _ASIDE_OPENERS
