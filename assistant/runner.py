"""`heron run` without a tray, and what the tray shares with it: the headless voice
loop, the lines printed for its events, the clock since the process started, and
NoTray (the desktop has no tray, so the caller runs headless). Qt-free, so the CLI
and gui/ both import it and neither imports the other."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

from assistant.events import Event, Stage, StageError
from assistant.service import HeronService
from models.errors import CodedError

NO_MIC_HELP = """No microphone found: Heron cannot hear you ({detail}).
Timers still run. Meanwhile you can:
  heron ask "what time is it"
  heron listen recording.wav      (a spoken command in a file)"""


class NoTray(CodedError):
    """The display has no system tray host, so the tray app cannot show its icon."""

    def __init__(self) -> None:
        super().__init__("gui.no_tray", "this desktop has no system tray (no tray host is "
                         "running)", "use `heron run --headless` to skip this check")


class EventPrinter:
    """What `heron run` prints on the terminal, headless or with the tray."""

    def __init__(self, as_json: bool, where: str) -> None:
        self.as_json = as_json
        self.where = where

    def on_event(self, event: Event) -> None:
        if self.as_json:
            print_line(event.to_dict())
        elif isinstance(event, StageError) and event.stage == Stage.AUDIO_IN:
            print(NO_MIC_HELP.format(detail=event.message), file=sys.stderr, flush=True)
        elif isinstance(event, StageError):
            print(f"heron: {event.message} [{event.code}]", file=sys.stderr, flush=True)

    def on_ready(self, startup_ms: dict[str, float]) -> None:
        launched = since_launch_ms()
        if launched is not None:  # from the process's start, not from run's
            startup_ms = {**startup_ms, "ready_since_launch": launched}
        if self.as_json:
            print_line({"type": "Ready", "startup_ms": startup_ms})
        else:
            print(f"Heron is running {self.where}. Press Ctrl+C to stop.", file=sys.stderr,
                  flush=True)


def since_launch_ms() -> float | None:
    """Milliseconds since this process was started (the interpreter's own start-up and
    imports included), from /proc; None where there is no /proc."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime_s = float(f.read().split()[0])
        started_s = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, ValueError, IndexError):
        return None
    return round(max(0.0, uptime_s - started_s) * 1000, 1)


def print_line(data: dict) -> None:
    """One JSON line on stdout (`heron run --json`), flushed for the reader."""
    print(json.dumps(data, default=str), flush=True)


def run_headless(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
    """The voice loop without a tray until Ctrl+C, SIGTERM or `exit_after_s`."""
    return asyncio.run(_headless(ctx, use_mic, exit_after_s, as_json))


async def _headless(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
    service = HeronService(ctx.paths, ctx.config, ctx.store, use_mic=use_mic,
                           serve_commands=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if exit_after_s is not None:
        loop.call_later(exit_after_s, stop.set)
    printer = EventPrinter(as_json, "headless")
    service.bus.subscribe(printer.on_event)
    await service.run(stop, on_ready=lambda: printer.on_ready(service.startup_ms))
    return 0
