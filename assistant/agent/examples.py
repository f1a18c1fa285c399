"""The tools' example phrases as the router reads them: their words, how many tools
use each word, and the named variants a slot hint asks for ("the {label} timer")."""

from __future__ import annotations

import re

from assistant.agent.tokens import ARTICLES, STOPWORDS, TYPED_SLOTS, tokens_of
from assistant.tools.manifest import ToolManifest

SLOT = re.compile(r"\{(\w+)\}")


def named_variants(m: ToolManifest) -> list[str]:
    """The tool's examples, plus each "the timer" example once more as "the {label}
    timer" when a slot names the thing ("x-names": "timer"): a named timer can be meant
    in every way the unnamed one is asked about. A slot with "x-said-after": "in" may
    follow any example without it ("will it be cold" → "… in {location}"), before or
    after a typed value that ends it ("… in {location} {day_offset}")."""
    out = list(m.examples)
    for name, prop in m.input_schema.get("properties", {}).items():
        if prop.get("x-said-after"):
            out += [v for ex in m.examples if "{" + name + "}" not in ex
                    for v in _said_after(ex, "{" + name + "}", prop["x-said-after"], m.slots())]
        noun = prop.get("x-names")
        if not noun:
            continue
        slot = "{" + name + "}"
        said = re.compile(rf"\b(the|my) {re.escape(noun)}\b")
        out += [said.sub(rf"\1 {slot} {noun}", ex, count=1) for ex in m.examples
                if slot not in ex and said.search(ex)]
    return list(dict.fromkeys(out))


def _said_after(example: str, slot: str, word: str, kinds: dict[str, str]) -> list[str]:
    head, _, tail = example.rpartition(" ")
    last = SLOT.fullmatch(tail)
    if head and last and kinds.get(last.group(1)) in TYPED_SLOTS:  # "… {day_offset}"
        return [f"{head} {word} {slot} {tail}", f"{example} {word} {slot}"]
    return [f"{example} {word} {slot}"]


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


def slot_tails(m: ToolManifest) -> dict[str, tuple[tuple[str, ...], ...]]:
    """For each free text slot, the words the tool's examples say after it to their end
    ("copy {text} to the clipboard" → "to clipboard"), without articles and only when
    they are more than a particle and hold a word of their own: said after the value
    in another example's way ("copy the words … to clipboard"), they are no part of it."""
    kinds = m.slots()
    out: dict[str, set[tuple[str, ...]]] = {}
    for ex in m.examples:
        parts = SLOT.split(ex)  # text, slot, text, slot, …, text
        if len(parts) < 3 or kinds.get(parts[-2]) != "text":
            continue
        words = tuple(t.text for t in tokens_of(parts[-1]) if t.text not in ARTICLES)
        if len(words) > 1 and any(w not in STOPWORDS for w in words):
            out.setdefault(parts[-2], set()).add(words)
    return {slot: tuple(sorted(tails, key=len, reverse=True)) for slot, tails in out.items()}


def example_tails(m: ToolManifest, example: str,
                  tails: dict[str, tuple[tuple[str, ...], ...]]
                  ) -> dict[str, tuple[tuple[str, ...], ...]]:
    """`tails` (slot_tails of the tool) as cut after a slot of this example: none for a
    message, said as it is meant ("… the charger is next to my phone"), and none whose
    words the example said before the slot ("send my phone a note {text}")."""
    props = m.input_schema.get("properties", {})
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name, said in tails.items():
        head, found, _ = example.partition("{" + name + "}")
        if not found or props.get(name, {}).get("x-message"):
            continue
        before = {t.text for t in tokens_of(SLOT.sub(" ", head))}
        kept = tuple(t for t in said if not {w for w in t if w not in STOPWORDS} <= before)
        if kept:
            out[name] = kept
    return out
