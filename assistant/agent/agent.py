"""The one agent every surface reaches: route → tool call through the registry → reply."""

from __future__ import annotations

import time
from dataclasses import dataclass

from assistant.agent.router import RouteMatch, Router
from assistant.bus import EventBus
from assistant.events import Reply
from assistant.storage import Storage
from assistant.tools.policy import ToolCall
from assistant.tools.registry import ToolOutcome, ToolRegistry

NOT_UNDERSTOOD = ("Sorry, I can't help with that yet. You can ask me the time or the date, "
                  "or set, list and cancel timers.")
_ASK_FOR_SLOT = {"seconds": "For how long? For example: set a timer for five minutes."}


@dataclass(frozen=True)
class AgentReply:
    text: str
    tool_calls: tuple[ToolOutcome, ...] = ()
    route: RouteMatch | None = None


class Agent:
    def __init__(self, registry: ToolRegistry, bus: EventBus, storage: Storage | None = None,
                 router: Router | None = None) -> None:
        self.registry = registry
        self._bus = bus
        self._storage = storage
        self.router = router or Router(registry.manifests())

    async def handle(self, text: str, source: str = "text") -> AgentReply:
        self._remember("user", source, text)
        reply = await self._answer(text, source)
        self._remember("assistant", source, reply.text)
        self._bus.publish(Reply(text=reply.text))
        return reply

    async def _answer(self, text: str, source: str) -> AgentReply:
        match = self.router.route(text)
        if match is None:
            return AgentReply(NOT_UNDERSTOOD)
        if match.missing:
            return AgentReply(_ASK_FOR_SLOT.get(match.missing[0],
                                                f"I need the {match.missing[0]} for that."),
                              route=match)
        outcome = await self.registry.call(ToolCall(match.tool, match.args, source=source))
        return AgentReply(_speech_for(outcome), (outcome,), match)

    def _remember(self, role: str, source: str, text: str) -> None:
        if self._storage is None or not text:
            return
        with self._storage.transaction() as cur:
            cur.execute("INSERT INTO history(ts, role, source, text) VALUES (?,?,?,?)",
                        (time.time(), role, source, text))


def _speech_for(outcome: ToolOutcome) -> str:
    if outcome.status == "ok":
        return (outcome.result or {}).get("speech") or "Done."
    if outcome.status == "denied":
        return f"I'm not allowed to do that: {outcome.error}."
    if outcome.status == "timeout":
        return "Sorry, that took too long, so I stopped it."
    if outcome.code.startswith("tool.") or not outcome.error:
        return "Sorry, that didn't work."
    return outcome.error  # a tool's own coded error is written for the user
