"""The tool registry: the only way a tool runs. Every call is validated against the
manifest, decided by the permission policy, audited, and given its timeout."""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from assistant.audit import AuditLog
from assistant.bus import EventBus
from assistant.events import CallStatus, ToolCallFinished, ToolCallStarted
from assistant.permissions.policy import Decision, PermissionPolicy, PermissionPrompter
from assistant.permissions.schema_check import (
    ArgumentChecker,
    InvalidArguments,
    OversizedArguments,
)
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.capabilities import Capabilities, is_read_scope
from assistant.tools.manifest import ToolManifest
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


@runtime_checkable
class PreviewingTool(Protocol):
    """A tool that works out the exact action before the permission question, with only
    its read scopes (ToolRegistry._preview): `preview(args, ctx) -> (extra_args,
    origins)`."""

    async def preview(self, args: dict[str, Any], ctx: ToolContext
                      ) -> tuple[dict[str, Any], frozenset[str]]: ...


@runtime_checkable
class LifecycleTool(Protocol):
    """A tool with something to start and stop (a worker process, an MCP session):
    `add` starts it, `remove` and `aclose` stop it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ToolOutcome:
    call_id: str
    tool: str
    args: dict[str, Any]
    status: CallStatus
    result: dict[str, Any] | None = None
    error: str = ""
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": self.args, "status": self.status,
                "result": self.result, "error": self.error, "code": self.code}


class ToolSourceKind(StrEnum):
    BUILTIN = "builtin"
    PATH = "path"  # a worker's folder (in the workers dir, or checked by path)
    ENTRY_POINT = "entry point"  # a worker an installed package names
    MCP = "mcp"  # a tool of an MCP server


@dataclass(frozen=True)
class ToolSource:
    """Where a tool came from."""

    kind: ToolSourceKind
    detail: str = ""  # the worker directory, or "NAME = module:attr (distribution)"

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}" if self.detail else str(self.kind)


BUILTIN = ToolSource(ToolSourceKind.BUILTIN)


class ToolCollision(CodedError, ValueError):
    """Two tools want the same name; the one registered first keeps it."""

    exit_code = 2


@dataclass(frozen=True)
class ToolInfo:
    """One row of `heron workers list`."""

    manifest: ToolManifest
    source: ToolSource
    sandbox: str  # "subprocess" (third-party host) | "in process"

    def to_dict(self) -> dict[str, Any]:
        m = self.manifest
        return {"name": m.name, "version": m.version, "title": m.title,
                "source": self.source.kind, "source_detail": self.source.detail,
                "effects": m.effects, "confirm": m.confirm,
                "permissions": list(m.permissions), "sandbox": self.sandbox}


def sandbox_of(tool: object) -> str:
    """How a registered tool runs. Only the sandbox host's own class counts as
    sandboxed: a claim made by the tool object itself is not trusted."""
    host = sys.modules.get("assistant.workers.host")
    sandboxed = getattr(host, "SandboxedTool", None)
    return "subprocess" if sandboxed and isinstance(tool, sandboxed) else "in process"


class ToolRegistry:
    def __init__(self, bus: EventBus, audit: AuditLog, policy: PermissionPolicy | None = None,
                 prompter: PermissionPrompter | None = None,
                 backends: DesktopBackends | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        # Kept apart from _tools on purpose: call() needs only the tool.
        self._sources: dict[str, ToolSource] = {}
        self.on_change: list[Callable[[], None]] = []  # e.g. the agent rebuilding its router
        self._bus = bus
        self._audit = audit
        self.policy = policy or PermissionPolicy()
        self.prompter = prompter
        # what each call's Capabilities hands the tools (clipboard, screen, …)
        self.backends = backends if backends is not None else DesktopBackends()
        self._args = ArgumentChecker()

    # -- membership -------------------------------------------------------------------
    def register(self, tool: Tool, source: ToolSource = BUILTIN) -> None:
        """Add a tool (no lifecycle: see `add`); a taken name raises ToolCollision."""
        name = tool.manifest.name
        if name in self._tools:
            other = self._sources[name]
            raise ToolCollision(
                "tool.duplicate_name",
                f"a tool named {name!r} is already registered (from {other}); "
                f"the one from {source} was rejected",
                "rename one of them: a tool name must be unique")
        self._tools[name] = tool
        self._sources[name] = source
        self._changed()

    def unregister(self, name: str) -> Tool | None:
        """Remove a tool without stopping it; returns it (None when unknown)."""
        tool = self._tools.pop(name, None)
        self._sources.pop(name, None)
        if tool is not None:
            self._changed()
        return tool

    async def add(self, tool: Tool, source: ToolSource) -> None:
        """Register and start (when the tool has `start`); a failed start unregisters."""
        self.register(tool, source)
        try:
            await _start(tool)
        except BaseException:
            self.unregister(tool.manifest.name)
            raise

    async def remove(self, name: str) -> bool:
        """Unregister and stop; False when no such tool."""
        tool = self.unregister(name)
        if tool is None:
            return False
        await _stop_quietly(tool)
        return True

    async def replace(self, tool: Tool, source: ToolSource) -> None:
        """Swap in a new version of a registered tool: the new one is started first,
        so a failed start leaves the old one serving; then the old one is stopped."""
        name = tool.manifest.name
        old = self._tools.get(name)
        if old is None:
            await self.add(tool, source)
            return
        await _start(tool)
        self._tools[name] = tool
        self._sources[name] = source
        self._changed()
        await _stop_quietly(old)

    async def aclose(self) -> None:
        """Stop every tool that has a lifecycle (newest first) and drop it."""
        for name in reversed(list(self._tools)):
            if isinstance(self._tools[name], LifecycleTool):
                await self.remove(name)
        self._args.close()

    def _changed(self) -> None:
        for listener in list(self.on_change):
            listener()

    # -- listing ------------------------------------------------------------------------
    def listing(self) -> list[ToolInfo]:
        return [ToolInfo(t.manifest, self._sources[n], sandbox_of(t))
                for n, t in self._tools.items()]

    def sources(self) -> dict[str, ToolSource]:
        """Every registered name and where it came from."""
        return dict(self._sources)

    def manifests(self) -> list[ToolManifest]:
        return [t.manifest for t in self._tools.values()]

    def get(self, name: str) -> ToolManifest | None:
        tool = self._tools.get(name)
        return tool.manifest if tool else None

    async def call(self, call: ToolCall) -> ToolOutcome:
        call = replace(call, call_id=call.call_id or uuid.uuid4().hex[:12])
        tool = self._tools.get(call.tool)
        if tool is None:
            return self._finish(call, CallStatus.UNKNOWN, error=f"no tool named {call.tool!r}",
                                code="tool.unknown")
        m = tool.manifest
        try:
            await self._check_args(call.tool, call.args, m)
        except InvalidArguments as err:
            if isinstance(err, OversizedArguments):  # not even the audit log could take them
                call = replace(call, args={})
            return self._finish(call, CallStatus.INVALID, error=err.message, code=err.code)
        if isinstance(tool, PreviewingTool):
            previewed = await self._preview(tool, m, call)
            if isinstance(previewed, ToolOutcome):
                return previewed
            call = previewed
        try:
            decision, reason = await self.policy.resolve(m, call, self.prompter)
        except Exception:  # a policy bug must deny, audited, never escape to the caller
            log.exception("the permission policy failed on %s", m.name)
            decision, reason = Decision.DENY, "the permission check failed"
        self._audit.append("decision", {"call_id": call.call_id, "tool": m.name,
                                        "decision": decision.value, "reason": reason,
                                        "source": call.source})
        if decision is not Decision.ALLOW:
            return self._finish(call, CallStatus.DENIED, error=reason, code="tool.denied")
        self._bus.publish(ToolCallStarted(call_id=call.call_id, tool=m.name, args=call.args,
                                          source=call.source))
        try:
            ctx = ToolContext(call, self.capabilities(m, call))
            result = await asyncio.wait_for(tool.run(dict(call.args), ctx), m.timeout_s)
        except TimeoutError:
            return self._finish(call, CallStatus.TIMEOUT, error=f"{m.name} took longer than "
                                f"{m.timeout_s:g} s", code="tool.timeout")
        except CodedError as err:
            return self._finish(call, CallStatus.ERROR, error=err.message, code=err.code)
        except Exception as err:
            log.exception("tool %s failed", m.name)
            return self._finish(call, CallStatus.ERROR, error=str(err), code="tool.failed")
        return self._finish(call, CallStatus.OK, result=result)

    async def _preview(self, tool: Tool, m: ToolManifest, call: ToolCall
                       ) -> ToolCall | ToolOutcome:
        """A tool whose exact action depends on what it sees (a click: where the text
        is) works it out before the permission question, holding only the read scopes
        of its manifest; the arguments it adds are validated, audited and marked with
        their origin, so the one confirmation shows the exact action."""
        reads = tuple(s for s in m.permissions if is_read_scope(s))
        ctx = ToolContext(call, self.capabilities(m, call, scopes=reads))
        try:
            extra, origins = await asyncio.wait_for(tool.preview(dict(call.args), ctx),
                                                    m.timeout_s)
        except TimeoutError:
            return self._finish(call, CallStatus.TIMEOUT, error=f"{m.name} took longer than "
                                f"{m.timeout_s:g} s to look", code="tool.timeout")
        except CodedError as err:
            return self._finish(call, CallStatus.ERROR, error=err.message, code=err.code)
        args = {**call.args, **extra}
        try:
            await self._check_args(call.tool, args, m)
        except InvalidArguments as err:
            log.error("preview of %s gave invalid arguments: %s", m.name, err.message)
            return self._finish(call, CallStatus.ERROR, code="tool.failed",
                                error=f"{m.name} could not work out what to do")
        self._audit.append("preview", {"call_id": call.call_id, "tool": m.name,
                                       "args": extra, "origins": sorted(origins)})
        return replace(call, args=args, origins=frozenset(call.origins) | frozenset(origins))

    async def _check_args(self, name: str, args: dict[str, Any], m: ToolManifest) -> None:
        """Raises InvalidArguments. A schema not written by us (workers, MCP servers)
        is validated off the loop, with RE2 and a time budget (permissions/schema_check)."""
        source = self._sources.get(name)
        trusted = source is not None and source.kind == ToolSourceKind.BUILTIN
        await self._args.check(args, m.input_schema, trusted=trusted)

    def capabilities(self, m: ToolManifest, call: ToolCall,
                     scopes: tuple[str, ...] | None = None) -> Capabilities:
        def record(scope: str, target: str, allowed: bool, detail: str) -> None:
            self._audit.append("capability", {"call_id": call.call_id, "tool": m.name,
                                              "scope": scope, "target": target,
                                              "allowed": allowed, "detail": detail})
        return Capabilities(m.name, m.permissions if scopes is None else scopes, record,
                            backends=self.backends)

    def _finish(self, call: ToolCall, status: CallStatus, result: dict | None = None,
                error: str = "", code: str = "") -> ToolOutcome:
        outcome = ToolOutcome(call.call_id, call.tool, call.args, status, result, error, code)
        self._audit.append("call", {"call_id": call.call_id, "tool": call.tool,
                                    "args": call.args, "status": status, "code": code,
                                    "source": call.source})
        self._bus.publish(ToolCallFinished(call_id=call.call_id, tool=call.tool, status=status,
                                           result=result, error=error))
        return outcome


async def _start(tool: Tool) -> None:
    if isinstance(tool, LifecycleTool):
        await tool.start()


async def _stop_quietly(tool: Tool) -> None:
    """A worker that fails to stop must not stop the others from stopping."""
    if not isinstance(tool, LifecycleTool):
        return
    try:
        await tool.stop()
    except Exception:
        log.exception("stopping tool %s failed", tool.manifest.name)
