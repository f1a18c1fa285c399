"""`heron run`: the tray app when a display exists, otherwise the headless voice loop."""

from __future__ import annotations

import asyncio
import os
import sys

from assistant.desktop.instance import InstanceClient, InstanceLock, socket_path
from assistant.runner import NoTray, print_line, run_headless
from models.errors import CodedError


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

            try:
                return run_tray(ctx, use_mic=use_mic, exit_after_s=exit_after, as_json=as_json)
            except NoTray as err:  # a display without a tray host: voice still works
                print(f"heron: {err.message}, so Heron runs headless instead; {err.hint}.",
                      file=sys.stderr, flush=True)
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
        print_line({"type": "AlreadyRunning", "shown": shown})
    else:
        print("Heron is already running" + ("; its window is open." if shown else
              " (headless). Use `heron ask`, or `heron --toggle` to talk."), file=sys.stderr)
    return 0
