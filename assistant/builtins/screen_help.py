"""Screen-aware help: find what looks like an error on the screen (a Python traceback,
`Error:` lines, failed exit codes, error dialogs) and answer "what does this error
say / mean" with it; also where a text is on the screen (`locate`) and which lines are
headings. All of that is pure text logic; what errors mean and their fixes are in
error_fixes/, and the worker that reads the screen is explain_error.py.

Everything read here is untrusted and already redacted (vision/redact.py)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.builtins.error_fixes import Diagnosis, diagnose
from vision.types import Box, OcrLine

_TRACEBACK = re.compile(r"traceback \(most recent call last\)", re.IGNORECASE)
_FILE_LINE = re.compile(r'File\s*"?([^",]+)"?,\s*line\s*(\d+)(?:,\s*in\s*(\S+))?')
# "TypeError: …", "requests.exceptions.HTTPError: …", "KeyboardInterrupt"
_EXCEPTION = re.compile(r"^\s*((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|"
                        r"Warning|Fault))\b\s*(?::\s*(.*))?$")
_ERROR_LINE = re.compile(
    r"(?:^|\s|\[)(?:error|fatal|panic|failed|failure|exception|critical)\b\s*[:!\]]"
    r"|^\s*E\s*:|\bERROR\b|\bFAILED\b|segmentation fault|core dumped|command not found|"
    r"no such file or directory|permission denied|cannot open|could not|unable to|"
    r"not recognized as|undefined reference|is not defined", re.IGNORECASE)
_EXIT = re.compile(r"(?:exit(?:ed)?(?: with)?(?: status| code)?|returned non-zero exit status|"
                   r"exit status|exit code)\s*[:=]?\s*(-?\d+)", re.IGNORECASE)
_BARE_LABEL = re.compile(r"^\W*(?:error|fatal(?: error)?|failed|failure|exception|panic)"
                         r"\W*$", re.IGNORECASE)
_WARNING = re.compile(r"(?:^|\s)warning\s*:", re.IGNORECASE)
_DIALOG_WORDS = re.compile(r"\b(?:error|failed|failure|problem|crash(?:ed)?|fatal|warning|"
                           r"unexpected|not responding)\b", re.IGNORECASE)

class FindingKind(StrEnum):
    """What an ErrorFinding is, most telling first (findings are reported in this order)."""

    TRACEBACK = "traceback"  # a Python traceback's exception line
    DIALOG = "dialog"  # a window title that speaks of an error
    ERROR = "error"
    EXIT_CODE = "exit_code"  # a non-zero exit status
    WARNING = "warning"


@dataclass(frozen=True)
class ErrorFinding:
    """One error-like thing on the screen: `text` is the line that says it, `context`
    where it happened; `line` is the index of that line in the input (None for a
    dialog title)."""

    kind: FindingKind
    text: str
    context: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "context": self.context,
                "line": self.line}

    def said(self) -> str:
        where = f" ({self.context})" if self.context else ""
        return f"{self.text}{where}"


_RANK = {kind: rank for rank, kind in enumerate(FindingKind)}


def find_errors(lines: Sequence[str], titles: Sequence[str] = ()) -> list[ErrorFinding]:
    """Error-like findings in screen text (`lines` in reading order) and window
    `titles`, most telling first: a traceback's exception, an error dialog, error
    lines, failed exit codes, warnings. Each line is reported once."""
    found: list[ErrorFinding] = []
    used: set[int] = set()
    i = 0
    while i < len(lines):
        if _TRACEBACK.search(lines[i]):
            end, context = i + 1, ""
            while end < len(lines) and not _EXCEPTION.match(lines[end]):
                m = _FILE_LINE.search(lines[end])
                if m:
                    context = f"{m.group(1).rsplit('/', 1)[-1]}, line {m.group(2)}" + (
                        f", in {m.group(3)}" if m.group(3) else "")
                end += 1
                if end - i > 60:  # no exception line in sight: not one traceback
                    break
            if end < len(lines) and _EXCEPTION.match(lines[end]):
                found.append(ErrorFinding(FindingKind.TRACEBACK, lines[end].strip(), context,
                                          end))
                used.update(range(i, end + 1))
                i = end + 1
                continue
        i += 1
    for title in titles:
        if title and _DIALOG_WORDS.search(title):
            found.append(ErrorFinding(FindingKind.DIALOG, title.strip()))
    for n, line in enumerate(lines):
        if n in used or not line.strip():
            continue
        text = line.strip()
        if _BARE_LABEL.match(text) and n + 1 < len(lines) and lines[n + 1].strip():
            # "error:" read apart from its message: say the message too
            text = f"{text} {lines[n + 1].strip()}"
            used.add(n + 1)
        exit_code = _EXIT.search(text)
        if exit_code and exit_code.group(1) not in ("0",):
            found.append(ErrorFinding(FindingKind.EXIT_CODE, text, line=n))
        elif _EXCEPTION.match(text) and ":" in text:
            found.append(ErrorFinding(FindingKind.ERROR, text, line=n))
        elif _ERROR_LINE.search(text):
            found.append(ErrorFinding(FindingKind.ERROR, text, line=n))
        elif _WARNING.search(text):
            found.append(ErrorFinding(FindingKind.WARNING, text, line=n))
    return sorted(found, key=lambda f: _RANK[f.kind])


def meaning_of(finding: ErrorFinding) -> str:
    """A plain explanation of a common error (empty when the table has none)."""
    found = diagnose([finding.text])
    return found.means if found is not None else ""


_LEADS = {FindingKind.TRACEBACK: "The screen shows a Python error",
          FindingKind.DIALOG: "An error window says",
          FindingKind.EXIT_CODE: "A command failed",
          FindingKind.ERROR: "The screen shows an error"}


def answer(findings: Sequence[ErrorFinding], diagnosis: Diagnosis | None = None,
           explain: bool = True) -> str:
    """The spoken reply, two or three sentences: what the most telling error says (with
    the name that matters) and where, what it means, and the next step. Without a known
    `diagnosis`: the error line itself and how many more there are."""
    serious = [f for f in findings if f.kind != FindingKind.WARNING]
    if diagnosis is not None:
        where = next((f.context for f in serious if f.line == diagnosis.line and f.context),
                     "")
        said = diagnosis.sentences(where) if explain else diagnosis.said(where)
        return f"The error says {_after_says(said)}"
    if not findings:
        return "I don't see an error on the screen."
    if not serious:
        return f"I see no error, but there is a warning: {findings[0].said()}."
    top = serious[0]
    reply = f"{_LEADS[top.kind]}: {top.said()}."
    if len(serious) > 1:
        reply += f" There {'is' if len(serious) == 2 else 'are'} {len(serious) - 1} more " \
                 f"error line{'s' if len(serious) > 2 else ''} on the screen."
    return reply


def _after_says(sentence: str) -> str:
    """'The error says' + a sentence: its leading article or pronoun in lower case."""
    first, _, rest = sentence.partition(" ")
    if first in ("The", "A", "An", "There", "This", "Your", "You", "Nothing", "No", "Two",
                 "Some"):
        return f"{first.lower()} {rest}"
    return sentence


# "click on the OK button": the words around the label are not on the screen.
_TARGET_WORDS = re.compile(r"^(?:the|a|an)\s+|\s+(?:button|link|tab|menu|icon|checkbox)$")


@dataclass(frozen=True)
class Hit:
    text: str  # the whole line the text was found in
    box: Box  # the found text's box (narrowed to it inside a longer line)
    score: float


def locate(lines: tuple[OcrLine, ...], wanted: str) -> list[Hit]:
    """Where `wanted` is on the screen, best first: exact lines, then lines containing
    it (the box narrowed to the words, inside the box the detector found them in), then near
    spellings (OCR slips)."""
    want = _TARGET_WORDS.sub("", " ".join(wanted.split()).casefold().strip(" .!?\"'"))
    hits = []
    for line in lines:
        text = line.text.casefold()
        if not want:
            break
        if text.strip(" .:!?") == want:
            hits.append(Hit(line.text, line.box, 1.0))
            continue
        at = text.find(want)
        if at >= 0:
            n = max(1, len(text))
            # measured in the detector box that holds the words, not across a joined line
            hits.append(Hit(line.text, line.span_box(at, at + len(want)),
                            0.9 - 0.1 * (1 - len(want) / n)))
            continue
        # a near spelling of the whole line, or of one box of a joined line
        ratio, box = max(((difflib.SequenceMatcher(None, want, p.text.casefold()).ratio(),
                           p.box) for p in (line, *line.parts)), key=lambda rb: rb[0])
        if ratio >= 0.8:
            hits.append(Hit(line.text, box, 0.8 * ratio))
    return sorted(hits, key=lambda h: -h.score)


def headings(lines: tuple[OcrLine, ...]) -> list[OcrLine]:
    """Lines drawn notably taller than the usual line (titles, headings)."""
    if len(lines) < 3:
        return []
    heights = sorted(ln.box.h for ln in lines)
    median = heights[len(heights) // 2]
    return [ln for ln in lines if ln.box.h >= 1.3 * median and len(ln.text) <= 80][:8]
