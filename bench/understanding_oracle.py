"""What `heron bench understanding` expects, written here independently of the code it
measures: Home Assistant intent + slot values → our tool and its arguments, and the rules
for comparing arguments (documented in bench/corpora/understanding/README.md)."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

VOLUME_STEP = 10  # "turn it up" without a number: Home Assistant's default step


def _duration(slots: dict[str, Any]) -> int:
    return round(float(slots.get("hours", 0)) * 3600 + float(slots.get("minutes", 0)) * 60
                 + float(slots.get("seconds", 0)))


def _label(slots: dict[str, Any]) -> dict[str, Any]:
    return {"label": str(slots["name"]).lower()} if slots.get("name") else {}


def _item(list_name: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def convert(slots: dict[str, Any]) -> dict[str, Any]:
        return {"item": str(slots["item"]).lower(),
                "list": (list_name or str(slots["name"])).lower()}
    return convert


def _step(slots: dict[str, Any]) -> dict[str, Any]:
    step = slots["volume_step"]
    if step in ("up", "down"):
        return {"percent": VOLUME_STEP if step == "up" else -VOLUME_STEP}
    return {"percent": round(float(step))}


_TIMER = frozenset({"hours", "minutes", "seconds", "name"})
_NAME = frozenset({"name"})
_NOTHING: frozenset[str] = frozenset()
# intent → (tool or None for a direct reply, slots the intent may take, the slot naming a
# list, slots → args). Sentences needing any other slot (area, floor, device name, a
# command to run later, "the 5 minute timer") are not sampled: no tool takes them.
INTENTS: dict[str, tuple[str | None, frozenset[str], str | None,
                         Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "HassStartTimer": ("set_timer", _TIMER, None,
                       lambda s: {"seconds": _duration(s), **_label(s)}),
    "HassCancelTimer": ("cancel_timer", _NAME, None, _label),
    "HassCancelAllTimers": ("cancel_timer", _NOTHING, None, lambda s: {"all": True}),
    "HassPauseTimer": ("pause_timer", _NAME, None, _label),
    "HassUnpauseTimer": ("resume_timer", _NAME, None, _label),
    "HassIncreaseTimer": ("change_timer", _TIMER, None,
                          lambda s: {"seconds": _duration(s), **_label(s)}),
    "HassDecreaseTimer": ("change_timer", _TIMER, None,
                          lambda s: {"seconds": -_duration(s), **_label(s)}),
    "HassTimerStatus": ("list_timers", _NAME, None, _label),
    "HassGetCurrentTime": ("get_time", _NOTHING, None, lambda s: {}),
    "HassGetCurrentDate": ("get_date", _NOTHING, None, lambda s: {}),
    "HassGetWeather": ("get_weather", _NOTHING, None, lambda s: {}),
    "HassShoppingListAddItem": ("add_to_list", frozenset({"item"}), None,
                                _item("shopping list")),
    "HassShoppingListCompleteItem": ("complete_list_item", frozenset({"item"}), None,
                                     _item("shopping list")),
    "HassListAddItem": ("add_to_list", frozenset({"item", "name"}), "name", _item(None)),
    "HassListCompleteItem": ("complete_list_item", frozenset({"item", "name"}), "name",
                             _item(None)),
    "HassListRemoveItem": ("remove_from_list", frozenset({"item", "name"}), "name",
                           _item(None)),
    "HassMediaPause": ("media_pause", _NOTHING, None, lambda s: {}),
    "HassMediaUnpause": ("media_resume", _NOTHING, None, lambda s: {}),
    "HassMediaNext": ("media_next", _NOTHING, None, lambda s: {}),
    "HassMediaPrevious": ("media_previous", _NOTHING, None, lambda s: {}),
    # "play the album X": the class only narrows the search; the query is X.
    "HassMediaSearchAndPlay": ("media_play", frozenset({"search_query", "media_class"}), None,
                               lambda s: {"query": str(s["search_query"]).lower()}),
    "HassSetVolume": ("set_volume", frozenset({"volume_level"}), None,
                      lambda s: {"percent": round(float(s["volume_level"]))}),
    "HassSetVolumeRelative": ("change_volume", frozenset({"volume_step"}), None, _step),
    "HassMediaPlayerMute": ("mute_audio", _NOTHING, None, lambda s: {}),
    "HassMediaPlayerUnmute": ("unmute_audio", _NOTHING, None, lambda s: {}),
    "HassNevermind": (None, _NOTHING, None, lambda s: {}),
    "HassBroadcast": ("broadcast", frozenset({"message"}), None,
                      lambda s: {"message": str(s["message"]).lower()}),
}


def sample_slots() -> dict[str, tuple[frozenset[str], str | None]]:
    """For the sampler: intent → (the slots it may take, the slot naming a list)."""
    return {name: (slots, list_slot) for name, (_, slots, list_slot, _c) in INTENTS.items()}


# English sentences of the shopping list's "complete" intent that say "remove X" or
# "delete X": the package's shopping list can only check items off, but Heron's lists
# can remove them too, and someone who says "delete" wants the item gone (every author
# of the English corpora labelled these as removal).
_REMOVAL_WORDS = ("remove", "delete")


def expect(intent: str, slots: dict[str, Any], text: str = "", language: str = ""
           ) -> tuple[str | None, dict[str, Any]]:
    """The tool and arguments a sentence of `intent` built from `slots` must give (`text`
    and `language`, when given, for the one reading that depends on the verb said)."""
    tool, _, _, convert = INTENTS[intent]
    if intent == "HassShoppingListCompleteItem" and language == "en" \
            and text.split()[:1] and text.split()[0].lower() in _REMOVAL_WORDS:
        tool = "remove_from_list"
    return tool, convert(slots)


# -- comparing arguments ------------------------------------------------------------------
DEFAULTS = {"list": "shopping list", "day_offset": 0, "all": False, "source": "screen",
            "target": "all"}


def _text(v: str) -> str:
    v = " ".join(v.split()).strip().rstrip(".!?").strip().casefold()
    # labels are written without a leading article; a note or reminder said with one is
    # the same note ("the plumber is coming on Tuesday")
    v = re.sub(r"^(?:the|a|an)\s+(?=\S)", "", v)
    # Arabic writes the article into the word ("الشاي", the tea): it is not part of a name.
    return re.sub(r"^ال(?=[\u0621-\u064a]{2})", "", v)


def _list_name(v: str) -> str:
    v = re.sub(r"\s*list$", "", _text(v))
    return re.sub(r"[\W_]+", "", v)


def _path(v: str) -> str:
    v = _text(v)
    v = re.sub(r"^(~|/home/[^/]+|/root)(/|$)", "", v)
    return v.rstrip("/")


def _url(v: str) -> str:
    return re.sub(r"^https?://", "", _text(v)).rstrip("/")


def _unit(v: str, said: bool = False) -> Any:
    """The pint unit `v` names (None when it names none): a label as pint spells it, or
    (`said`) a unit Heron passed on, read as the convert tool reads it ("kilos", "CUPS",
    "celsius"), since that is what the user gets."""
    from assistant.builtins.convert import parse_unit, unit_registry

    try:
        if said:
            return parse_unit(v)
        return unit_registry().parse_units(re.sub(r"^degrees?\s+", "", v.strip(),
                                                  flags=re.IGNORECASE))
    except Exception:  # noqa: BLE001 — pint raises several kinds for unknown names
        pass
    try:  # a label pint has no name for, spelled its way ("square_meter")
        return parse_unit(v.replace("_", " "))
    except Exception:  # noqa: BLE001
        return None


def _same_unit(want: str, got: str) -> bool:
    a, b = _unit(want), _unit(got, said=True)
    if a is None or b is None:
        return _text(want) == _text(got)
    if a == b:
        return True
    try:  # "mph" and "mile / hour" are one unit under two names
        q = (1.0 * a).to(b)
    except Exception:  # noqa: BLE001 — incompatible or offset units
        return False
    return math.isclose(q.magnitude, 1.0, rel_tol=1e-9)


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _arith(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _arith(node.left), _arith(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def _expression_value(v: str) -> float | None:
    """Evaluate simple arithmetic as people write it (a tiny AST walker, no eval);
    None when it is not that."""
    s = _text(v)
    for words, op in ((r"\btimes\b|×|\bx\b", "*"), (r"\bdivided by\b|÷", "/"),
                      (r"\bplus\b", "+"), (r"\bminus\b", "-"), (r"\bsquared\b", "^2"),
                      (r"\bto the power of\b", "^")):
        s = re.sub(words, op, s)
    s = re.sub(r"(\d+(?:\.\d+)?)\s*(?:%|\bpercent\b)\s*of\s*", r"(\1/100)*", s)
    try:
        return _arith(ast.parse(s.replace("^", "**"), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None


def same_value(key: str, want: Any, got: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, int | float):
        return isinstance(got, int | float) and not isinstance(got, bool) and got == want
    if not isinstance(want, str) or not isinstance(got, str):
        return want == got
    if key == "list":
        return _list_name(want) == _list_name(got)
    if key in ("dir", "path"):
        return _path(want) == _path(got)
    if key == "url":
        return _url(want) == _url(got)
    if key in ("from_unit", "to_unit"):
        return _same_unit(want, got)
    if key == "expression":
        a, b = _expression_value(want), _expression_value(got)
        if a is not None and b is not None:
            return math.isclose(a, b, rel_tol=1e-9)
    return _text(want) == _text(got)


def _filled(args: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in args.items() if v is not None and v != ""}
    for key, value in DEFAULTS.items():
        if key in out and same_value(key, value, out[key]):
            del out[key]  # a default said out loud equals the default left out
    return out


def same_args(want: dict[str, Any], got: dict[str, Any]) -> bool:
    """`got` gives the tool what `want` says (README rules)."""
    w, g = _filled(want), _filled(got)
    return w.keys() == g.keys() and all(same_value(k, w[k], g[k]) for k in w)
