"""`heron wyoming`: serve speech recognition, speech synthesis, the wake word and the
agent over the Wyoming protocol (Home Assistant, satellites); assistant/wyoming/."""

from __future__ import annotations

import asyncio
import sys

from assistant.core import build_core
from assistant.permissions.prompters import FanOutPrompter
from assistant.voice.stack import VoiceStack
from assistant.wyoming.address import DEFAULT_URI, ServeOptions


def register(sub) -> None:
    p = sub.add_parser(
        "wyoming", help="serve ASR, TTS, wake word and the agent over Wyoming",
        description="Serve Heron's speech recognition, speech synthesis, wake words "
                    "(enrolled ones included) and its agent over the Wyoming protocol, "
                    "for Home Assistant and voice satellites. Tool calls go through the "
                    "same permissions and audit log; one that needs your approval is "
                    "denied (a Wyoming client cannot ask you) and the reply says why.")
    p.add_argument("--uri", default=DEFAULT_URI, metavar="URI",
                   help=f"tcp://HOST:PORT or unix://PATH (default {DEFAULT_URI}: this "
                        "machine only; tcp://0.0.0.0:10700 opens it to the LAN)")
    p.add_argument("--zeroconf", nargs="?", const="", default=None, metavar="NAME",
                   help="announce the server as _wyoming._tcp so Home Assistant finds it "
                        "(default name heron-HOSTNAME); needs a --uri on the LAN")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    options = ServeOptions.parse(args.uri, args.zeroconf)  # before anything loads
    from assistant.wyoming.server import serve  # the wyoming package loads only here

    # No surface can ask the user: a call that needs approval is denied with a reason.
    prompter = FanOutPrompter([], timeout_s=ctx.config.permissions.approval_timeout_s)
    core = build_core(ctx.paths, ctx.config, prompter=prompter, store=ctx.store)
    stack = VoiceStack(ctx.config, ctx.store, ctx.paths.wake_dir)
    asyncio.run(serve(core, stack, options,
                      on_ready=lambda line: print(line, file=sys.stderr, flush=True)))
    return 0
