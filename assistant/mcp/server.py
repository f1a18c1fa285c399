"""`heron mcp`: the tool registry served to MCP clients over stdio (official `mcp` SDK,
low-level server).

Every tools/call goes through `ToolRegistry.call` with source "mcp", so the same
validation, policy, approval prompts and audit apply as for voice or text. A call
that needs approval is put to the user through the MCP client (form elicitation)
when the client supports it; otherwise it is denied with a reason saying how to
allow it. Over MCP every call that changes something or reads what can leak (the
clipboard, the screen) needs approval, unless the user ran `heron workers allow TOOL
--mcp` (the policy's rule 5); the question shows the exact action and, in plain words,
the scopes a yes grants. Only the protocol goes to stdout (the SDK diverts fd 1 while
serving).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from assistant import __version__
from assistant.events import CallSource, CallStatus
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import grant_lines
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolOutcome, ToolRegistry

log = logging.getLogger(__name__)

APPROVAL_TIMEOUT_S = 120.0
NO_ELICITATION = "this MCP client cannot show approval prompts (it does not support elicitation)"
# No "Yes, always" over MCP: the program asking is the one whose call needs approval,
# and a lasting grant would also cover voice and text. Lasting grants are given at the
# terminal or in the tray; refusing for good is always possible.
_LABELS = {Answer.ONCE: "Yes, this once", Answer.SESSION: "Yes, for this session",
           Answer.DENY: "No", Answer.ALWAYS_DENY: "No, and never ask again"}


def mcp_tool(m: ToolManifest) -> types.Tool:
    """The MCP tools/list entry for a manifest (hints from its effects and scopes)."""
    return types.Tool.model_validate(m.mcp_tool())


@dataclass
class _Request:
    """The MCP request a registry call is serving, and why no prompt was shown."""

    ctx: ServerRequestContext[Any, Any]
    unasked: str = ""


_current: ContextVar[_Request | None] = ContextVar("heron_mcp_request", default=None)


def _why_not_elicit(req: _Request) -> str:
    """Why this request's client cannot be asked (empty when it can)."""
    session = req.ctx.session
    caps = session.client_capabilities
    elicit = caps.elicitation if caps is not None else None
    # An empty elicitation capability means form mode (clients from before URL mode).
    if elicit is None or (elicit.form is None and elicit.url is not None):
        return NO_ELICITATION
    if not session.can_send_request:
        # 2026-07-28 connections ask through InputRequiredResult, not served here yet.
        return (f"this MCP connection (protocol {session.protocol_version}) cannot carry "
                "approval prompts; connect with the initialize handshake to be asked")
    return ""


class McpPrompter:
    """A permission surface: the MCP client that made the call asks its user (form
    elicitation). Available only while serving a call from a client that can."""

    def __init__(self, timeout_s: float = APPROVAL_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    def available(self) -> bool:
        req = _current.get()
        if req is None:
            return False
        req.unasked = _why_not_elicit(req)
        return not req.unasked

    async def ask(self, request: PermissionRequest) -> Answer:
        req = _current.get()
        if req is None or not self.available():
            return Answer.UNAVAILABLE
        choices = [a for a in request.offered if a in _LABELS] or [Answer.ONCE, Answer.DENY]
        schema = {"type": "object", "required": ["answer"], "properties": {"answer": {
            "type": "string", "title": "Allow it?",
            "oneOf": [{"const": a.value, "title": _LABELS[a]} for a in choices]}}}
        message = "\n".join([f"Heron needs your approval: {request.reason}.",
                             request.action, *grant_lines(request)])
        result = None
        with anyio.move_on_after(self.timeout_s):
            try:
                result = await req.ctx.session.elicit_form(
                    message, schema, related_request_id=req.ctx.request_id)
            except (MCPError, ValueError) as err:
                log.warning("approval prompt through the MCP client failed: %s", err)
                req.unasked = f"the MCP client could not ask you ({err})"
                return Answer.UNAVAILABLE
        if result is None:
            return Answer.TIMED_OUT
        if result.action != "accept":  # declined or dismissed
            return Answer.DENY
        picked = (result.content or {}).get("answer")
        return Answer(picked) if picked in {a.value for a in choices} else Answer.DENY


class HeronMcpServer:
    """The registry's workers as MCP tools."""

    def __init__(self, registry: ToolRegistry) -> None:
        self.registry = registry
        self.server: Server[Any] = Server(
            "heron", version=__version__, title="Heron",
            instructions="Heron's workers. Calls follow your Heron permissions (some ask "
                         "you first) and are written to Heron's audit log.",
            on_list_tools=self._list_tools, on_call_tool=self._call_tool)

    async def _list_tools(self, ctx: ServerRequestContext[Any, Any],
                          params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[mcp_tool(m) for m in self.registry.manifests()])

    async def _call_tool(self, ctx: ServerRequestContext[Any, Any],
                         params: types.CallToolRequestParams) -> types.CallToolResult:
        req = _Request(ctx)
        token = _current.set(req)
        try:
            outcome = await self.registry.call(
                ToolCall(params.name, dict(params.arguments or {}), source=CallSource.MCP))
        finally:
            _current.reset(token)
        return self._result(outcome, req)

    def _result(self, outcome: ToolOutcome, req: _Request) -> types.CallToolResult:
        if outcome.status != CallStatus.OK:
            text = f"{outcome.error} [{outcome.code}]"
            if outcome.status == CallStatus.DENIED and req.unasked:
                text += f"; {req.unasked}"
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        # No outputSchema is advertised, so any JSON object may go back as structured content.
        result = json.loads(json.dumps(outcome.result or {}, default=str))
        speech = result.get("speech")
        text = speech if isinstance(speech, str) and speech else json.dumps(result)
        return types.CallToolResult(content=[types.TextContent(text=text)],
                                    structured_content=result)

    async def serve_stdio(self) -> None:
        """Serve one client on this process's stdin/stdout until it disconnects."""
        async with stdio_server() as (read, write):
            await self.server.run(read, write, self.server.create_initialization_options())

