"""Helpers for the built-in worker tests: a coroutine runner, the capability audit
hook collected for assertions, and a ToolContext with real capability checks."""

from __future__ import annotations

import asyncio

from assistant.tools.call import ToolCall
from assistant.tools.capabilities import Capabilities
from assistant.tools.registry import ToolContext


def run(coro):
    return asyncio.run(coro)


class Recorder:
    """The capability audit hook, collected for assertions."""

    def __init__(self):
        self.rows = []

    def __call__(self, scope, target, allowed, detail):
        self.rows.append((scope, target, allowed))


def ctx_for(tool, home, record=None, backends=None, source="voice", untrusted=False):
    call = ToolCall(tool.manifest.name, {}, source=source, untrusted=untrusted, call_id="c1")
    caps = Capabilities(tool.manifest.name, tool.manifest.permissions, record, home=home,
                        backends=backends)
    return ToolContext(call, caps)
