"""Builds the headless core: storage, audit, bus, tool registry with the built-ins,
timers and the agent. Every surface (CLI, voice, tray, later phone/MCP) uses one."""

from __future__ import annotations

from assistant.agent.agent import Agent
from assistant.bus import EventBus
from assistant.config import HeronConfig
from assistant.memory import Memory
from assistant.paths import HeronPaths
from assistant.secrets import SecretStore
from assistant.storage import Storage
from assistant.tools.audit import AuditLog
from assistant.tools.clock import GetDate, GetTime
from assistant.tools.policy import PermissionPrompter
from assistant.tools.registry import ToolRegistry
from assistant.tools.timers import CancelTimer, ListTimers, SetTimer, TimerStore


class Core:
    def __init__(self, paths: HeronPaths, config: HeronConfig, bus: EventBus | None = None,
                 prompter: PermissionPrompter | None = None) -> None:
        paths.ensure()
        self.paths = paths
        self.config = config
        self.bus = bus or EventBus()
        self.storage = Storage(paths.db_file)
        self.secrets = SecretStore(paths.data_dir)
        self.audit = AuditLog.open(self.storage, self.secrets)
        self.memory = Memory(self.storage)
        self.registry = ToolRegistry(self.bus, self.audit, prompter=prompter)
        self.timers = TimerStore(self.storage)
        for tool in (GetTime(), GetDate(), SetTimer(self.timers), ListTimers(self.timers),
                     CancelTimer(self.timers)):
            self.registry.register(tool)
        self.agent = Agent(self.registry, self.bus, self.storage)

    def close(self) -> None:
        self.storage.close()
