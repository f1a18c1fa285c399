"""The shape of the error table and the search over it: an entry is a pattern, what it
means and a fix template filled with the names the pattern captured on the screen; a
Diagnosis is one entry applied to one screen line. Pure text logic, no I/O.

Screen text is untrusted: a captured name only reaches a command after it passed its
group's character class, and every name in a command is shell-quoted (shlex), so what
the user copies cannot carry a second command. Heron never runs these commands."""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# OCR reads straight quotes, curly quotes, backticks and accents for the same glyph.
Q = "[\"'`‘’´“”]"
_QUOTES = "\"'`‘’´“”"
# Names that may stand in a command: words, dotted and slashed paths, versions.
NAME = r"[\w][\w.+\-/@:~]*"

Derive = Callable[[dict[str, str]], "dict[str, str] | None"]


def rx(pattern: str) -> re.Pattern[str]:
    """Compile a table pattern: case-insensitive, ^ and $ at each line (context patterns
    search the whole screen); `{Q}` is any quote OCR may read."""
    return re.compile(pattern.replace("{Q}", Q), re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class FixEntry:
    """One row of the table. `says`, `means`, `fix` and `command` are str.format templates
    over the pattern's named groups and what `derive` adds; `derive` may also override
    a template by returning "_says", "_means", "_fix" or "_command", or reject the match
    by returning None. `rank`: 3 names the culprit, 2 a known error, 1 a summary line
    ("make: *** Error 2") whose cause is elsewhere; the highest rank on a screen wins.
    `context`: patterns searched over the whole screen for names the line lacks (the
    branch in `git push origin main` above a rejected push)."""

    key: str
    pattern: re.Pattern[str]
    says: str
    means: str
    fix: str
    command: str = ""
    rank: int = 2
    derive: Derive | None = None
    context: tuple[re.Pattern[str], ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class Diagnosis:
    """What one table entry makes of one line: the sentences to say and the command to
    offer (never run; empty when the fix is not one command)."""

    key: str
    says: str
    means: str
    fix: str
    command: str
    names: dict[str, str]
    line: int  # index of the matched line in the input (-1: a window title)
    text: str  # the matched line
    rank: int

    @property
    def family(self) -> str:
        return self.key.split(".", 1)[0]

    def said(self, where: str = "") -> str:
        """The first sentence: what the error says, and where."""
        return _sentence(self.says + (f" ({where})" if where else ""))

    def sentences(self, where: str = "") -> str:
        """Two or three sentences: what it says (and where), what it means, the fix."""
        fix = self.fix + (f": {self.command}" if self.command else "")
        return " ".join(s for s in (self.said(where), _sentence(self.means), _sentence(fix))
                        if s)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "family": self.family, "says": self.says,
                "means": self.means, "fix": self.fix, "command": self.command,
                "names": dict(self.names), "line": self.line, "text": self.text}


def _sentence(text: str) -> str:
    text = " ".join(text.split())  # not capitalised: "git", "npm" and names stay as written
    if not text:
        return ""
    return text if text[-1] in ".!?" else text + "."


class _Names(dict):
    """format() values: a name the template asks for but the line lacks is empty."""

    def __missing__(self, key: str) -> str:
        return ""


def clean(value: str | None) -> str:
    """A captured name without the quotes and punctuation OCR leaves around it (a
    leading dot stays: ./deploy.sh, .env)."""
    raw = (value or "").strip().strip(_QUOTES)
    value = (value or "").strip().lstrip("\"'`‘’´“”([{<").rstrip(".,:;)]}>")
    # a closing quote goes unless it closes a quote inside (npm's peer vue@"^2.6.0")
    if value and value[-1] in _QUOTES and value[-1] not in value[:-1]:
        value = value[:-1]
    value = value.rstrip(".,:;)]}>").strip()
    return value or raw  # a name that is all punctuation (the ";" gcc expected) stays


def apply(entry: FixEntry, match: re.Match[str], screen: str, line: int,
          text: str) -> Diagnosis | None:
    """The entry's diagnosis of one matched line (None when `derive` rejects it)."""
    names = {k: clean(v) for k, v in match.groupdict().items() if v}
    for pattern in entry.context:  # then what the rest of the screen says, then defaults
        found = pattern.search(screen)
        if found:
            for k, v in found.groupdict().items():
                if v and not names.get(k):
                    names[k] = clean(v)
    for k, v in entry.defaults.items():
        if not names.get(k):
            names[k] = v
    if entry.derive is not None:
        extra = entry.derive(dict(names))
        if extra is None:
            return None
        names.update(extra)
    overrides = {k: names.pop(k) for k in list(names) if k.startswith("_")}
    plain = _Names(names)
    quoted = _Names({k: shlex.quote(v) for k, v in names.items() if v})
    try:
        says = overrides.get("_says", entry.says).format_map(plain)
        means = overrides.get("_means", entry.means).format_map(plain)
        fix = overrides.get("_fix", entry.fix).format_map(plain)
        template = overrides.get("_command", entry.command)
        command = template.format_map(quoted) if template else ""
    except (KeyError, IndexError, ValueError):  # a template bug must not hide the error
        return None
    if command and _missing_name(template, names):
        command = ""  # a command with a hole in it would mislead: keep the advice only
    return Diagnosis(entry.key, says, means, fix, command, names, line, text, entry.rank)


def _missing_name(template: str, names: Mapping[str, str]) -> bool:
    return any(not names.get(key) for key in re.findall(r"\{(\w+)\}", template))


def diagnose(lines: Sequence[str], entries: Sequence[FixEntry],
             titles: Sequence[str] = ()) -> Diagnosis | None:
    """The most telling known error in screen `lines` (reading order) and window
    `titles`: the highest rank wins; among equals the lowest line, which on a terminal
    is the newest output. None when nothing in the table matches."""
    screen = "\n".join(lines)
    best: Diagnosis | None = None
    texts = [(n, text) for n, text in enumerate(lines)] + [(-1, t) for t in titles]
    for n, text in texts:
        if not text.strip():
            continue
        for entry in entries:  # on one line, the first entry of the highest rank wins
            m = entry.pattern.search(text)
            if m is None or (best is not None and (entry.rank, n) <= (best.rank, best.line)):
                continue
            try:
                found = apply(entry, m, screen, n, text)
            except Exception:  # a bug in one entry must not cost the whole answer
                log.exception("error table entry %s failed on a screen line", entry.key)
                continue
            if found is not None:
                best = found
    return best
