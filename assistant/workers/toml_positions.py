"""Where each key sits in a TOML document, so a schema error on `input_schema.type`
can be reported at its file:line:column. tomllib gives values without positions, so a
small scanner walks the (already parsed, hence valid) text and notes where every key,
table header and array element starts."""

from __future__ import annotations

import bisect
import re
import tomllib

from assistant.tools.manifest import KeyPath

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^\s,\]}#]+(?:[ T]\d{2}:[^\s,\]}#]*)?")
Positions = dict[KeyPath, tuple[int, int]]


def key_positions(text: str) -> Positions:
    """(line, column), both from 1, of each key path in a TOML document."""
    scanner = _TomlScanner(text)
    try:
        scanner.document()
    except (IndexError, ValueError, RecursionError, tomllib.TOMLDecodeError):
        pass  # keep what was found: the caller falls back to the nearest known key
    return scanner.positions


def locate(positions: Positions, path: KeyPath) -> tuple[int, int]:
    """The position of `path`, else of its nearest enclosing key, else 1:1."""
    for end in range(len(path), 0, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return 1, 1


class _TomlScanner:
    def __init__(self, text: str) -> None:
        self.s, self.i = text, 0
        self.positions: Positions = {}
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._aot_counts: dict[KeyPath, int] = {}

    def _mark(self, path: KeyPath, at: int) -> None:
        line = bisect.bisect_right(self._line_starts, at)
        self.positions.setdefault(path, (line, at - self._line_starts[line - 1] + 1))

    def _blank(self, newlines: bool = False) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#" and newlines:
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                return

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self._blank(newlines=True)
            if self.i >= len(self.s):
                return
            if self.s[self.i] == "[":
                table = self._header()
            else:
                self._keyval(table)
            end = self.s.find("\n", self.i)  # the rest of the line is a comment
            self.i = len(self.s) if end < 0 else end

    def _header(self) -> KeyPath:
        many = self.s.startswith("[[", self.i)
        self.i += 2 if many else 1
        self._blank()
        start = self.i
        keys = self._key()
        for k in range(1, len(keys) + 1):
            self._mark(keys[:k], start)
        if many:  # [[a]]: each header starts element n of array a
            n = self._aot_counts.get(keys, 0)
            self._aot_counts[keys] = n + 1
            keys = (*keys, n)
            self._mark(keys, start)
        return keys

    def _keyval(self, base: KeyPath) -> None:
        start = self.i
        keys = self._key()
        for k in range(1, len(keys) + 1):
            self._mark(base + keys[:k], start)
        self._blank()
        if self.s[self.i] != "=":
            raise ValueError("expected =")
        self.i += 1
        self._blank()
        self._value(base + keys)

    def _key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self._blank()
            if self.s[self.i] in "\"'":
                raw = self._string()
                parts.append(tomllib.loads(f"k = {raw}")["k"])
            else:
                m = _BARE_KEY.match(self.s, self.i)
                if not m:
                    raise ValueError("expected a key")
                parts.append(m.group())
                self.i = m.end()
            self._blank()
            if self.i < len(self.s) and self.s[self.i] == ".":
                self.i += 1
                continue
            return tuple(parts)

    def _string(self) -> str:
        q, start = self.s[self.i], self.i
        if self.s.startswith(q * 3, self.i):
            self.i += 3
            while not self.s.startswith(q * 3, self.i):
                self.i += 2 if q == '"' and self.s[self.i] == "\\" else 1
                if self.i >= len(self.s):
                    raise ValueError("unterminated string")
            self.i += 3
            while self.i < len(self.s) and self.s[self.i] == q:  # up to 2 quotes inside
                self.i += 1
        else:
            self.i += 1
            while self.s[self.i] != q:
                self.i += 2 if q == '"' and self.s[self.i] == "\\" else 1
            self.i += 1
        return self.s[start:self.i]

    def _value(self, path: KeyPath) -> None:
        c = self.s[self.i]
        if c in "\"'":
            self._string()
        elif c == "[":
            self.i += 1
            n = 0
            while True:
                self._blank(newlines=True)
                if self.s[self.i] == "]":
                    self.i += 1
                    return
                self._mark((*path, n), self.i)
                self._value((*path, n))
                n += 1
                self._blank(newlines=True)
                if self.s[self.i] == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self._blank()
                if self.s[self.i] == "}":
                    self.i += 1
                    return
                self._keyval(path)
                self._blank()
                if self.s[self.i] == ",":
                    self.i += 1
        else:
            m = _SCALAR.match(self.s, self.i)
            if not m:
                raise ValueError("expected a value")
            self.i = m.end()
