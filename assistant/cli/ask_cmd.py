"""`heron ask TEXT`: one text turn through the agent and its tools — in the running
Heron when there is one (its timers, its approval surfaces and this terminal), else
in this process."""

from __future__ import annotations

import asyncio

from assistant.cli.output import print_json
from assistant.core import build_core
from assistant.desktop.instance import (
    InstanceClient,
    InstanceLock,
    raise_for_error,
    socket_path,
)
from assistant.events import CallSource
from assistant.languages import LANGUAGE_CODE
from assistant.permissions.prompters import FanOutPrompter, TerminalPrompter
from models.errors import CodedError

STARTING_WAIT_S = 60.0  # a Heron that holds the lock may still be loading its models


class AskError(CodedError):
    exit_code = 2  # a usage error


def register(sub) -> None:
    p = sub.add_parser("ask", help="one text turn through the agent and tools")
    p.add_argument("text", nargs="+", help="what to ask, e.g. \"set a timer for 5 minutes\"")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--language", metavar="CODE", default=None,
                   help="the request's language, e.g. de, fr, es, ar (default: [asr] "
                        "language, else en)")
    p.add_argument("--local", action="store_true",
                   help="answer in this process even when Heron is running")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    text = " ".join(args.text).strip()
    language = _language(args.language)
    # A question that needs your approval is asked on this terminal (when it is one).
    terminal = TerminalPrompter()
    result = None if args.local else _in_running_heron(ctx, text, terminal, language)
    if result is None:
        result = _here(ctx, text, terminal, language)
    if args.json:
        print_json(result)
    else:
        print(result["response"])
    return 0


def _language(code: str | None) -> str | None:
    """The --language code, checked: one the intents package or whisper knows."""
    if code is None:
        return None
    code = code.strip()
    if not LANGUAGE_CODE.fullmatch(code):
        raise AskError("ask.language", f"'{code}' is not a language code",
                       "use a code such as en, de, fr, es or ar")
    return code


def _in_running_heron(ctx, text: str, terminal: TerminalPrompter,
                      language: str | None) -> dict | None:
    """The running Heron's answer, or None when no Heron is running."""
    probe = InstanceLock(ctx.paths.data_dir)
    if probe.acquire():  # nobody holds the lock: nothing is running
        probe.release()
        return None
    client = InstanceClient(socket_path(ctx.paths.data_dir))
    request = {"cmd": "ask", "text": text}
    if language:
        request["language"] = language
    reply = raise_for_error(asyncio.run(client.call(
        request, prompter=terminal, connect_wait_s=STARTING_WAIT_S)))
    out = {k: reply[k] for k in ("request", "response", "tool_calls")}
    out["understanding"] = reply.get("understanding")
    return out


def _here(ctx, text: str, terminal: TerminalPrompter, language: str | None) -> dict:
    prompter = FanOutPrompter([terminal], timeout_s=ctx.config.permissions.approval_timeout_s)
    core = build_core(ctx.paths, ctx.config, prompter=prompter)
    try:
        reply = asyncio.run(core.agent.handle(text, source=CallSource.CLI, language=language))
    finally:
        core.close()
    return {"request": text, "response": reply.text,
            "tool_calls": [o.to_dict() for o in reply.tool_calls],
            "understanding": reply.understanding}
