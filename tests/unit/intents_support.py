"""An agent over a registry of its own for the intents tests: the real timer and clock
tools, and small recording tools named per the issue-14 contract for the tools other
parts provide (lists, media, volume, weather, broadcast)."""

from __future__ import annotations

import asyncio
from typing import Any

from assistant.agent.agent import Agent
from assistant.audit.log import AuditLog
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.bus import EventBus
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolRegistry

_STR = {"type": "string"}
_INT = {"type": "integer"}
# name → (properties, required, effects, result beyond "speech")
CONTRACT_TOOLS: dict[str, tuple[dict, tuple[str, ...], str, dict]] = {
    "pause_timer": ({"label": _STR}, (), "write", {}),
    "resume_timer": ({"label": _STR}, (), "write", {}),
    "change_timer": ({"seconds": _INT, "label": _STR}, ("seconds",), "write", {}),
    "set_reminder": ({"text": _STR, "seconds": _INT}, ("text",), "write", {}),
    "add_to_list": ({"item": _STR, "list": _STR}, ("item",), "write", {}),
    "complete_list_item": ({"item": _STR, "list": _STR}, ("item",), "write", {}),
    "remove_from_list": ({"item": _STR, "list": _STR}, ("item",), "write", {}),
    "media_pause": ({}, (), "write", {}),
    "media_resume": ({}, (), "write", {}),
    "media_next": ({}, (), "write", {}),
    "media_previous": ({}, (), "write", {}),
    "media_play": ({"query": _STR}, ("query",), "write", {"title": "Blue in Green"}),
    "set_volume": ({"percent": _INT}, ("percent",), "write", {}),
    "change_volume": ({"percent": _INT}, ("percent",), "write", {}),
    "mute_audio": ({}, (), "write", {}),
    "unmute_audio": ({}, (), "write", {}),
    "get_weather": ({"location": _STR, "day_offset": _INT}, (), "read",
                    {"temperature": 18, "temperature_unit": "°C", "condition": "sunny"}),
    "broadcast": ({"message": _STR}, ("message",), "write", {}),
}


class Recorder:
    """A contract-named tool that records its calls and answers in English."""

    def __init__(self, name: str, calls: list) -> None:
        props, required, effects, extra = CONTRACT_TOOLS[name]
        self.manifest = ToolManifest(
            name=name, title=name.replace("_", " "), description=f"test {name}",
            builtin=True, effects=effects,
            input_schema={"type": "object", "properties": props, "required": list(required)})
        self._calls, self._extra = calls, extra

    async def run(self, args: dict[str, Any], ctx) -> dict[str, Any]:
        self._calls.append((self.manifest.name, dict(args)))
        return {**self._extra, "speech": f"Test {self.manifest.name} done."}


class IntentsRig:
    def __init__(self, tmp_path, language: str | None = None) -> None:
        self.storage = Storage(tmp_path / "heron.db")
        self.bus = EventBus()
        self.audit = AuditLog(self.storage, b"k" * 32)
        self.registry = ToolRegistry(self.bus, self.audit)
        self.timers = TimerStore(self.storage)
        self.calls: list[tuple[str, dict]] = []
        for tool in (GetTime(), GetDate(), SetTimer(self.timers), ListTimers(self.timers),
                     CancelTimer(self.timers)):
            self.registry.register(tool)
        for name in CONTRACT_TOOLS:
            if self.registry.get(name) is None:
                self.registry.register(Recorder(name, self.calls))
        self.agent = Agent(self.registry, self.bus, self.storage, language=language)

    def ask(self, text: str, language: str | None = None):
        return asyncio.run(self.agent.handle(text, source="cli", language=language))

    def close(self) -> None:
        self.storage.close()
