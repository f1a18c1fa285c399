"""How deep and how big nested data is, measured without recursion.

Parsers and validators recurse (tomllib, jsonschema, repr), so a value nested a few
hundred levels deep ends them with RecursionError. Config files, worker manifests and
tool arguments are measured here first and refused with a coded error instead.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

MAX_DOCUMENT_DEPTH = 64
"""Deeper than any real config or JSON Schema, and far below what tomllib survives
(~350 levels)."""

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Shape:
    """What `measure` found; it stops counting once a limit is passed."""

    depth: int  # containers on the deepest path seen (a scalar alone is 0)
    nodes: int  # values seen, containers included
    chars: int  # characters of the strings and keys seen
    deepest: KeyPath  # where `depth` was reached

    def over(self, depth: int, nodes: int, chars: int) -> bool:
        return self.depth > depth or self.nodes > nodes or self.chars > chars


def measure(value: Any, max_depth: int = MAX_DOCUMENT_DEPTH, max_nodes: int = 1 << 62,
            max_chars: int = 1 << 62) -> Shape:
    """Walk `value` (dicts, lists, tuples, scalars) iteratively; stops early once any
    limit is passed, so a bomb costs no more than the limits."""
    depth = nodes = chars = 0
    deepest: KeyPath = ()
    stack: list[tuple[Any, KeyPath]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        nodes += 1
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict | list | tuple):
            if len(path) + 1 > depth:
                depth, deepest = len(path) + 1, path
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    chars += len(key)
                stack.append((child, (*path, key)))
        if depth > max_depth or nodes > max_nodes or chars > max_chars:
            break
    return Shape(depth, nodes, chars, deepest)


_TOML_TOKEN = re.compile(r'"""|\'\'\'|["\'#\[\]{}\n.=,]')


def toml_too_deep(text: str, limit: int = MAX_DOCUMENT_DEPTH) -> tuple[int, int] | None:
    """(line, column) where TOML text nests deeper than `limit`, else None. Runs before
    tomllib, which recurses per level of arrays and inline tables, and slows down with
    the square of a dotted key's length (`a.a.a…`). Nesting is counted as open brackets
    plus the dots of the key being read; brackets and dots in strings and comments do
    not count. The text need not be valid TOML."""
    lines = [0] + [m.end() for m in re.finditer("\n", text)]
    depth = dots = i = 0
    while (m := _TOML_TOKEN.search(text, i)) is not None:
        token, i = m.group(), m.end()
        if token in ("[", "{"):
            depth, dots = depth + 1, 0
        elif token in ("]", "}"):
            depth, dots = max(depth - 1, 0), 0
        elif token == ".":  # a dotted key (a float's single dot counts too: harmless)
            dots += 1
        elif token in ("=", ",", "\n"):
            dots = 0
        elif token == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            i = _string_end(text, i, token)
        if depth + dots > limit:
            line = bisect.bisect_right(lines, m.start())
            return line, m.start() - lines[line - 1] + 1
    return None


# The body of each kind of TOML string; none is ambiguous, so each runs in linear time.
_STRING_BODY = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*"?'),
    "'": re.compile(r"[^'\n]*'?"),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*(?:""")?', re.S),
    "'''": re.compile(r"(?:[^']|'(?!''))*(?:''')?"),
}


def _string_end(text: str, i: int, quote: str) -> int:
    """The index after the string whose opening `quote` ends at `i` (an unterminated
    one ends at its line's end or at the text's: tomllib reports it)."""
    m = _STRING_BODY[quote].match(text, i)
    return m.end() if m else i
