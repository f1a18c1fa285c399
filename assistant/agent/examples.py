"""The tools' example phrases as the router reads them: their words, how many tools
use each word, and the named variants a slot hint asks for ("the {label} timer")."""

from __future__ import annotations

import re

from assistant.agent.tokens import tokens_of
from assistant.tools.manifest import ToolManifest

SLOT = re.compile(r"\{(\w+)\}")


def named_variants(m: ToolManifest) -> list[str]:
    """The tool's examples, plus each "the timer" example once more as "the {label}
    timer" when a slot names the thing ("x-names": "timer"): a named timer can be meant
    in every way the unnamed one is asked about."""
    out = list(m.examples)
    for name, prop in m.input_schema.get("properties", {}).items():
        noun = prop.get("x-names")
        if not noun:
            continue
        slot = "{" + name + "}"
        said = re.compile(rf"\b(the|my) {re.escape(noun)}\b")
        out += [said.sub(rf"\1 {slot} {noun}", ex, count=1) for ex in m.examples
                if slot not in ex and said.search(ex)]
    return list(dict.fromkeys(out))


def users(words_by_tool: dict[str, set[str]]) -> dict[str, int]:
    """How many tools use each word."""
    used: dict[str, int] = {}
    for words in words_by_tool.values():
        for w in words:
            used[w] = used.get(w, 0) + 1
    return used


def literal_words(m: ToolManifest) -> set[str]:
    """The words of a tool's examples, without their {slots}."""
    words: set[str] = set()
    for ex in m.examples:
        words.update(t.text for t in tokens_of(SLOT.sub(" ", ex)))
    return words
