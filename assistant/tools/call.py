"""A request to run a tool, as every surface makes it (voice, text, CLI, MCP, the
phone): the registry checks it, the policy decides on it, the audit log records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.events import CallSource


@dataclass(frozen=True)
class ToolCall:
    tool: str
    args: dict[str, Any]
    source: CallSource = CallSource.TEXT
    untrusted: bool = False  # arguments derived from screen/file/web/tool output
    call_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    # Which untrusted origins the arguments derive from (provenance.untrusted_origins);
    # any origin here, or `untrusted`, or a Tainted argument forces a confirmation.
    origins: frozenset[str] = frozenset()
