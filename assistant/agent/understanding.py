"""Understanding an utterance, fastest first (DESIGN.md §4): Home Assistant's intent
templates for the language (stage "intents"), then our manifest router (stage
"router"); the agent asks the LLM after both when one is configured. One answer per
text: the endpointer's "is it a complete command?" and the agent share it."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from assistant.agent.asides import without_asides
from assistant.agent.intents.catalog import package_language
from assistant.agent.intents.delayed import reminder_text, said_first
from assistant.agent.intents.devices import DeviceNames
from assistant.agent.intents.mapping import (
    DEVICE_CONTROL,
    MAPPED_INTENTS,
    Mapped,
    map_intent,
)
from assistant.agent.intents.never_mind import never_mind_said
from assistant.agent.intents.open_app import AppNames, open_app_match
from assistant.agent.intents.polite import as_said
from assistant.agent.intents.recognizer import (
    OPEN_NAMES,
    IntentMatch,
    IntentRecognizer,
    SlotSources,
)
from assistant.agent.intents.rephrase import rephrased
from assistant.agent.known_values import unknown_slots
from assistant.agent.loose_values import said_anywhere
from assistant.agent.router import RouteMatch, Router
from assistant.agent.slots import without_politeness, without_statement
from assistant.agent.tokens import tokens_of
from assistant.builtins.home_control import HOME_CONTROL
from assistant.builtins.list_store import ListStore
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage
from assistant.tools.manifest import ToolManifest
from audio.vocabulary import command_prompt

DEFAULT_LANGUAGE = "en"
BROADCAST_INTENT = "HassBroadcast"
MIN_INTENT_CONFIDENCE = 0.6  # a corrected intent match below this is no match
# The answer depends on live data (timer labels, list names, tools), so it is kept only
# for the endpointer → agent hand-off of the same utterance.
CACHE_SIZE = 16  # texts remembered: a whole n-best list and the top text (hearing.py)
CACHE_TTL_S = 2.0
# The router's examples are English: in another language it may only answer when it is
# sure and its free-text slots did not swallow most of the sentence ("Stelle einen Timer
# …" is no file to read).
FREE_TEXT_SLOTS = ("path", "query", "text", "name")
MAX_FREE_TEXT_SHARE = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
NEVER_MIND_INTENT = "HassNevermind"
# A clause beside "never mind" this sure of a tool is a new request ("never mind, set a
# timer for 5 minutes"); a weaker one is the reason ("…, I don't need anything now").
NEW_REQUEST_SCORE = 0.9
HINT_CHARS = 400  # whisper reads at most ~220 prompt tokens
MAX_HINT_APPS = 30


class UnderstandingStage(StrEnum):
    """Which stage understood a text (Understood.stage; also "stage" in its `tried`)."""

    INTENTS = "intents"  # Home Assistant's intent templates
    ROUTER = "router"  # our manifest router
    LLM = "llm"
    NONE = "none"  # nothing did
    CLARIFY = "clarify"  # only in `tried`: the answer to a clarifying question chose


@dataclass(frozen=True)
class Understood:
    stage: UnderstandingStage
    tool: str | None  # None when the stage answers directly (never mind, device control)
    args: dict
    confidence: float  # 0..1
    matched: str  # HA intent name ("HassStartTimer") or the router example
    language: str  # language code used ("en", "de", "ar" …)
    reply: str | None = None  # direct reply text ("" = end the turn quietly)
    # What each stage matched and how sure it was, in the order tried.
    tried: tuple[dict[str, Any], ...] = ()
    # The stage's own result, for the agent (replies, clarifying questions).
    route: RouteMatch | None = field(default=None, compare=False, repr=False)
    intent: IntentMatch | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        """JSON for `heron ask --json` / `heron listen --json`."""
        return {"stage": self.stage, "tool": self.tool, "args": dict(self.args),
                "confidence": round(self.confidence, 4), "matched": self.matched,
                "language": self.language, "reply": self.reply,
                "tried": [dict(t) for t in self.tried]}


def default_language(configured: str | None) -> str:
    """[asr] language when it is a language code ("de"), else English ("auto", "")."""
    code = (configured or "").strip()
    return code if code and code != "auto" and package_language(code) else DEFAULT_LANGUAGE


def slot_sources(storage: Storage | None) -> SlotSources:
    """Names for the intent templates from Heron's own data: list names, timer labels."""
    if storage is None:
        return SlotSources()
    timers = TimerStore(storage)
    return SlotSources(list_names=ListStore(storage).names,
                       timer_labels=lambda: [t.label for t in timers.pending() if t.label])


def intent_recognizer(sources: SlotSources | None = None) -> IntentRecognizer:
    """The intents stage over the intents we map (device control with any name)."""
    return IntentRecognizer(sources, intent_names=MAPPED_INTENTS, open_names=DEVICE_CONTROL)


class Understanding:
    """`understand(text, language)` → what to do, or None when neither stage knows."""

    def __init__(self, router: Router, recognizer: IntentRecognizer | None = None,
                 language: str = DEFAULT_LANGUAGE,
                 has_tool: Callable[[str], bool] | None = None,
                 apps: AppNames | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.router = router
        self.recognizer = recognizer or intent_recognizer()
        self._broadcasts = IntentRecognizer(self.recognizer.sources,
                                            intent_names={BROADCAST_INTENT})
        self.language = language
        self._has_tool = has_tool
        self._apps = apps or AppNames()  # "open {name}" naming an installed app
        self._devices = DeviceNames(MAPPED_INTENTS - DEVICE_CONTROL, DEVICE_CONTROL)
        self._lock = threading.Lock()
        self._clock = clock
        self._examples: tuple[str, ...] = ()  # the tools' example phrases (use_tools)
        # (text, language) → (when, found, tried), oldest first: a voice turn asks about
        # the same texts more than once (hearing's hypotheses, the endpointer, the agent)
        self._recent: OrderedDict[tuple[str, str],
                                  tuple[float, Understood | None, tuple[dict, ...]]] = \
            OrderedDict()

    def use_tools(self, manifests: Iterable[ToolManifest]) -> None:
        """The registered tools changed: their example words are never a device's name."""
        manifests = list(manifests)
        self._devices.use_tools(manifests)
        # Round robin (each tool's first example, then each one's second …) so a short
        # hint still names every tool.
        rounds = max((len(m.examples) for m in manifests), default=0)
        self._examples = tuple(m.examples[k] for k in range(rounds) for m in manifests
                               if k < len(m.examples))
        with self._lock:
            self._recent.clear()

    def recognition_hint(self, language: str | None = None, max_chars: int = HINT_CHARS,
                         *, examples: bool = True) -> str:
        """Words to bias speech recognition toward (whisper's prompt or hotwords): the
        names Heron knows right now (timer labels, list names, installed apps), then the
        tools' example phrases: English only, and only when `examples` (an English
        prompt makes whisper translate other languages into English)."""
        lang = (language or self.language).split("-")[0].lower()
        sources = self.recognizer.sources
        names = [*sources.timer_labels(), *sources.list_names()]
        try:
            names += [app.name for app in self._apps.apps.installed()][:MAX_HINT_APPS]
        except OSError:  # an unreadable applications folder is no reason to fail a turn
            pass
        english = examples and lang == DEFAULT_LANGUAGE
        phrases = names + (list(self._examples) if english else [])
        return command_prompt(phrases, max_chars, sentences=True)

    def unknown_values(self, found: Understood) -> tuple[str, ...]:
        """The slots of `found` whose value Heron does not know (a unit, a list, an app:
        assistant/agent/known_values.py)."""
        return unknown_slots(found.tool, found.args, self.recognizer.sources.list_names,
                             self._apps.app_for)

    def understand(self, text: str, language: str | None = None) -> Understood | None:
        """The first stage that is sure enough; cached for the last text asked."""
        return _copy(self._understand(text, language)[0])

    def tried(self, text: str, language: str | None = None) -> tuple[dict[str, Any], ...]:
        """What each stage matched for `text` (also when none was sure enough)."""
        return self._understand(text, language)[1]

    def _understand(self, text: str, language: str | None
                    ) -> tuple[Understood | None, tuple[dict, ...]]:
        lang = language or self.language
        key = (text, lang)
        with self._lock:
            # A voice turn asks more than once about a text (hearing, endpointer, agent):
            # later asks within CACHE_TTL_S cost nothing.
            now = self._clock()
            hit = self._recent.get(key)
            if hit is not None and now - hit[0] <= CACHE_TTL_S:
                return hit[1], hit[2]
            found, tried = self._run(text, lang)
            self._recent[key] = (now, found, tried)
            self._recent.move_to_end(key)
            while len(self._recent) > CACHE_SIZE:
                self._recent.popitem(last=False)
            return found, tried

    def _run(self, text: str, lang: str) -> tuple[Understood | None, tuple[dict, ...]]:
        quiet = self._never_mind(text, lang)  # "oh never mind, Ava's found it herself"
        if quiet is not None:
            return quiet, quiet.tried
        request = without_asides(text, lang)  # "… Kind of Blue? It helps me read."
        if request != text:
            found, tried = self._run_one(request, lang)
            # (a request that needs a choice asks it: better than the story routed)
            if found is not None and (found.route is None or not found.route.missing):
                # what was understood is reported: the words set apart are not in it
                tried = ({**tried[0], "request": request}, *tried[1:]) if tried else tried
                # a word said in an aside still chooses ("…, I'm holding it up to the camera")
                return replace(self._said_anywhere(found, text), tried=tried), tried
        return self._run_one(text, lang)

    def _never_mind(self, text: str, lang: str) -> Understood | None:
        """Never mind said with a reason around it, unless the rest is a new request."""
        said = never_mind_said(text, lambda phrase: self._is_never_mind(phrase, lang))
        if said is None or any(self._new_request(clause, lang) for clause in said.rest):
            return None
        tried: list[dict[str, Any]] = []
        found = self._intents(said.phrase, lang, tried)
        if found is None:
            return None
        tried[-1] = {**tried[-1], "request": said.phrase, "note": "the rest says why"}
        return replace(found, tried=tuple(tried))

    def _is_never_mind(self, phrase: str, lang: str) -> bool:
        match = self.recognizer.recognize(phrase, lang)
        return match is not None and match.intent == NEVER_MIND_INTENT \
            and match.confidence >= 1.0

    def _new_request(self, clause: str, lang: str) -> bool:
        found, _ = self._run_one(clause, lang)
        if found is None or found.tool is None:
            return False
        if found.stage == UnderstandingStage.INTENTS:
            return found.confidence >= 1.0
        return found.route is not None and not found.route.missing \
            and found.confidence >= NEW_REQUEST_SCORE

    def _said_anywhere(self, found: Understood, text: str) -> Understood:
        manifest = self.router._manifests.get(found.tool or "")
        if found.route is None or manifest is None:
            return found
        props = manifest.input_schema.get("properties", {})
        args = {**said_anywhere(props, text, tokens_of(text)), **found.args}
        return replace(found, args=args, route=replace(found.route, args=dict(args)))

    def _run_one(self, text: str, lang: str) -> tuple[Understood | None, tuple[dict, ...]]:
        tried: list[dict[str, Any]] = []
        intent = self._intents(text, lang, tried)
        if intent is not None and intent.confidence >= 1.0:
            return replace(intent, tried=tuple(tried)), tuple(tried)
        route = self.router.route(text) if text.strip() else None
        entry: dict[str, Any] = {"stage": UnderstandingStage.ROUTER,
                                 "matched": route.tool if route else None,
                                 "example": route.example if route else None,
                                 "confidence": round(route.score, 4) if route else 0.0}
        tried.append(entry)
        if route is not None and not _fits_language(route, text, lang):
            entry["note"] = f"not sure enough for '{lang}' (English examples)"
            route = None
        routed = Understood(UnderstandingStage.ROUTER, route.tool, dict(route.args), route.score,
                            route.example, lang, route=route) if route else None
        sure = route is not None and not route.missing and not route.ambiguous
        found: Understood | None = intent
        if intent is not None:
            if sure and route.score > intent.confidence:
                found = routed
        elif sure and route.score > OPEN_NAMES:
            found = routed
        else:
            # The last resort: device control naming a device we do not know, never a
            # sentence a real intent or the router placed (a weak route loses to it).
            # An app's name is no device: "ouvre Firefox" opens it.
            found = self._open_app(text, lang, tried) \
                or self._open_devices(text, lang, tried, route if sure else None) or routed
        return (replace(found, tried=tuple(tried)) if found else None), tuple(tried)

    def _map(self, match: IntentMatch) -> Mapped | None:
        """The intent's tool call; device control goes to Home Assistant when it is
        connected (the home_control tool is registered)."""
        home = self._has_tool is not None and self._has_tool(HOME_CONTROL)
        return map_intent(match, home=home)

    def _open_app(self, text: str, lang: str, tried: list[dict]) -> Understood | None:
        if self._has_tool is not None and not self._has_tool("open_app"):
            return None
        match = open_app_match(text, lang, self._apps)
        if match is None:
            return None
        tried.append({"stage": UnderstandingStage.INTENTS, "names": "apps",
                      "matched": match.intent, "confidence": match.confidence})
        return Understood(UnderstandingStage.INTENTS, "open_app", dict(match.slots),
                          match.confidence, match.intent, lang, intent=match)

    def _open_devices(self, text: str, lang: str, tried: list[dict],
                      route: RouteMatch | None) -> Understood | None:
        """Device control naming what we do not know, unless a name says a word the tool a
        sure route found is asked with: "who is in front of the camera" reads "front of
        the camera" as a zone, but it is who_is_there's "… in front of the camera"."""
        match = self.recognizer.recognize_open(
            text, lang, lambda name: self._devices.plausible(name, lang))
        entry = {"stage": UnderstandingStage.INTENTS, "names": "open",
                 "matched": match.intent if match else None,
                 "confidence": match.confidence if match else 0.0}
        tried.append(entry)
        mapped = self._map(match) if match is not None else None
        if match is None or mapped is None:
            return None
        if route is not None and any(
                self._devices.asks_for(match.texts.get(slot, ""), route.tool, route.example)
                for slot in match.wildcards):
            entry["note"] = f"a name from {route.tool}'s example"
            return None
        return Understood(UnderstandingStage.INTENTS, mapped.tool, dict(mapped.args),
                          match.confidence, match.intent, lang, mapped.reply, intent=match)

    def _intents(self, text: str, lang: str, tried: list[dict]) -> Understood | None:
        match = self.recognizer.recognize(text, lang)
        again = rephrased(text, lang) if match is None else None
        if again is not None:  # "send a broadcast that …": said the template's way
            match = self.recognizer.recognize(again, lang)
            if match is not None:
                match = replace(match, said=text)
                text = again
        mapped = self._map(match) if match is not None else None
        entry: dict[str, Any] = {"stage": UnderstandingStage.INTENTS,
                                 "matched": match.intent if match else None,
                                 "confidence": match.confidence if match else 0.0}
        if again is not None and match is not None:
            entry["rephrased"] = again
        if match is not None and match.corrected:
            entry["corrected"] = match.corrected
        tried.append(entry)
        if match is None or mapped is None:
            return None
        if mapped.tool is not None and self._has_tool is not None \
                and not self._has_tool(mapped.tool):
            entry["note"] = f"no tool {mapped.tool}"
            return None
        if match.confidence < MIN_INTENT_CONFIDENCE:
            return None
        if mapped.tool == "set_reminder" and self._timer_said(text, lang, match):
            entry["note"] = "the delayed command is itself a timer"
            return None
        if mapped.intent is not None:
            entry["means"] = mapped.intent
            match = replace(match, intent=mapped.intent, response=None)
        # "play some Vera Lynn for me": the wildcard took the politeness too
        args = {k: _plain_wildcard(v, match.said or text) if isinstance(v, str)
                and lang == "en" else v for k, v in mapped.args.items()}
        return self._broadcast_now(text, lang, match, tried) or Understood(
            UnderstandingStage.INTENTS, mapped.tool, args, match.confidence,
            match.intent, lang, mapped.reply, intent=match)

    def _timer_said(self, text: str, lang: str, match: IntentMatch) -> bool:
        """A delayed command that is itself a timer ("set a t timer for 2 minutes in 30
        seconds": whisper's "in" for "and") is that timer, not a reminder to set one:
        the whole sentence is a sure timer to the router, or the command alone is one."""
        if self._sure_timer(text):
            return True
        command = reminder_text(match.texts.get("conversation_command", ""), lang)
        if not command:
            return False
        alone = self.recognizer.recognize(command, lang)
        mapped = self._map(alone) if alone is not None else None
        if mapped is not None and mapped.tool == "set_timer" \
                and alone.confidence >= MIN_INTENT_CONFIDENCE:
            return True
        return self._sure_timer(command)

    def _sure_timer(self, text: str) -> bool:
        route = self.router.route(text)
        return route is not None and route.tool == "set_timer" and not route.missing \
            and not route.ambiguous and route.score > OPEN_NAMES

    def _broadcast_now(self, text: str, lang: str, match: IntentMatch, tried: list[dict]
                       ) -> Understood | None:
        """A delayed command that opens the sentence and is itself a broadcast ("announce
        that we're leaving in five minutes", "tell everyone …") is that broadcast, said
        now: the time is part of the message. hassil prefers the delayed reading, which
        matched more of the template's own words."""
        command = match.texts.get("conversation_command", "")
        if not command or not said_first(command, text, lang) or (
                self._has_tool is not None and not self._has_tool("broadcast")):
            return None
        heard = self._broadcasts.recognize(text, lang)
        again = rephrased(text, lang) if heard is None else None
        if again is not None:
            heard = self._broadcasts.recognize(again, lang)
            heard = replace(heard, said=text) if heard is not None else None
        mapped = self._map(heard) if heard is not None else None
        if heard is not None and mapped is not None \
                and heard.confidence >= MIN_INTENT_CONFIDENCE:
            tried.append({"stage": UnderstandingStage.INTENTS, "matched": heard.intent,
                          "confidence": heard.confidence, "note": "said now, not delayed"})
            return Understood(UnderstandingStage.INTENTS, mapped.tool, dict(mapped.args),
                              heard.confidence, heard.intent, lang, mapped.reply, intent=heard)
        route = self.router.route(text)
        if route is None or route.tool != "broadcast" or route.missing or route.ambiguous \
                or not _fits_language(route, text, lang):
            return None
        tried.append({"stage": UnderstandingStage.ROUTER, "matched": route.tool,
                      "example": route.example, "confidence": round(route.score, 4),
                      "note": "said now, not delayed"})
        return Understood(UnderstandingStage.ROUTER, route.tool, dict(route.args), route.score,
                          route.example, lang, route=route)


def _fits_language(route: RouteMatch, text: str, lang: str) -> bool:
    """Whether a route may answer a request in `lang`: always in English; in another
    language only when sure of the tool (it may still ask for a slot not heard) and its
    free-text slots hold at most half of the words."""
    if lang.split("-")[0].lower() == DEFAULT_LANGUAGE:
        return True
    if route.ambiguous or route.score <= OPEN_NAMES:
        return False
    said = len(_WORD.findall(text))
    free = sum(len(_WORD.findall(str(route.args.get(slot) or ""))) for slot in FREE_TEXT_SLOTS)
    return said > 0 and free <= MAX_FREE_TEXT_SHARE * said


def _plain_wildcard(value: str, said: str) -> str:
    """A wildcard's words without politeness or a statement said after them ("play some
    Johnny Clegg, feeling nostalgic"): the comma is only in what was said."""
    value = without_politeness(value)
    written = as_said(value, said)
    shorter = without_statement(written)
    return shorter if shorter != written else value


def _copy(u: Understood | None) -> Understood | None:
    # Callers may fill in the arguments; the cached answer stays as it was.
    return None if u is None else replace(u, args=dict(u.args))
