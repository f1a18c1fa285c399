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
    if not args.headless and has_display():
        from gui.app import run_tray  # the only place the CLI touches Qt

        return run_tray(ctx, use_mic=not args.no_mic, exit_after_s=args.exit_after,
                        as_json=args.json)
    return asyncio.run(_headless(ctx, args))


async def _headless(ctx, args) -> int:
    service = HeronService(ctx.paths, ctx.config, ctx.store, use_mic=not args.no_mic)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if args.exit_after is not None:
        loop.call_later(args.exit_after, stop.set)

    def show(event: Event) -> None:
        if args.json:
            print(json.dumps(event.to_dict(), default=str), flush=True)
        elif isinstance(event, StageError) and event.stage == "audio_in":
            print(NO_MIC_HELP.format(detail=event.message), file=sys.stderr, flush=True)
        elif isinstance(event, StageError):
            print(f"heron: {event.message} [{event.code}]", file=sys.stderr, flush=True)

    service.bus.subscribe(show)

    def ready() -> None:
        if args.json:
            print(json.dumps({"type": "Ready", "startup_ms": service.startup_ms}), flush=True)
        else:
            print("Heron is running headless. Press Ctrl+C to stop.", file=sys.stderr,
                  flush=True)

    await service.run(stop, on_ready=ready)
    return 0
