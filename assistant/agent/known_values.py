"""Whether a command's slot values are ones Heron knows (issue 15): a unit the converter
can parse, a sum the calculator can read, a list that exists, an installed app. Speech
recognition that nearly heard a command often fills a slot with a sound-alike ("what's
on my sharpening list", "how many drums are in 3 pounds"); hearing (assistant/voice/hearing.py)
then prefers a hypothesis whose values are known. A value Heron does not know may still
be right (a new list, an app not installed), so it only weighs against a reading, never
forbids it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assistant.builtins.calculate import evaluate
from assistant.builtins.convert import is_currency, parse_unit
from assistant.builtins.list_store import normalise_list_name
from assistant.tools.registry import ToolError

UNIT_SLOTS = ("from_unit", "to_unit")
# a value there that Heron cannot read makes the tool fail
UNUSABLE_SLOTS = (*UNIT_SLOTS, "expression")


def unknown_slots(tool: str | None, args: dict, list_names: Callable[[], Iterable[str]],
                  app_for: Callable[[str], str | None]) -> tuple[str, ...]:
    """The slots of `tool`'s `args` whose value is none Heron knows."""
    out: list[str] = []
    if tool == "convert":
        for slot in UNIT_SLOTS:
            value = str(args.get(slot) or "")
            if value and not is_unit(value):
                out.append(slot)
    elif tool == "calculate" and args.get("expression"):
        try:
            evaluate(str(args["expression"]))
        except ToolError:  # a word or mark it cannot read ("17 times. 23")
            out.append("expression")
    elif args.get("list"):  # the list tools
        # as the list store finds a list ("todo" is the "to-do list")
        known = {normalise_list_name(n) for n in list_names()}
        if normalise_list_name(str(args["list"])) not in known:
            out.append("list")
    elif tool == "open_app" and args.get("name"):
        if app_for(str(args["name"])) is None:
            out.append("name")
    return tuple(out)


def no_unit_said(tool: str, args: dict) -> bool:
    """Whether a conversion names units, none of which is one ("how many time is left in
    my timer"): the converter is not meant at all."""
    said = [str(args[s]) for s in UNIT_SLOTS if tool == "convert" and args.get(s)]
    return bool(said) and not any(is_unit(v) for v in said)


def unknown_unit(tool: str, args: dict) -> bool:
    """Whether a conversion names a unit the converter cannot read."""
    return tool == "convert" and any(args.get(s) and not is_unit(str(args[s]))
                                     for s in UNIT_SLOTS)


def is_unit(value: str) -> bool:
    """Whether the converter reads `value` as a unit or a currency."""
    return is_currency(value) or _unit(value)


def _unit(value: str) -> bool:
    try:
        parse_unit(value)
    except ToolError:
        return False
    return True
