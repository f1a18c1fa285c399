"""Which of our tools each Home Assistant intent means, and with which arguments.
Intents that control devices (lights, covers, climate …) go, as said, to the user's
Home Assistant (home_control) when one is connected, else get a direct answer saying how
to connect one; "never mind" ends the turn without a word."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.agent.intents.delayed import reminder_text
from assistant.agent.intents.heron_templates import READ_LIST
from assistant.agent.intents.media_words import player_command, search_words
from assistant.agent.intents.polite import broadcast_message, without_polite
from assistant.agent.intents.recognizer import IntentMatch
from assistant.agent.slots import TIMER_PLACE, TIMER_STATE
from assistant.builtins.home_control import HOME_CONTROL

CONNECT_HOME_ASSISTANT = ("I can't control lights and other devices myself: connect Home "
                          "Assistant with heron ha login, then ask again.")
SHOPPING_LIST = "shopping list"
VOLUME_STEP = 10  # percent for "turn the volume up/down"
DEVICE_CONTROL = frozenset({
    "HassTurnOn", "HassTurnOff", "HassToggle", "HassLightSet", "HassGetState",
    "HassClimateGetTemperature", "HassClimateSetTemperature", "HassClimateSetFanMode",
    "HassSetPosition", "HassFanSetSpeed", "HassVacuumStart", "HassVacuumReturnToBase",
    "HassVacuumCleanArea", "HassLawnMowerStartMowing", "HassLawnMowerDock",
})
_ARTICLE = re.compile(r"^(?:(?:a|an|the|my|our|your|her|his|their|some)\s+)+", re.IGNORECASE)
_ALSO = re.compile(r"^(?:also|too|as well)\s+", re.IGNORECASE)
# The package reads "remove/delete X from the list" as checking X off (its shopping list
# has no removal); we have both, and someone who says "delete" means it gone.
_REMOVING = re.compile(r"\b(?:remove|delete|drop|erase|get\s+rid\s+of|take\b.*\b(?:off|out))\b",
                       re.IGNORECASE)
# "pause my timer for a sec": `timer (named|called|for) {name}` reads how long as a name.
_A_WHILE = {"en": re.compile(r"(?:a|one)\s+(?:(?:quick|little|short)\s+)?"
                             r"(?:sec|secs|second|moment|mo|bit|while|minute|tick)",
                             re.IGNORECASE)}


@dataclass(frozen=True)
class Mapped:
    tool: str | None  # None: answer directly with `reply`
    args: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None  # "" ends the turn quietly
    # The intent the sentence turned out to mean ("play the next one" is HassMediaNext,
    # not a search), for the reply and the report; None: the one matched.
    intent: str | None = None


def map_intent(match: IntentMatch, home: bool = False) -> Mapped | None:
    """Our tool call (or direct reply) for a recognised intent; None when it has none.
    `home`: Home Assistant is connected (the home_control tool exists)."""
    if match.intent in DEVICE_CONTROL:
        if not home:
            return Mapped(None, reply=CONNECT_HOME_ASSISTANT)
        # The sentence as said: Home Assistant matches it against its own devices and
        # names, which Heron does not know.
        said = (match.said or match.corrected).strip()
        return Mapped(HOME_CONTROL, {"text": said, "language": match.language}) \
            if said else Mapped(None, reply=CONNECT_HOME_ASSISTANT)
    rule = _RULES.get(match.intent)
    return rule(match) if rule is not None else None


def _seconds(slots: dict[str, Any], prefix: str = "") -> int:
    total = 0.0
    for unit, factor in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(prefix + unit)
        if isinstance(value, (int, float)):
            total += value * factor
    return int(round(total))


def _length_label(seconds: int) -> str:
    """How a timer set for `seconds` is named by its length: "20 minute", "1 hour 30
    minute" (the timer store finds it by that length)."""
    parts = [f"{n} {unit}" for n, unit in ((seconds // 3600, "hour"),
                                           (seconds % 3600 // 60, "minute"),
                                           (seconds % 60, "second")) if n]
    return " ".join(parts)


def _label(match: IntentMatch) -> dict[str, Any]:
    name = match.slots.get("name")
    if not isinstance(name, str) or not name.strip():
        # "pause the 20 minute timer": a timer named by the length it was set for
        length = _seconds(match.slots, "start_")
        return {"label": _length_label(length)} if length else {}
    label = name.strip().lower()
    a_while = _A_WHILE.get(match.language)
    if a_while is not None and a_while.fullmatch(label.strip(" .,!?")):
        return {}
    if match.language == "en":
        label = _ARTICLE.sub("", label)
        label = TIMER_STATE.sub("", label) or label
        label = TIMER_PLACE.sub("", label)
    return {"label": label} if label else {}


def _text(match: IntentMatch, slot: str) -> str:
    value = without_polite(str(match.slots.get(slot) or ""), match.language)
    return _ARTICLE.sub("", value) if match.language == "en" else value


def _start_timer(m: IntentMatch) -> Mapped | None:
    seconds = _seconds(m.slots)
    command = str(m.slots.get("conversation_command") or "").strip()
    if command:  # "remind me to call mom in 5 minutes": a reminder, not a timer
        what = reminder_text(command, m.language)
        # "remind me in ten minutes" says not what of: the router asks for it.
        return Mapped("set_reminder", {"text": what, "seconds": seconds}) if what else None
    return Mapped("set_timer", {"seconds": seconds, **_label(m)})


def _change_timer(sign: int) -> Callable[[IntentMatch], Mapped]:
    def rule(m: IntentMatch) -> Mapped:
        return Mapped("change_timer", {"seconds": sign * _seconds(m.slots), **_label(m)})
    return rule


# "stop the timer for a moment, someone's at the door": a pause, not the end of it
_FOR_A_MOMENT = re.compile(r"\b(?:stop|hold)\b.*\btimers?\s+for\s+(?:a|one)\s+"
                           r"(?:moment|sec(?:ond)?|bit|minute|mo)\b", re.IGNORECASE)


def _cancel_timer(m: IntentMatch) -> Mapped:
    if m.language == "en" and _FOR_A_MOMENT.search(m.said or ""):
        return Mapped("pause_timer", {})
    return Mapped("cancel_timer", _label(m))


def _labelled(tool: str) -> Callable[[IntentMatch], Mapped]:
    # A timer named by its length ("the 5 minute timer") is left to the tool's "which
    # timer" rule: our timers are found by label.
    return lambda m: Mapped(tool, _label(m))


def _plain(tool: str) -> Callable[[IntentMatch], Mapped]:
    return lambda m: Mapped(tool, {})


_POINTING_ITEMS = {"it", "them", "that", "this", "those", "these", "em", "'em"}


def _list_item(tool: str, named: bool) -> Callable[[IntentMatch], Mapped | None]:
    def rule(m: IntentMatch) -> Mapped | None:
        name = str(m.slots.get("name") or "").strip() if named else ""
        item = _text(m, "item")
        said_tool = tool
        if m.language == "en":  # "put also bread on the list"
            # "the weeding project is done, check it off": what "it" is another clause
            # says; the router's clause reading finds it
            if item.lower() in _POINTING_ITEMS:
                return None
            item = _ALSO.sub("", item) or item
            if tool == "complete_list_item" and _REMOVING.search(m.said):
                said_tool = "remove_from_list"
        return Mapped(said_tool, {"item": item, "list": name or SHOPPING_LIST})
    return rule


def _read_list(m: IntentMatch) -> Mapped:
    name = str(m.slots.get("name") or "").strip()
    return Mapped("read_list", {"list": name or SHOPPING_LIST})


def _search_and_play(m: IntentMatch) -> Mapped:
    # The class ("playlist", "album") only narrows Home Assistant's search; our music
    # search has no classes and ignores such words, so the query is what names the music.
    query = search_words(_text(m, "search_query"), m.language)
    player = player_command(query, m.language)
    if player is not None:
        return Mapped(player, {}, intent=_PLAYER_INTENTS[player])
    return Mapped("media_play", {"query": query})


def _relative_volume(m: IntentMatch) -> Mapped:
    step = m.slots.get("volume_step")
    if step == "up":
        percent = VOLUME_STEP
    elif step == "down":
        percent = -VOLUME_STEP
    else:
        percent = int(step) if isinstance(step, (int, float)) else VOLUME_STEP
    return Mapped("change_volume", {"percent": percent})


def _set_volume(m: IntentMatch) -> Mapped:
    level = m.slots.get("volume_level", m.slots.get("volume"))
    return Mapped("set_volume", {"percent": int(level) if isinstance(level, (int, float))
                                 else 0})


def _weather(m: IntentMatch) -> Mapped:
    place = str(m.slots.get("name") or "").strip()
    return Mapped("get_weather", {"location": place} if place else {})


_PLAYER_INTENTS = {"media_next": "HassMediaNext", "media_previous": "HassMediaPrevious",
                   "media_resume": "HassMediaUnpause"}
_RULES: dict[str, Callable[[IntentMatch], Mapped | None]] = {
    "HassStartTimer": _start_timer,
    "HassCancelTimer": _cancel_timer,
    "HassCancelAllTimers": lambda m: Mapped("cancel_timer", {"all": True}),
    "HassPauseTimer": _labelled("pause_timer"),
    "HassUnpauseTimer": _labelled("resume_timer"),
    "HassIncreaseTimer": _change_timer(1),
    "HassDecreaseTimer": _change_timer(-1),
    "HassTimerStatus": _labelled("list_timers"),
    "HassGetCurrentTime": _plain("get_time"),
    "HassGetCurrentDate": _plain("get_date"),
    "HassListAddItem": _list_item("add_to_list", named=True),
    "HassShoppingListAddItem": _list_item("add_to_list", named=False),
    "HassListCompleteItem": _list_item("complete_list_item", named=True),
    "HassShoppingListCompleteItem": _list_item("complete_list_item", named=False),
    "HassListRemoveItem": _list_item("remove_from_list", named=True),
    READ_LIST: _read_list,
    "HassMediaPause": _plain("media_pause"),
    "HassMediaUnpause": _plain("media_resume"),
    "HassMediaNext": _plain("media_next"),
    "HassMediaPrevious": _plain("media_previous"),
    "HassMediaSearchAndPlay": _search_and_play,
    "HassSetVolume": _set_volume,
    "HassSetVolumeRelative": _relative_volume,
    "HassMediaPlayerMute": _plain("mute_audio"),
    "HassMediaPlayerUnmute": _plain("unmute_audio"),
    "HassGetWeather": _weather,
    "HassNevermind": lambda m: Mapped(None, reply=""),
    "HassBroadcast": lambda m: Mapped("broadcast", {"message": broadcast_message(
        str(m.slots.get("message") or ""), m.language, m.said)}),
}
MAPPED_INTENTS = frozenset(_RULES) | DEVICE_CONTROL
