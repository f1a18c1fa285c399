"""The spoken reply for an intent: the package's response template for that language,
rendered in a sandbox with what our tool's result tells (HA templates read `slots.*`,
`query.*` and `state.*`), else the tool's own speech."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from assistant.agent.intents.catalog import Catalog, catalog
from assistant.agent.intents.recognizer import IntentMatch
from assistant.agent.llm_turn import speech_for
from assistant.builtins.home_control import HA_ERROR, HOME_CONTROL
from assistant.events import CallStatus
from assistant.scheduling.timer_store import TimerState
from assistant.tools.registry import ToolOutcome

log = logging.getLogger(__name__)

# English keeps our tool's speech where it says more than Home Assistant's reply:
# timers name the timer and its length ("OK, tea timer set for 5 minutes" vs "Timer set
# for 5 minutes"), status lists every timer (HA's names only the next one), time and date
# say the weekday, lists name the list, media_play names what is playing, weather the
# place, broadcast repeats the message (HA: "Done"). Short confirmations where HA's reply
# is as good ("Paused", "Volume set", "Muted") come from the package in every language.
OURS_IN_ENGLISH = frozenset({
    "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassPauseTimer",
    "HassUnpauseTimer", "HassIncreaseTimer", "HassDecreaseTimer", "HassTimerStatus",
    "HassGetCurrentTime", "HassGetCurrentDate", "HassListAddItem", "HassListCompleteItem",
    "HassListRemoveItem", "HassShoppingListAddItem", "HassShoppingListCompleteItem",
    "HassMediaSearchAndPlay", "HassGetWeather", "HassBroadcast",
})
# Our error codes that Home Assistant has a message for.
_ERROR_KEYS = {"timer.which": "multiple_timers_matched", "timer.not_found": "timer_not_found",
               "timer.none": "timer_not_found"}
_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                     extensions=["jinja2.ext.loopcontrols"])


def reply_for(match: IntentMatch, outcome: ToolOutcome, cat: Catalog | None
              ) -> tuple[str, str]:
    """What to say after `outcome` of the tool `match` was mapped to, and the language
    that reply is in (our tools speak English)."""
    speech = speech_for(outcome)
    if outcome.tool == HOME_CONTROL:  # Home Assistant's own answer, in its language
        said_by_ha = outcome.status == CallStatus.OK or outcome.code == HA_ERROR
        language = str((outcome.result or {}).get("language") or match.language)
        return speech, language if said_by_ha else "en"
    if cat is None:
        return speech, "en"
    if outcome.status != CallStatus.OK:
        key = _ERROR_KEYS.get(outcome.code)
        template = cat.errors.get(key) if key and cat.language != "en" else None
        text = _render(template, {}) if template else None
        return (text, cat.language) if text else (speech, "en")
    if cat.language == "en" and match.intent in OURS_IN_ENGLISH:
        return speech, "en"
    template = cat.response(match.intent, match.response)
    text = _render(template, _data(match, outcome.result or {})) if template else None
    return (text, cat.language) if text else (speech, "en")


def not_understood(language: str, ours: str, ours_in: str) -> tuple[str, str]:
    """"Not understood" in `language` from the package (its `no_intent` error) and that
    language; `ours` (in `ours_in`) for English (ours says what Heron can do) or when the
    package has no such message for the language."""
    cat = catalog(language)
    if cat is None or cat.language.split("-")[0] == ours_in:
        return ours, ours_in
    template = cat.errors.get("no_intent")
    text = _render(template, {}) if template else None
    return (text, cat.language) if text else (ours, ours_in)


def _render(template: str, data: dict[str, Any]) -> str | None:
    try:
        text = _env.from_string(template).render(**data)
    except Exception as err:  # noqa: BLE001 - a template needing data we lack: our speech
        log.debug("intent reply: template not rendered (%s)", err)
        return None
    return " ".join(text.split()) or None


def _data(match: IntentMatch, result: dict[str, Any]) -> dict[str, Any]:
    slots: dict[str, Any] = {name: match.texts.get(name) or value
                             for name, value in match.slots.items()}
    data: dict[str, Any] = {"slots": slots, "query": {"matched": [], "unmatched": []}}
    if "iso" in result:
        slots["time"] = dt.datetime.fromisoformat(str(result["iso"]))
    if "date" in result:
        slots["date"] = dt.date.fromisoformat(str(result["date"])[:10])
    if isinstance(result.get("cancelled"), list):
        slots["canceled"] = len(result["cancelled"])
    if isinstance(result.get("timers"), list):
        slots["timers"] = [_ha_timer(t) for t in result["timers"] if isinstance(t, dict)]
    if match.intent == "HassMediaSearchAndPlay":
        slots["media"] = result.get("title") or result.get("media") or result.get("uri") \
            or True
    state = _weather_state(result)
    if state is not None:
        data["state"] = state
    return data


def _ha_timer(t: dict[str, Any]) -> dict[str, Any]:
    """One of our timers as Home Assistant's timer status template reads it."""
    start = int(t.get("duration_s") or 0)
    left = int(round(float(t.get("remaining_s") or 0)))
    h, rest = divmod(left, 3600)
    m, s = divmod(rest, 60)
    if h:  # like HA: the bigger unit is enough when the time left is long
        s = 0
    return {"name": t.get("label") or "", "area": "",
            "is_active": t.get("state") != TimerState.PAUSED, "total_seconds_left": left,
            "start_hours": start // 3600, "start_minutes": start % 3600 // 60,
            "start_seconds": start % 60,
            "rounded_hours_left": h, "rounded_minutes_left": m, "rounded_seconds_left": s}


def _weather_state(result: dict[str, Any]) -> dict[str, Any] | None:
    current = result.get("current") if isinstance(result.get("current"), dict) else result
    if "temperature" not in current:
        return None
    return {"state": current.get("condition", ""),
            "attributes": {"temperature": current.get("temperature"),
                           "temperature_unit": current.get("temperature_unit", "°C")}}
