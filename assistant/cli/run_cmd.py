"""`heron run`: the tray app when a display exists, otherwise the headless voice loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

from assistant.desktop.instance import InstanceClient, InstanceLock, socket_path
from assistant.events import Event, StageError
from assistant.service import HeronService
from models.errors import CodedError

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
    lock = InstanceLock(ctx.paths.data_dir)
    if not lock.acquire():
        return _already_running(ctx, as_json)
    try:
        if not args.headless and has_display():
            from gui.app import run_tray  # the only place the CLI touches Qt

            return run_tray(ctx, use_mic=use_mic, exit_after_s=exit_after, as_json=as_json)
        return run_headless(ctx, use_mic, exit_after, as_json)
    finally:
        lock.release()


def _already_running(ctx, as_json: bool) -> int:
    """A second `heron run`: bring the running one's window up instead."""
    client = InstanceClient(socket_path(ctx.paths.data_dir))
    try:
        reply = asyncio.run(client.call({"cmd": "show"}, timeout_s=10))
    except CodedError as err:  # it holds the lock but does not answer (still starting)
        raise CodedError("instance.busy", f"Heron is already running but does not answer "
                         f"({err.message})", "wait a few seconds and try again") from err
    shown = bool(reply.get("ok"))
    if as_json:
        _print_line({"type": "AlreadyRunning", "shown": shown})
    else:
        print("Heron is already running" + ("; its window is open." if shown else
              " (headless). Use `heron ask`, or `heron --toggle` to talk."), file=sys.stderr)
    return 0


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
        launched = since_launch_ms()
        if launched is not None:  # from the process's start, not from run's
            startup_ms = {**startup_ms, "ready_since_launch": launched}
        if self.as_json:
            _print_line({"type": "Ready", "startup_ms": startup_ms})
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


def _print_line(data: dict) -> None:
    print(json.dumps(data, default=str), flush=True)


def run_headless(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
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
