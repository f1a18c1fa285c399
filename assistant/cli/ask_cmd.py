"""`heron ask TEXT`: one text turn through the agent and its tools."""

from __future__ import annotations

import asyncio

from assistant.cli.output import print_json
from assistant.core import Core
from assistant.tools.prompters import FanOutPrompter, TerminalPrompter


def register(sub) -> None:
    p = sub.add_parser("ask", help="one text turn through the agent and tools")
    p.add_argument("text", nargs="+", help="what to ask, e.g. \"set a timer for 5 minutes\"")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    text = " ".join(args.text).strip()
    # A question that needs your approval is asked on this terminal (when it is one).
    prompter = FanOutPrompter([TerminalPrompter()],
                              timeout_s=ctx.config.permissions.approval_timeout_s)
    core = Core(ctx.paths, ctx.config, prompter=prompter)
    try:
        reply = asyncio.run(core.agent.handle(text, source="cli"))
    finally:
        core.close()
    if args.json:
        print_json({"request": text, "response": reply.text,
                    "tool_calls": [o.to_dict() for o in reply.tool_calls]})
    else:
        print(reply.text)
    return 0
