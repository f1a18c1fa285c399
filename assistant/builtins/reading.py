"""What "read this to me" reads, as text for speech: selected text or a window's OCR
lines turned into flowing sentences (a line wrapped mid-sentence joins the next, a
heading or a paragraph's last line ends one), and where "read from <words>" starts —
found fuzzily, so OCR's slips ("rn" for "m", dropped spaces) and a misheard word still
land on the right sentence. Pure functions: no screen, no clipboard."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from vision.types import OcrLine, group_rows

_END = ".!?:;…"  # a line ending in one of these ends its sentence (or its clause)
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_BULLET = re.compile(r"^(?:[-•*·◦‣–]|\d{1,3}[.)]|[a-z][.)])\s")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|\n+")
PARAGRAPH_GAP = 0.9  # a gap above a row this many line heights (or more) starts a paragraph
MIN_MATCH = 0.78  # "read from": how alike the heard words and the text must be (0..1)
SHORT_WORDS, SHORT_MATCH = 8, 0.9  # fewer letters than this must be this alike


def flow(lines: Sequence[str], breaks: Sequence[bool]) -> str:
    """Join `lines` into paragraphs (one per output line): `breaks[i]` says line i ends
    one. A word hyphenated across a wrap is joined; a paragraph with no end mark of its
    own (a heading, a label, a list item) gets a full stop, so speech pauses there."""
    paragraphs: list[str] = []
    current = ""
    for text, ends in zip(lines, breaks, strict=True):
        text = " ".join(text.split())
        if not text:
            ends = True
        elif not current:
            current = text
        elif current.endswith("-") and current[-2:-1].isalpha() and text[:1].islower():
            current = current[:-1] + text  # "exam-" + "ple"
        else:
            current = f"{current} {text}"
        if ends and current:
            paragraphs.append(current if current[-1] in _END + "\"'”’)" else current + ".")
            current = ""
    if current:
        paragraphs.append(current if current[-1] in _END + "\"'”’)" else current + ".")
    return "\n".join(paragraphs)


def selection_text(text: str) -> str:
    """Selected (or copied) text as paragraphs: a blank line, a line ending a sentence,
    a short line followed by a new item or a capital, end one; a line that wraps on
    into lower case does not."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    longest = max((len(ln.strip()) for ln in lines), default=0)
    breaks = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        breaks.append(_ends_here(line.strip(), nxt, len(line.strip()) < 0.6 * longest))
    return flow(lines, breaks)


def window_text(lines: Sequence[OcrLine], title: str = "") -> str:
    """A window's OCR lines (any order) as paragraphs in reading order: rows top to
    bottom, the pieces of one row left to right; a row wraps on into the next unless
    its sentence ends, a wider gap or an indent follows, or it is a short row. The
    window's `title`, read off its title bar, is not its text: it is left out."""
    rows = group_rows(lines)
    if rows and title and _same_words(" ".join(ln.text for ln in rows[0]), title):
        rows = rows[1:]
    if not rows:
        return ""
    texts = [" ".join(ln.text for ln in row) for row in rows]
    boxes = [_row_box(row) for row in rows]
    widest = max(b[2] - b[0] for b in boxes)
    breaks = []
    for i, (text, (left, top, right, bottom)) in enumerate(zip(texts, boxes, strict=True)):
        if i + 1 == len(rows):
            breaks.append(True)
            continue
        n_left, n_top, _, n_bottom = boxes[i + 1]
        height = max(1, min(bottom - top, n_bottom - n_top))
        apart = n_top - bottom >= PARAGRAPH_GAP * height
        indented = abs(n_left - left) > 1.5 * height
        short = right - left < 0.6 * widest
        breaks.append(apart or indented or _ends_here(text.strip(), texts[i + 1].strip(), short))
    return flow(texts, breaks)


def _same_words(a: str, b: str) -> bool:
    """Alike once case, spaces and marks are ignored (OCR drops or adds them)."""
    x, y = ("".join(_WORD.findall(t.lower())) for t in (a, b))
    return bool(x and y) and SequenceMatcher(None, x, y, autojunk=False).ratio() >= MIN_MATCH


def _row_box(row: Sequence[OcrLine]) -> tuple[int, int, int, int]:
    return (min(ln.box.x for ln in row), min(ln.box.y for ln in row),
            max(ln.box.right for ln in row), max(ln.box.bottom for ln in row))


def _ends_here(line: str, nxt: str, short: bool) -> bool:
    if not line or not nxt:
        return True
    if line[-1] in ".!?:;…" or _BULLET.match(nxt):
        return True
    return short and not nxt[:1].islower()  # a heading, a label, a paragraph's last line


def sentence_starts(text: str) -> list[int]:
    """Where each sentence (or line) of `text` begins, as split for speech."""
    return [0] + [m.end() for m in _SENTENCE_END.finditer(text)]


@dataclass(frozen=True)
class Found:
    start: int  # where reading starts: the beginning of the sentence holding the words
    at: int  # where the words themselves are
    score: float  # 0..1: how alike they are


def find_start(text: str, words: str, min_score: float = MIN_MATCH) -> Found | None:
    """Where "read from `words`" starts in `text`: the sentence holding the closest
    match to the words (case, punctuation and spaces ignored; OCR slips tolerated), or
    None when nothing is alike enough. The first of equally good matches wins."""
    said = [w.lower() for w in _WORD.findall(words)]
    wanted = "".join(said)
    if not wanted:
        return None
    at, score = _exact(text, wanted)
    if at is None:
        at, score = _closest(text, said)
    # a word or two is easily like another ("cat", "at"): short words must be closer
    if at is None or score < (min_score if len(wanted) >= SHORT_WORDS else SHORT_MATCH):
        return None
    starts = sentence_starts(text)
    return Found(max(s for s in starts if s <= at), at, round(score, 3))


def _exact(text: str, wanted: str) -> tuple[int | None, float]:
    """The words run together in the text with spaces and marks removed (OCR that
    dropped the spaces between them, or a hyphen the speaker did not say)."""
    compact, offsets, firsts = [], [], set()
    for m in _WORD.finditer(text):
        firsts.add(len(compact))
        for k, ch in enumerate(m.group().lower()):
            compact.append(ch)
            offsets.append(m.start() + k)
    joined = "".join(compact)
    found = joined.find(wanted)
    while found >= 0 and found not in firsts:  # "cat" is not in "concatenate"
        found = joined.find(wanted, found + 1)
    return (offsets[found], 1.0) if found >= 0 else (None, 0.0)


def _closest(text: str, said: list[str]) -> tuple[int | None, float]:
    """The run of words most like the `said` words (difflib ratio on the letters). A
    run starts where its first word, or its second, begins with the letter the said
    one does: a slip keeps the other (and a long text is searched in time)."""
    wanted = "".join(said)
    words = [(m.start(), m.group().lower()) for m in _WORD.finditer(text)]
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)  # the wanted words are compared with every run: cache them
    best_at, best = None, 0.0
    longest = int(len(wanted) * 1.5) + 2
    second = said[1][0] if len(said) > 1 else ""
    for i, (start, word) in enumerate(words):
        if word[0] != wanted[0] and not (second and i + 1 < len(words)
                                         and words[i + 1][1][0] == second):
            continue
        run = ""
        for j in range(i, min(len(words), i + len(said) + 2)):
            run += words[j][1]
            if len(run) > longest:
                break
            matcher.set_seq1(run)
            if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
                continue
            score = matcher.ratio()
            if score > best:
                best_at, best = start, score
    return best_at, best
