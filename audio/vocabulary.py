"""Command vocabulary as a recognition bias: whisper's initial prompt (or hotwords)
built from the tools' example phrases, so "timer", "timers" and the like win over
sound-alikes."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SLOT = re.compile(r"\{[^}]*\}")


def command_prompt(phrases: Iterable[str], max_chars: int = 400,
                   sentences: bool = False) -> str:
    """Distinct phrases, {slot} placeholders removed, as one comma-separated line
    (whisper reads at most ~220 prompt tokens; max_chars keeps well under that), or
    with `sentences` as one short sentence each: after a comma-separated list whisper
    tiny tends to go on listing what it heard ("open the editor, open the editor, …").
    Pass every manifest's `examples` and `title`; empty input gives ""."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        text = " ".join(_SLOT.sub(" ", phrase).split()).strip(" ,.?!").lower()
        if text:
            seen.setdefault(text, None)
    out = ""
    for text in seen:
        if sentences:
            text = text[:1].upper() + text[1:]
        candidate = (f"{out}{'. ' if sentences else ', '}{text}") if out else text
        if len(candidate) + 1 > max_chars:
            break
        out = candidate
    return f"{out[:1].upper()}{out[1:]}." if out else ""
