"""Heron's own tools put into a registry, and this machine's backends they act through."""

from __future__ import annotations

from pathlib import Path

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
from assistant.builtins.explain_error import CopyFixCommand, Explainer, ExplainError, FixMemory
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.home_control import HomeControl
from assistant.builtins.list_store import ListStore
from assistant.builtins.lists import list_tools
from assistant.builtins.media import media_tools
from assistant.builtins.mpris import MprisClient
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.read_aloud import ReadAloud
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import (
    ClickOnScreen,
    DescribeScreen,
    FindOnScreen,
    ListControls,
    ReadScreen,
)
from assistant.builtins.screen_backends import X11Screen, XdotoolInput
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.builtins.screen_shown import ShowScreenReading
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
from assistant.companion.outbox import Outbox
from assistant.config import HeronConfig
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.timer_store import TimerStore
from assistant.secrets import SecretStore
from assistant.tools.backends import DesktopBackends
from assistant.tools.registry import ToolRegistry
from assistant.tools.sensors import SensorGate
from vision.options import VisionOptions


def desktop_backends(vision: VisionOptions, sensors: SensorGate) -> DesktopBackends:
    """This machine's backends for the tools. Building them opens nothing: each finds
    its program, display or bus when a call first needs it."""
    return DesktopBackends(
        clipboard=SystemClipboard(), apps=AppLauncher(), screen=X11Screen(vision),
        input=XdotoolInput(vision), camera=OpenCvCameraBackend(vision), media=MprisClient(),
        volume=PulseVolume(), sensors=sensors)


def register_builtins(registry: ToolRegistry, config: HeronConfig, *, timers: TimerStore,
                      reminders: ReminderStore, notes: NoteStore, outbox: Outbox,
                      lists: ListStore, ocr: ScreenOcr, explainer: Explainer,
                      secrets: SecretStore, screen_dir: Path) -> None:
    """Registers every built-in tool over the core's stores; `explainer` gives
    explain_error the chat model of the moment (None when [llm] is off); home_control
    only when [home_assistant] url is set (its token is read from `secrets` per call);
    show_screen_reading keeps its picture in `screen_dir`."""
    for tool in (GetTime(), GetDate(), SetTimer(timers), ListTimers(timers),
                 CancelTimer(timers), PauseTimer(timers), ResumeTimer(timers),
                 ChangeTimer(timers), SetReminder(reminders), OpenApp(), OpenUrl(),
                 FindFiles(config.files), ReadFile(config.files), TakeNote(notes),
                 ListNotes(notes), ClipboardRead(), ClipboardWrite(), NotifyPhone(outbox),
                 Broadcast(outbox), Calculate(), Convert(), GetWeather(config.weather),
                 *list_tools(lists), *media_tools(config.media), *volume_tools()):
        registry.register(tool)
    # Screen and camera share the one OCR model of the process, loaded on first use;
    # "copy the command" copies the fix the last explanation offered.
    fixes = FixMemory()
    for tool in (ReadScreen(ocr), DescribeScreen(ocr), ListControls(ocr), FindOnScreen(ocr),
                 ClickOnScreen(ocr), ShowScreenReading(ocr, screen_dir), ReadAloud(ocr),
                 ExplainError(ocr, explainer=explainer, fixes=fixes), CopyFixCommand(fixes),
                 CameraSnapshot(), ScanQr(ocr), WhoIsThere()):
        registry.register(tool)
    ha = config.home_assistant
    if ha.enabled:
        registry.register(HomeControl(ha, token=lambda: secrets.get(ha.token_name)))
