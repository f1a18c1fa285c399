"""Permission policy: deny > ask > allow. The full approval system (remembered
answers, prompts on every surface) builds on this seam."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from assistant.tools.manifest import ToolManifest


class Decision(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class ToolCall:
    tool: str
    args: dict[str, Any]
    source: str = "text"  # voice | text | cli | mcp | timer
    untrusted: bool = False  # arguments derived from screen/file/web/tool output
    call_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class PermissionPrompter(Protocol):
    async def ask(self, manifest: ToolManifest, call: ToolCall, reason: str) -> bool: ...


@dataclass(frozen=True)
class PermissionPolicy:
    denied_tools: frozenset[str] = frozenset()

    async def resolve(self, manifest: ToolManifest, call: ToolCall,
                      prompter: PermissionPrompter | None) -> tuple[Decision, str]:
        """The final answer for one call: ALLOW or DENY (an ASK is put to the user)."""
        decision, reason = self.decide(manifest, call)
        if decision is not Decision.ASK:
            return decision, reason
        approved = prompter is not None and await prompter.ask(manifest, call, reason)
        if approved:
            return Decision.ALLOW, "approved by you"
        return Decision.DENY, f"needs your approval ({reason}) and none was given"

    def decide(self, manifest: ToolManifest, call: ToolCall) -> tuple[Decision, str]:
        if manifest.name in self.denied_tools:
            return Decision.DENY, "denied by your settings"
        if call.untrusted:
            return Decision.ASK, "its arguments come from untrusted content"
        if manifest.effects == "destructive":
            return Decision.ASK, "it is destructive"
        if manifest.confirm != "never":
            return Decision.ASK, f"it asks for confirmation ({manifest.confirm})"
        if manifest.builtin:
            return Decision.ALLOW, "built-in tool"
        return Decision.ASK, "third-party tool"
