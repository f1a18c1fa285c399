"""`heron run`: the tray app when a display exists, otherwise the headless voice loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

from assistant.events import Event, StageError
from assistant.service import HeronService

NO_MIC_HELP = """No microphone found: Heron cannot hear you ({detail}).
Timers still run. Meanwhile you can:
  heron ask "what time is it"
  heron listen recording.wav      (a spoken command in a file)"""


def register(sub) -> None:
    p = sub.add_parser("run", help="start Heron (tray app, or headless voice loop)")
    p.add_argument("--headless", action="store_true", help="no tray, even with a display")
    p.add_argument("--no-mic", action="store_true", help="do not open the microphone")
    p.add_argument("--exit-after", type=float, metavar="SECONDS",
                   help="stop after this many seconds (tests, benchmarks)")
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.set_defaults(handler=handle)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def handle(args, ctx) -> int:
    use_mic, exit_after, as_json = not args.no_mic, args.exit_after, args.json
    if not args.headless and has_display():
        from gui.app import run_tray  # the only place the CLI touches Qt

        return run_tray(ctx, use_mic=use_mic, exit_after_s=exit_after, as_json=as_json)
    return run_headless(ctx, use_mic, exit_after, as_json)


class EventPrinter:
    """What `heron run` prints on the terminal, headless or with the tray."""

    def __init__(self, as_json: bool, where: str) -> None:
        self.as_json = as_json
        self.where = where

    def on_event(self, event: Event) -> None:
        if self.as_json:
            _print_line(event.to_dict())
        elif isinstance(event, StageError) and event.stage == "audio_in":
            print(NO_MIC_HELP.format(detail=event.message), file=sys.stderr, flush=True)
        elif isinstance(event, StageError):
            print(f"heron: {event.message} [{event.code}]", file=sys.stderr, flush=True)

    def on_ready(self, startup_ms: dict[str, float]) -> None:
        if self.as_json:
            _print_line({"type": "Ready", "startup_ms": startup_ms})
        else:
            print(f"Heron is running {self.where}. Press Ctrl+C to stop.", file=sys.stderr,
                  flush=True)


def _print_line(data: dict) -> None:
    print(json.dumps(data, default=str), flush=True)


def run_headless(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
    return asyncio.run(_headless(ctx, use_mic, exit_after_s, as_json))


async def _headless(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
    service = HeronService(ctx.paths, ctx.config, ctx.store, use_mic=use_mic)
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
