"""The one agent every surface reaches: understand (intent templates, then the router) →
tool call through the registry → reply; the LLM after both when configured.
When the router is unsure between tools that change something, or a required slot
was not heard, the agent asks one short question and takes the next utterance from
the same source as the answer (for CLARIFY_TTL_S)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.agent import clarify
from assistant.agent.clarify import CLARIFY_TTL_S, NEVER_MIND, Pending
from assistant.agent.embeddings import Embedder
from assistant.agent.intents.catalog import catalog
from assistant.agent.intents.recognizer import SlotSources
from assistant.agent.intents.responses import not_understood, reply_for
from assistant.agent.llm_turn import LlmTurn, TextCallback, speech_for
from assistant.agent.router import RouteMatch, Router
from assistant.agent.understanding import (
    Understanding,
    UnderstandingStage,
    Understood,
    default_language,
    intent_recognizer,
    slot_sources,
)
from assistant.bus import EventBus
from assistant.events import CallSource, Reply, ReplyDelta
from assistant.memory import Memory
from assistant.permissions.provenance import untrusted_origins
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolOutcome, ToolRegistry

NOT_UNDERSTOOD = ("Sorry, I can't help with that yet. You can ask me the time, the date "
                  "or the weather, set timers and reminders, keep lists and notes, play or "
                  "pause music, change the volume, calculate and convert, open apps and "
                  "web pages, find and read files, or use the clipboard.")
ENGLISH = "en"  # our own replies (a tool's speech, questions, "not understood") are English


@dataclass(frozen=True)
class AgentReply:
    text: str
    tool_calls: tuple[ToolOutcome, ...] = ()
    route: RouteMatch | None = None
    # Understood.to_dict() of the stage that answered, with "tried": each stage's match.
    understanding: dict | None = None
    # The language `text` is in, when the agent knows it (the voice for it is chosen by
    # it): a tool's English speech is "en" whatever language the request was in.
    language: str | None = None

    @property
    def reads_aloud(self) -> bool:
        """The reply is a reading (read_aloud's "read this to me"): it is spoken even
        where replies are only shown, e.g. `heron ask` to the running Heron."""
        return any((o.result or {}).get("read_aloud") for o in self.tool_calls)


class Agent:
    def __init__(self, registry: ToolRegistry, bus: EventBus, storage: Storage | None = None,
                 router: Router | None = None, embedder: Embedder | None = None,
                 clarify_ttl_s: float = CLARIFY_TTL_S,
                 clock: Callable[[], float] = time.monotonic,
                 llm: LlmTurn | None = None, understanding: Understanding | None = None,
                 language: str | None = None, sources: SlotSources | None = None,
                 memory: Memory | None = None) -> None:
        self.registry = registry
        self._bus = bus
        # the conversation memory: the core's own when it hands it over (one per Heron)
        self.memory = memory or (Memory(storage) if storage is not None else None)
        self.llm = llm  # open questions the router cannot place (None: [llm] mode off)
        self.router = router or Router(registry.manifests(), embedder)
        # `language`: [asr] language (a code, or "auto"/"" for English by default);
        # `sources`: the names the intent templates may refer to (default: lists, timers).
        self.understanding = understanding or Understanding(
            self.router, intent_recognizer(sources or slot_sources(storage)),
            default_language(language), has_tool=lambda n: registry.get(n) is not None)
        self.understanding.use_tools(registry.manifests())
        # The router object is shared (the listener holds it): update it in place.
        registry.on_change.append(self._tools_changed)
        self._clarify_ttl_s = clarify_ttl_s
        self._clock = clock
        self._pending: dict[str, Pending] = {}  # by source: one open question each

    def _tools_changed(self) -> None:
        manifests = self.registry.manifests()
        self.router.update(manifests)
        self.understanding.use_tools(manifests)

    async def handle(self, text: str, source: CallSource = CallSource.TEXT,
                     on_text: TextCallback | None = None,
                     language: str | None = None) -> AgentReply:
        """Answer one request. `on_text` receives an LLM's reply as it streams;
        `language` is the request's (None: the configured one)."""
        language = language or self.understanding.language
        history = (self.memory.recent(self.llm.history_turns)
                   if self.memory is not None and self.llm is not None else [])
        self._remember("user", source, text)
        reply = await self._answer(text, source, language)
        if reply is None:  # not a command the intents or the router know
            tried = self.understanding.tried(text, language)
            if self.llm is not None:
                reply = await self._ask_llm(text, source, history, on_text)
                first = reply.tool_calls[0] if reply.tool_calls else None
                stage = Understood(UnderstandingStage.LLM, first.tool if first else None,
                                   dict(first.args) if first else {}, 1.0, "", language)
            else:
                # In the request's language when the package says "not understood" in it.
                said, said_in = not_understood(language, NOT_UNDERSTOOD, ENGLISH)
                reply = AgentReply(said, language=said_in)
                stage = Understood(UnderstandingStage.NONE, None, {}, 0.0, "", language)
            reply = replace(reply, understanding=replace(stage, tried=tried).to_dict())
        # a reading is remembered as what it was, not as its text (a page would crowd
        # the language model's context out of every later turn)
        said = (f"(read aloud {len(reply.text)} characters)" if reply.reads_aloud
                else reply.text)
        self._remember("assistant", source, said, untrusted=any(
            (o.result or {}).get("untrusted_output") for o in reply.tool_calls))
        self._bus.publish(Reply(text=reply.text))
        return reply

    def pending_question(self, source: CallSource = CallSource.TEXT) -> str | None:
        """The question still waiting for an answer from `source`, if any."""
        pending = self._pending.get(source)
        if pending is None or pending.expires_at < self._clock():
            return None
        return pending.question

    async def _answer(self, text: str, source: str, language: str) -> AgentReply | None:
        match = None
        understood: Understood | None = None
        pending = self._pending.pop(source, None)
        if pending is not None and pending.expires_at >= self._clock():
            if pending.slot_kind in clarify.FREE_TEXT_KINDS:
                # Any words could be the answer, so a clear new command wins.
                direct = self.router.route(text)
                if direct is not None and direct.score >= clarify.CLEAR_COMMAND \
                        and not direct.missing and not direct.ambiguous:
                    pending = None
                    match = direct
            if pending is not None:
                answer = clarify.resolve(pending, text, self._manifests())
                if answer.cancelled:
                    return AgentReply(NEVER_MIND, language=ENGLISH)
                match = answer.match
        if match is None:
            understood = self.understanding.understand(text, language)
            if understood is None:
                return None
            if understood.stage == UnderstandingStage.INTENTS:
                return await self._run_intent(understood, source)
            match = understood.route
        if match is None:
            return None
        info = (understood or Understood(
            UnderstandingStage.ROUTER, match.tool, dict(match.args), match.score, match.example,
            language, tried=({"stage": UnderstandingStage.CLARIFY, "matched": match.tool,
                              "confidence": match.score},)
        )).to_dict()
        if match.ambiguous:
            question = clarify.choice_question(match, self._manifests())
            self._ask(source, Pending((match, *match.alternatives), question,
                                      self._clock() + self._clarify_ttl_s))
            return AgentReply(question, route=match, understanding=info, language=ENGLISH)
        if match.missing:
            question, kind = clarify.slot_question(match, self.registry.get(match.tool))
            self._ask(source, Pending((match,), question, self._clock() + self._clarify_ttl_s,
                                      slot=match.missing[0], slot_kind=kind))
            return AgentReply(question, route=match, understanding=info, language=ENGLISH)
        call = ToolCall(match.tool, match.args, source=source,
                        origins=untrusted_origins(match.args))
        outcome = await self.registry.call(call)
        return AgentReply(speech_for(outcome), (outcome,), match, info, language=ENGLISH)

    async def _run_intent(self, understood: Understood, source: str) -> AgentReply:
        """A Home Assistant intent: its tool through the registry (permissions, audit and
        confirmation as for any call), the reply in the request's language."""
        info = understood.to_dict()
        if understood.tool is None:  # never mind (""), device control
            return AgentReply(understood.reply or "", understanding=info,
                              language=ENGLISH if understood.reply else understood.language)
        call = ToolCall(understood.tool, dict(understood.args), source=source,
                        origins=untrusted_origins(understood.args))
        outcome = await self.registry.call(call)
        assert understood.intent is not None
        text, said_in = reply_for(understood.intent, outcome, catalog(understood.language))
        return AgentReply(text, (outcome,), understanding=info, language=said_in)

    async def _ask_llm(self, text: str, source: str, history: list[dict],
                       on_text: TextCallback | None) -> AgentReply:
        async def router_fallback() -> tuple[str, tuple[ToolOutcome, ...]]:
            return NOT_UNDERSTOOD, ()

        # History that repeats a file or the clipboard could steer the model: then every
        # call it makes is treated as coming from that content (and confirmed).
        tainted = bool(untrusted_origins([m["content"] for m in history]))

        def streamed(piece: str) -> None:  # the windows show the reply as it is written
            self._bus.publish(ReplyDelta(text=piece))
            if on_text is not None:
                on_text(piece)

        answer = await self.llm.answer(text, history, source, on_text=streamed,
                                       untrusted_input=tainted, fallback=router_fallback)
        return AgentReply(answer.text, tuple(answer.outcomes))

    def _ask(self, source: str, pending: Pending) -> None:
        self._pending[source] = pending

    def _manifests(self) -> dict:
        return {m.name: m for m in self.registry.manifests()}

    def _remember(self, role: str, source: str, text: str, untrusted: bool = False) -> None:
        if self.memory is not None and text:
            self.memory.add(role, source, text, untrusted)
