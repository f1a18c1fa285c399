"""Which of hassil's readings of a sentence to believe. hassil ranks readings by literal
words matched, and its text chunks may match inside a word after a wildcard, so a name
can lose letters to the template ("розов" read as "розо" + "в", "שחור" as "ש" +
"חור", "songs" as the media class "song" + "s") or swallow number words hassil did
not look for ("pirosra egy órás" when digits follow). Here a reading that cuts a word is
worse, one whose names we know is better, and number words a name swallowed are read
again as digits."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from hassil.models import MatchEntity
from hassil.numbers import get_rbnf_engine
from hassil.recognize import RecognizeResult
from hassil.trie import Trie

logger = logging.getLogger(__name__)
SHORT_TAIL = 2  # letters of a cut word left to a template word ("в", "a")
NUMBER_WORDS_UP_TO = 100  # the templates' ranges stop at 100
_BREAK = str.maketrans({"-": " ", "\u00ad": ""})  # "twenty-one" is also "twenty one"


def best_reading(results: Iterable[RecognizeResult], text: str, known: frozenset[str],
                 slot: str = "name") -> RecognizeResult | None:
    """hassil's `recognize_best` order (a listed `slot` value, the longer the better;
    fewer wildcards; more literal text; less text in wildcards), after two rules of
    ours: no wildcard ending inside a word of `text` (nor starting inside one where a
    list value ended: "song|s by adele"), then the more wildcards that say
    a `known` name (casefolded) the better."""
    return min(results, key=lambda r: _rank(r, text, known, slot), default=None)


def _rank(result: RecognizeResult, text: str, known: frozenset[str], slot: str) -> tuple:
    wild = [e for e in result.entities_list if e.is_wildcard]
    entity = result.entities.get(slot)
    listed = entity is not None and not entity.is_wildcard
    quality = len(entity.text) if listed and isinstance(entity.value, str) else 0
    values = [span for e in result.entities_list if not e.is_wildcard
              if (span := located(e, text)) is not None]
    starts = {start for start, _ in values}
    ends = {end for _, end in values}
    return (sum(_cuts_word(located(e, text), text, starts)
                or _value_cut_word(located(e, text), text, ends) for e in wild),
            not listed, -quality,
            -sum((e.text or "").strip().casefold() in known for e in wild),
            len(wild), -result.text_chunks_matched,
            sum(len(e.text or "") for e in wild), result.intent.name)


def located(entity: MatchEntity, text: str) -> tuple[int, int] | None:
    """Where in `text` the entity's words are (start, end), or None. hassil's own
    `text_span` drifts after number words ("egy órával fehér": "fehér" 3 letters on),
    so it is only a hint for which occurrence is meant."""
    said = (entity.text or "").strip()
    if not said or entity.text_span is None:
        return None
    hint = entity.text_span[0]
    starts = [m.start() for m in re.finditer(re.escape(said), text)]
    if not starts:
        return None
    start = min(starts, key=lambda at: abs(at - hint))
    return start, start + len(said)


def _cuts_word(span: tuple[int, int] | None, text: str, starts: set[int]) -> bool:
    """The wildcard ends inside a word, leaving a letter or two of it to a template word
    ("розо|в", "nostr|a"). Not when a longer part is left (compounds are templates'
    own: Danish "grøn|timeren"), nor before a list value (German
    `{search_query}[ |-]{media_class}`: "Rammstein|playlist"), nor where the script
    changes (an English name in Thai, written without spaces: "tea|ให้ที"). Starting
    inside a word is how prefixes work in Hebrew or Arabic templates ("[ש]{name}"):
    that is left to the known names."""
    if span is None:
        return False
    end = span[1]
    if not (0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum()) \
            or end in starts or _script(text[end - 1]) != _script(text[end]):
        return False
    rest = re.match(r"\w*", text[end:]).group()
    return len(rest) <= SHORT_TAIL


def _value_cut_word(span: tuple[int, int] | None, text: str, ends: set[int]) -> bool:
    """The wildcard starts inside a word where a list value ended: the value took only
    the start of that word ("play songs by adele" read as the media class "song" and
    "s by adele"). A list value is a whole word; a template's own text chunk may be a
    prefix ("[ש]{name}"), so only a value's end counts here."""
    if span is None:
        return False
    start = span[0]
    return 0 < start < len(text) and start in ends and text[start - 1].isalnum() \
        and text[start].isalnum() and _script(text[start - 1]) == _script(text[start])


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ")[0]  # "LATIN", "CYRILLIC", "THAI"


@dataclass(frozen=True)
class Rewritten:
    """`text` with number words as digits; `swaps`: (new start, new end, old start,
    old end) of each replaced word, in order."""

    text: str
    swaps: tuple[tuple[int, int, int, int], ...]

    def original(self, span: tuple[int, int], original: str) -> str:
        """The words said under a span of the rewritten text."""
        return original[self._old(span[0], start=True):self._old(span[1], start=False)]

    def _old(self, pos: int, start: bool) -> int:
        shift = 0  # old minus new position after the swaps passed so far
        for new_start, new_end, old_start, old_end in self.swaps:
            if pos <= new_start:
                break
            if pos < new_end:  # inside a swapped word: all of it
                return old_start if start else old_end
            shift = old_end - new_end
        return pos + shift


def digits_for_words(text: str, spans: Iterable[tuple[int, int]], language: str
                     ) -> Rewritten | None:
    """`text` with the number words inside `spans` written as digits ("rosu trei ora" →
    "rosu 3 ora"); None when there are none."""
    trie = _number_trie(language)
    found: list[tuple[int, int, int]] = []
    for lo, hi in spans:
        hits = sorted(((end - len(words), end, value) for end, words, value in
                       trie.find(text[lo:hi], unique=False, word_boundaries=True,
                                 ignore_case=True)), key=lambda h: (h[0], -h[1]))
        last = 0
        for start, end, value in hits:  # the longest at each place, no overlaps
            if start >= last:
                found.append((lo + start, lo + end, value))
                last = end
    if not found:
        return None
    pieces, swaps, pos, shift = [], [], 0, 0
    for start, end, value in sorted(found):
        digits = str(value)
        pieces += [text[pos:start], digits]
        swaps.append((start + shift, start + shift + len(digits), start, end))
        shift += len(digits) - (end - start)
        pos = end
    pieces.append(text[pos:])
    return Rewritten("".join(pieces), tuple(swaps))


@functools.cache
def _number_trie(language: str) -> Trie:
    """The language's number words 0..100 (as hassil's range lists say them)."""
    trie = Trie()
    try:
        engine = get_rbnf_engine(language)
        for number in range(NUMBER_WORDS_UP_TO + 1):
            said = {w for w in engine.format_number(number).text_by_ruleset.values() if w}
            for words in said | {w.translate(_BREAK) for w in said}:
                trie.insert(re.sub(r"\s+", " ", words.strip()), number)
    except Exception as err:  # unicode_rbnf has no number words for it: digits only
        logger.debug("no number words for %s: %s", language, err)
        return Trie()
    return trie
