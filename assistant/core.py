"""The headless core: storage, audit, bus, tool registry with the built-ins, timers and
the agent, built once by `build_core`. Every surface (CLI, voice, tray, later phone/MCP)
uses one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.agent.agent import Agent
from assistant.agent.embeddings import TextEmbedder
from assistant.agent.llm import ChatModel
from assistant.agent.llm_turn import LlmTurn, create_llm
from assistant.agent.understanding import slot_sources
from assistant.audit import AuditLog
from assistant.audit.anchor import marker_path
from assistant.builtins.list_store import ListStore
from assistant.builtins.notes import NoteStore
from assistant.builtins.registration import desktop_backends, register_builtins
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.bus import EventBus
from assistant.companion.outbox import Outbox
from assistant.config import HeronConfig
from assistant.memory import Memory
from assistant.paths import HeronPaths
from assistant.permissions.approvals import ApprovalStore
from assistant.permissions.policy import PermissionPolicy, PermissionPrompter
from assistant.permissions.prompters import FanOutPrompter
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.timer_store import TimerStore
from assistant.secrets import SecretStore
from assistant.storage import Storage
from assistant.tools.registry import ToolRegistry
from assistant.tools.sensors import SensorGate
from assistant.workers.discovery import WorkerWatcher
from models.errors import CodedError
from models.store import ModelStore

if TYPE_CHECKING:
    from assistant.mcp.client import McpConnections


# Not frozen: applying new settings live swaps `config` and `llm` (assistant/live_config.py).
@dataclass(eq=False)
class Core:
    """The parts of one Heron, each made once (one model store, one memory)."""

    paths: HeronPaths
    config: HeronConfig
    bus: EventBus
    storage: Storage
    secrets: SecretStore
    audit: AuditLog
    memory: Memory
    store: ModelStore
    approvals: ApprovalStore
    sensors: SensorGate  # camera/screen pause and in-use indicator
    prompter: PermissionPrompter
    registry: ToolRegistry
    timers: TimerStore
    reminders: ReminderStore
    notes: NoteStore
    outbox: Outbox
    lists: ListStore
    ocr: ScreenOcr  # one OCR model per process, loaded on first use
    workers: WorkerWatcher
    llm: ChatModel | None  # None when [llm] is off
    agent: Agent
    mcp: McpConnections | None = None  # the external MCP servers, once connected

    async def warm_up(self) -> None:
        """Load the router's sentence embedder and embed the tools' example phrases now,
        not on the first reworded command (off the event loop)."""
        await asyncio.to_thread(self.agent.router.warm_up)

    async def start_workers(self) -> list[str]:
        """Load third-party workers (each in its sandbox) and watch for changes; the
        problems of the ones rejected, as `file:line: message` lines."""
        report = await self.workers.scan()
        self.workers.start()
        return [str(p) for p in report.problems]

    async def connect_mcp(self) -> list[CodedError]:
        """Start or reach the external MCP servers of [mcp.servers] and register their
        tools; what could not be used, coded (those servers are left out)."""
        if not self.config.mcp.servers or self.mcp is not None:
            return []
        from assistant.mcp.client import connect_servers  # the SDK loads only when used

        async def token(name: str) -> str | None:  # a keyring may block
            return await asyncio.to_thread(self.secrets.get, name)

        self.mcp = await connect_servers(self.config.mcp, self.registry, secrets=token)
        return list(self.mcp.errors)

    async def aclose(self) -> None:
        if self.mcp is not None:
            await self.mcp.aclose()
        await self.workers.stop()
        await self.registry.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        await asyncio.to_thread(self.audit.close)  # may wait on the keyring
        self.close()

    def close(self) -> None:
        self.audit.close()
        self.storage.close()


def build_core(paths: HeronPaths, config: HeronConfig, bus: EventBus | None = None,
               prompter: PermissionPrompter | None = None,
               store: ModelStore | None = None) -> Core:
    """Opens the database and builds every part over it; `store`: the model store the
    voice stack already uses, so one Heron has one."""
    paths.ensure()
    bus = bus or EventBus()
    storage = Storage(paths.db_file)
    secrets = SecretStore(paths.data_dir)
    audit = AuditLog.open(storage, secrets, anchor_path=marker_path(paths))
    memory = Memory(storage)
    store = store or ModelStore(paths.models_dir)
    approvals = ApprovalStore(storage)
    perms = config.permissions
    sensors = SensorGate(bus)
    # Surfaces (terminal, voice, tray, phone, MCP) attach to the fan-out; none → deny.
    prompter = prompter or FanOutPrompter([], timeout_s=perms.approval_timeout_s)
    registry = ToolRegistry(bus, audit, PermissionPolicy(approvals, perms.denied_tools),
                            prompter, backends=desktop_backends(config.vision, sensors))
    timers, reminders = TimerStore(storage), ReminderStore(storage)
    notes, outbox, lists = NoteStore(storage), Outbox(storage), ListStore(storage)
    ocr = ScreenOcr(config.vision, store)
    # explain_error asks for the chat model when it runs, not now: a live [llm] change
    # replaces `core.llm` (`core` is bound below, before any tool can run)
    core: Core
    register_builtins(registry, config, timers=timers, reminders=reminders, notes=notes,
                      outbox=outbox, lists=lists, ocr=ocr, explainer=lambda: core.llm,
                      secrets=secrets, screen_dir=paths.cache_dir / "screen")
    llm = create_llm(config.llm, paths.data_dir, store)
    llm_turn = (LlmTurn(llm, registry, config.llm.max_tool_rounds, config.llm.history_turns)
                if llm is not None else None)
    # Names the intent templates may refer to: list names, timer labels, the weather
    # place the user set.
    sources = replace(slot_sources(storage), weather_locations=lambda: (
        [config.weather.location] if config.weather.location else []))
    agent = Agent(registry, bus, storage, embedder=TextEmbedder(store), llm=llm_turn,
                  language=config.asr.language, sources=sources, memory=memory)
    core = Core(paths=paths, config=config, bus=bus, storage=storage, secrets=secrets,
                audit=audit, memory=memory, store=store, approvals=approvals,
                sensors=sensors, prompter=prompter, registry=registry, timers=timers,
                reminders=reminders, notes=notes, outbox=outbox, lists=lists, ocr=ocr,
                workers=WorkerWatcher(registry, paths.workers_dir), llm=llm, agent=agent)
    return core
