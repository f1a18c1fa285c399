"""`heron wyoming`: serve speech recognition, speech synthesis, the wake word and the
agent over the Wyoming protocol (Home Assistant, satellites); assistant/wyoming/."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace

from assistant.core import build_core
from assistant.desktop.instance import InstanceLock
from assistant.permissions.prompters import FanOutPrompter
from assistant.runner import run_headless
from assistant.voice.stack import VoiceStack
from assistant.wyoming.address import DEFAULT_URI, ServeOptions
from assistant.wyoming.errors import ServeError


def register(sub) -> None:
    p = sub.add_parser(
        "wyoming", help="serve ASR, TTS, wake word and the agent over Wyoming",
        description="Serve Heron's speech recognition, speech synthesis, wake words "
                    "(enrolled ones included) and its agent over the Wyoming protocol, "
                    "for Home Assistant and voice satellites. Tool calls go through the "
                    "same permissions and audit log; one that needs your approval is "
                    "denied (a Wyoming client cannot ask you) and the reply says why.")
    p.add_argument("--uri", metavar="URI",
                   help=f"tcp://HOST:PORT or unix://PATH (default {DEFAULT_URI}: this "
                        "machine only; tcp://0.0.0.0:10700 opens it to the LAN)")
    p.add_argument("--zeroconf", nargs="?", const="", default=None, metavar="NAME",
                   help="announce the server as _wyoming._tcp so Home Assistant finds it "
                        "(default name heron-HOSTNAME); needs a --uri on the LAN")
    sat = p.add_argument_group(
        "as a satellite", "--satellite: Heron runs with its microphone and speaker as a "
        "Home Assistant voice satellite (add it in Home Assistant's Wyoming integration "
        "at --uri). The turns of --wake-word are Home Assistant's while it is connected; "
        "Heron's other wake words, push-to-talk, the tray, the phone and the CLI stay "
        "Heron's own. The same as [satellite] enabled = true for `heron run`.")
    sat.add_argument("--satellite", action="store_true",
                     help="be Home Assistant's voice satellite instead of serving stages")
    sat.add_argument("--wake-word", action="append", metavar="NAME",
                     help="a wake word whose turns Home Assistant answers (repeatable; "
                          "default [satellite] wake_words, okay_nabu)")
    sat.add_argument("--name", help="how Home Assistant shows it (default heron-HOSTNAME)")
    sat.add_argument("--area", help="the area it is in, for Home Assistant")
    sat.add_argument("--no-mic", action="store_true", help=argparse.SUPPRESS)
    sat.add_argument("--exit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    sat.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    if args.satellite:
        return _satellite(args, ctx)
    loose = [flag for flag, given in (("--wake-word", args.wake_word), ("--name", args.name),
                                      ("--area", args.area), ("--json", args.json))
             if given]
    if loose:
        raise ServeError("wyoming.usage", f"{', '.join(loose)} only go with --satellite",
                         "add --satellite, or leave them out")
    options = ServeOptions.parse(args.uri or DEFAULT_URI, args.zeroconf)  # before loading
    from assistant.wyoming.server import serve  # the wyoming package loads only here

    # No surface can ask the user: a call that needs approval is denied with a reason.
    prompter = FanOutPrompter([], timeout_s=ctx.config.permissions.approval_timeout_s)
    core = build_core(ctx.paths, ctx.config, prompter=prompter, store=ctx.store)
    stack = VoiceStack(ctx.config, ctx.store, ctx.paths.wake_dir)
    asyncio.run(serve(core, stack, options,
                      on_ready=lambda line: print(line, file=sys.stderr, flush=True)))
    return 0


def _satellite(args, ctx) -> int:
    """`heron run --headless` with [satellite] enabled, the flags over the config."""
    base = ctx.config.satellite
    try:
        options = replace(base, enabled=True, uri=args.uri or base.uri,
                          zeroconf=args.zeroconf if args.zeroconf is not None
                          else base.zeroconf,
                          name=args.name if args.name is not None else base.name,
                          area=args.area if args.area is not None else base.area,
                          wake_words=tuple(args.wake_word or base.wake_words))
    except ValueError as err:  # no wake word for Home Assistant
        raise ServeError("wyoming.usage", str(err), "add --wake-word okay_nabu") from err
    ServeOptions.parse(options.uri, options.zeroconf)  # a bad address fails before loading
    lock = InstanceLock(ctx.paths.data_dir)
    if not lock.acquire():
        raise ServeError("wyoming.already_running", "Heron is already running, and it owns "
                         "the microphone and the speaker",
                         "make that one the satellite: set [satellite] enabled = true in "
                         "config.toml and restart it (or stop it first)")
    try:
        ctx.config = replace(ctx.config, satellite=options)
        return run_headless(ctx, not args.no_mic, args.exit_after, args.json)
    finally:
        lock.release()
