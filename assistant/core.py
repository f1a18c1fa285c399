"""Builds the headless core: storage, audit, bus, tool registry with the built-ins,
timers and the agent. Every surface (CLI, voice, tray, later phone/MCP) uses one."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from assistant.agent.agent import Agent
from assistant.agent.embeddings import TextEmbedder
from assistant.agent.llm_turn import LlmTurn, create_llm
from assistant.agent.understanding import (
    slot_sources,
)
from assistant.audit import AuditLog
from assistant.audit.anchor import marker_path
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.calculate import Calculate
from assistant.builtins.camera import (
    CameraSnapshot,
    OpenCvCameraBackend,
    ScanQr,
    WhoIsThere,
)
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.convert import Convert
from assistant.builtins.desktop import AppLauncher, SystemClipboard
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.list_store import ListStore
from assistant.builtins.lists import list_tools
from assistant.builtins.media import media_tools
from assistant.builtins.mpris import MprisClient
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import ClickOnScreen, DescribeScreen, FindOnScreen, ReadScreen
from assistant.builtins.screen_backends import X11Screen, XdotoolInput
from assistant.builtins.screen_help import ExplainError
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.builtins.timers import (
    CancelTimer,
    ChangeTimer,
    ListTimers,
    PauseTimer,
    ResumeTimer,
    SetTimer,
)
from assistant.builtins.volume import PulseVolume, volume_tools
from assistant.builtins.weather import GetWeather
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
from assistant.tools.backends import DesktopBackends
from assistant.tools.registry import ToolRegistry
from assistant.tools.sensors import SensorGate
from assistant.workers.discovery import WorkerWatcher
from models.store import ModelStore
from vision.options import VisionOptions


def desktop_backends(vision: VisionOptions, sensors: SensorGate) -> DesktopBackends:
    """This machine's backends for the tools. Building them opens nothing: each finds
    its program, display or bus when a call first needs it."""
    return DesktopBackends(
        clipboard=SystemClipboard(), apps=AppLauncher(), screen=X11Screen(vision),
        input=XdotoolInput(vision), camera=OpenCvCameraBackend(vision), media=MprisClient(),
        volume=PulseVolume(), sensors=sensors)


class Core:
    def __init__(self, paths: HeronPaths, config: HeronConfig, bus: EventBus | None = None,
                 prompter: PermissionPrompter | None = None,
                 store: ModelStore | None = None) -> None:
        paths.ensure()
        self.paths = paths
        self.config = config
        self.bus = bus or EventBus()
        self.storage = Storage(paths.db_file)
        self.secrets = SecretStore(paths.data_dir)
        self.audit = AuditLog.open(self.storage, self.secrets, anchor_path=marker_path(paths))
        self.memory = Memory(self.storage)
        # the one model store of this Heron (the voice stack is given it too)
        self.store = store or ModelStore(paths.models_dir)
        self.approvals = ApprovalStore(self.storage)
        perms = config.permissions
        self.sensors = SensorGate(self.bus)  # camera/screen pause and in-use indicator
        # Surfaces (terminal, voice, tray, phone, MCP) attach to the fan-out; none → deny.
        self.prompter = prompter or FanOutPrompter([], timeout_s=perms.approval_timeout_s)
        self.registry = ToolRegistry(
            self.bus, self.audit, PermissionPolicy(self.approvals, perms.denied_tools),
            self.prompter, backends=desktop_backends(config.vision, self.sensors))
        self.timers = TimerStore(self.storage)
        self.reminders = ReminderStore(self.storage)
        self.notes = NoteStore(self.storage)
        self.outbox = Outbox(self.storage)
        self.lists = ListStore(self.storage)
        for tool in (GetTime(), GetDate(), SetTimer(self.timers), ListTimers(self.timers),
                     CancelTimer(self.timers), PauseTimer(self.timers),
                     ResumeTimer(self.timers), ChangeTimer(self.timers),
                     SetReminder(self.reminders), OpenApp(), OpenUrl(),
                     FindFiles(config.files), ReadFile(config.files), TakeNote(self.notes),
                     ListNotes(self.notes), ClipboardRead(), ClipboardWrite(),
                     NotifyPhone(self.outbox), Broadcast(self.outbox), Calculate(), Convert(),
                     GetWeather(config.weather), *list_tools(self.lists),
                     *media_tools(config.media), *volume_tools()):
            self.registry.register(tool)
        # Screen and camera: one OCR model per process, loaded on first use.
        self.ocr = ScreenOcr(config.vision, self.store)
        for tool in (ReadScreen(self.ocr), DescribeScreen(self.ocr), FindOnScreen(self.ocr),
                     ClickOnScreen(self.ocr),
                     ExplainError(self.ocr, explainer=lambda: self.llm),
                     CameraSnapshot(), ScanQr(self.ocr), WhoIsThere()):
            self.registry.register(tool)
        self.workers = WorkerWatcher(self.registry, paths.workers_dir)
        self.llm = create_llm(config.llm, paths.data_dir, self.store)  # None when off
        llm_turn = (LlmTurn(self.llm, self.registry, config.llm.max_tool_rounds,
                            config.llm.history_turns) if self.llm is not None else None)
        # Names the intent templates may refer to: list names, timer labels, the
        # weather place the user set.
        sources = replace(slot_sources(self.storage), weather_locations=lambda: (
            [config.weather.location] if config.weather.location else []))
        self.agent = Agent(self.registry, self.bus, self.storage,
                           embedder=TextEmbedder(self.store), llm=llm_turn,
                           language=config.asr.language, sources=sources,
                           memory=self.memory)

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

    async def aclose(self) -> None:
        await self.workers.stop()
        await self.registry.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        await asyncio.to_thread(self.audit.close)  # may wait on the keyring
        self.close()

    def close(self) -> None:
        self.audit.close()
        self.storage.close()
