"""The tool registry: the only way a tool runs. Every call is validated against the
manifest, decided by the permission policy, audited, and given its timeout."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

import jsonschema

from assistant.bus import EventBus
from assistant.events import ToolCallFinished, ToolCallStarted
from assistant.tools.audit import AuditLog
from assistant.tools.capabilities import Capabilities
from assistant.tools.manifest import ToolManifest
from assistant.tools.policy import Decision, PermissionPolicy, PermissionPrompter, ToolCall
from models.errors import CodedError

log = logging.getLogger(__name__)


class ToolError(CodedError):
    """A tool failed in a way it can explain (e.g. timer.not_found)."""


@dataclass(frozen=True)
class ToolContext:
    """What a worker gets with each call: the call itself and capability objects for
    exactly the scopes its manifest asked for and the user granted."""

    call: ToolCall
    caps: Capabilities


class Tool(Protocol):
    manifest: ToolManifest

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        """Do the work; the result may carry "speech": the sentence to say."""


@dataclass(frozen=True)
class ToolOutcome:
    call_id: str
    tool: str
    args: dict[str, Any]
    status: str  # ok | denied | invalid | error | timeout | unknown
    result: dict[str, Any] | None = None
    error: str = ""
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": self.args, "status": self.status,
                "result": self.result, "error": self.error, "code": self.code}


class ToolRegistry:
    def __init__(self, bus: EventBus, audit: AuditLog, policy: PermissionPolicy | None = None,
                 prompter: PermissionPrompter | None = None,
                 backends: dict[str, Any] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        self._bus = bus
        self._audit = audit
        self.policy = policy or PermissionPolicy()
        self.prompter = prompter
        self.backends = backends or {}  # desktop backends by scope (clipboard.read, …)

    def register(self, tool: Tool) -> None:
        name = tool.manifest.name
        if name in self._tools:
            raise ValueError(f"a tool named {name!r} is already registered")
        self._tools[name] = tool

    def manifests(self) -> list[ToolManifest]:
        return [t.manifest for t in self._tools.values()]

    def get(self, name: str) -> ToolManifest | None:
        tool = self._tools.get(name)
        return tool.manifest if tool else None

    async def call(self, call: ToolCall) -> ToolOutcome:
        call = replace(call, call_id=call.call_id or uuid.uuid4().hex[:12])
        tool = self._tools.get(call.tool)
        if tool is None:
            return self._finish(call, "unknown", error=f"no tool named {call.tool!r}",
                                code="tool.unknown")
        m = tool.manifest
        try:
            jsonschema.validate(call.args, m.input_schema)
        except jsonschema.ValidationError as err:
            return self._finish(call, "invalid", error=err.message, code="tool.invalid_args")
        decision, reason = await self.policy.resolve(m, call, self.prompter)
        self._audit.append("decision", {"call_id": call.call_id, "tool": m.name,
                                        "decision": decision.value, "reason": reason,
                                        "source": call.source})
        if decision is not Decision.ALLOW:
            return self._finish(call, "denied", error=reason, code="tool.denied")
        self._bus.publish(ToolCallStarted(call_id=call.call_id, tool=m.name, args=call.args,
                                          source=call.source))
        try:
            ctx = ToolContext(call, self.capabilities(m, call))
            result = await asyncio.wait_for(tool.run(dict(call.args), ctx), m.timeout_s)
        except TimeoutError:
            return self._finish(call, "timeout", error=f"{m.name} took longer than "
                                f"{m.timeout_s:g} s", code="tool.timeout")
        except CodedError as err:
            return self._finish(call, "error", error=err.message, code=err.code)
        except Exception as err:
            log.exception("tool %s failed", m.name)
            return self._finish(call, "error", error=str(err), code="tool.failed")
        return self._finish(call, "ok", result=result)

    def capabilities(self, m: ToolManifest, call: ToolCall) -> Capabilities:
        def record(scope: str, target: str, allowed: bool, detail: str) -> None:
            self._audit.append("capability", {"call_id": call.call_id, "tool": m.name,
                                              "scope": scope, "target": target,
                                              "allowed": allowed, "detail": detail})
        return Capabilities(m.name, m.permissions, record, backends=self.backends)

    def _finish(self, call: ToolCall, status: str, result: dict | None = None,
                error: str = "", code: str = "") -> ToolOutcome:
        outcome = ToolOutcome(call.call_id, call.tool, call.args, status, result, error, code)
        self._audit.append("call", {"call_id": call.call_id, "tool": call.tool,
                                    "args": call.args, "status": status, "code": code,
                                    "source": call.source})
        self._bus.publish(ToolCallFinished(call_id=call.call_id, tool=call.tool, status=status,
                                           result=result, error=error))
        return outcome
