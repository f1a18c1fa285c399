"""Provenance: where a value came from, so the policy can tell the user's own words
from text that merely passed through the assistant (a web page, a file, the screen).

Two ways to track it, used together:

- `Tainted`, a `str` that carries its origins. Slicing, joining, stripping and case
  changes keep the tag; anything else (an f-string, `json.dumps`) returns a plain `str`.
- `ProvenanceContext`, one per turn, which records every untrusted text the turn has
  seen. It catches a value whose tag was lost on the way: a plain string that contains
  (or is contained in) something untrusted, or shares a long stretch with it, counts
  as derived from it. Arguments written
  by a language model that read untrusted text are tainted by all of it, since nobody
  can tell which part of its input shaped them.

`untrusted_origins(args, context)` gives the origins for a `ToolCall.origins`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any, SupportsIndex


class Origin(StrEnum):
    USER_SPEECH = "user_speech"
    USER_TEXT = "user_text"
    SCREEN = "screen"
    CAMERA = "camera"
    FILE = "file"
    WEB = "web"
    CLIPBOARD = "clipboard"
    TOOL_OUTPUT = "tool_output"
    MCP_CLIENT = "mcp_client"  # arguments sent by another program's model over MCP
    UNKNOWN = "unknown"

    @property
    def trusted(self) -> bool:
        return self in TRUSTED


TRUSTED = frozenset({Origin.USER_SPEECH, Origin.USER_TEXT})
# How a permission question names where its details came from (desktop and phone).
ORIGIN_NAMES = {Origin.SCREEN: "the screen", Origin.CAMERA: "the camera",
                Origin.FILE: "a file", Origin.WEB: "a web page",
                Origin.CLIPBOARD: "the clipboard", Origin.TOOL_OUTPUT: "a tool's output",
                Origin.MCP_CLIENT: "another program", Origin.UNKNOWN: "somewhere unknown"}


def origin_warning(origins: Iterable[Origin]) -> str:
    """The provenance warning of a permission question ("" when every detail came
    from the user)."""
    names = sorted(ORIGIN_NAMES.get(o, str(o)) for o in origins if not Origin(o).trusted)
    if not names:
        return ""
    return (f"⚠ These details come from {', '.join(names)}, not from you. Text on a "
            "screen or in a file can try to make Heron act: allow only what you meant.")
# Below this length a plain value is only linked to untrusted text when equal to it:
# "5" or "yes" occur on every screen.
_MIN_SUBSTRING = 6
# A value mixing the user's words with a stretch of untrusted text this long (or
# longer) is taken to derive from it.
_MIN_SHARED = 20


def as_origins(values: Iterable[Origin | str]) -> frozenset[Origin]:
    """Origins from their names; a name we do not know becomes UNKNOWN (untrusted)."""
    out = set()
    for v in values:
        try:
            out.add(Origin(v))
        except ValueError:
            out.add(Origin.UNKNOWN)  # an origin we do not know is not trusted
    return frozenset(out)


class Tainted(str):
    """A string that remembers where it came from."""

    origins: frozenset[Origin]

    def __new__(cls, value: object, origins: Origin | str | Iterable[Origin | str]) -> Tainted:
        self = super().__new__(cls, value)
        if isinstance(origins, str):
            origins = (origins,)
        self.origins = as_origins(origins) | getattr(value, "origins", frozenset())
        return self

    @property
    def untrusted(self) -> frozenset[Origin]:
        return frozenset(o for o in self.origins if not o.trusted)

    def _keep(self, value: str, other: object = None) -> Tainted:
        return Tainted(value, self.origins | getattr(other, "origins", frozenset()))

    def __add__(self, other: str) -> Tainted:
        return self._keep(str.__add__(self, other), other)

    def __radd__(self, other: str) -> Tainted:
        return self._keep(str.__add__(other, self), other)

    def __getitem__(self, key: SupportsIndex | slice) -> Tainted:
        return self._keep(str.__getitem__(self, key))

    def strip(self, chars: str | None = None) -> Tainted:
        return self._keep(str.strip(self, chars))

    def lstrip(self, chars: str | None = None) -> Tainted:
        return self._keep(str.lstrip(self, chars))

    def rstrip(self, chars: str | None = None) -> Tainted:
        return self._keep(str.rstrip(self, chars))

    def lower(self) -> Tainted:
        return self._keep(str.lower(self))

    def upper(self) -> Tainted:
        return self._keep(str.upper(self))

    def casefold(self) -> Tainted:
        return self._keep(str.casefold(self))

    def replace(self, old: str, new: str, count: SupportsIndex = -1) -> Tainted:
        return self._keep(str.replace(self, old, new, count), new)

    def split(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        return [self._keep(part) for part in str.split(self, sep, maxsplit)]

    def splitlines(self, keepends: bool = False) -> list[str]:
        return [self._keep(part) for part in str.splitlines(self, keepends)]

    def join(self, parts: Iterable[str]) -> Tainted:
        parts = list(parts)
        origins = self.origins.union(*(getattr(p, "origins", frozenset()) for p in parts))
        return Tainted(str.join(self, parts), origins)

    def __repr__(self) -> str:
        names = ", ".join(sorted(o.value for o in self.origins))
        return f"Tainted({str.__repr__(self)}, from {names})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tainted, (str(self), tuple(self.origins)))


def tag(value: str, origin: Origin | str) -> Tainted:
    """`value` marked as coming from `origin`."""
    return Tainted(value, origin)


class ProvenanceContext:
    """What one turn has seen that the user did not say: each untrusted text and where
    it came from. Give every piece of screen/file/web/tool text to `record`."""

    def __init__(self) -> None:
        self._seen: list[tuple[str, frozenset[Origin]]] = []

    def record(self, text: str, origin: Origin | str) -> Tainted:
        """Remember `text` as seen from `origin`; returns it tagged."""
        tagged = Tainted(text, origin)
        if tagged.untrusted:
            self._seen.append((_norm(tagged), tagged.untrusted))
        return tagged

    @property
    def seen(self) -> frozenset[Origin]:
        """Every untrusted origin this turn has read."""
        return frozenset().union(*(origins for _, origins in self._seen))

    def origins_of(self, value: str) -> frozenset[Origin]:
        """The untrusted origins a plain string appears to derive from."""
        v = _norm(value)
        if not v:
            return frozenset()
        found: set[Origin] = set()
        for text, origins in self._seen:
            if v == text or (len(v) >= _MIN_SUBSTRING and v in text) or (
                    len(text) >= _MIN_SUBSTRING and text in v) or _shares(v, text):
                found |= origins
        return frozenset(found)


def untrusted_origins(args: Any, context: ProvenanceContext | None = None,
                      generated_by_model: bool = False) -> frozenset[Origin]:
    """The untrusted origins any part of `args` derives from (empty: all the user's).

    `generated_by_model`: the arguments were written by a language model; they are
    then tainted by everything untrusted the turn has shown it."""
    found: set[Origin] = set()
    if generated_by_model and context is not None:
        found |= context.seen
    for value in _strings(args):
        if isinstance(value, Tainted):
            found |= value.untrusted
        if context is not None:
            found |= context.origins_of(value)
    return frozenset(found)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


def _shares(a: str, b: str) -> bool:
    if min(len(a), len(b)) < _MIN_SHARED:
        return False
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match()
    return match.size >= _MIN_SHARED


_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", str(text)).strip().casefold()
