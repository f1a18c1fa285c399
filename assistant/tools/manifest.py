"""A tool's manifest: the single source for the router, the LLM tool list and MCP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EFFECTS = ("read", "write", "destructive")
CONFIRM = ("never", "once", "session", "always")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class ToolManifest:
    """Slots for the router are input_schema properties carrying "x-slot":
    duration (seconds) | text. `examples` use {slot} placeholders."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    version: str = "1.0.0"
    output_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    permissions: tuple[str, ...] = ()
    effects: str = "read"
    confirm: str = "never"
    timeout_s: float = 10.0
    examples: tuple[str, ...] = ()
    builtin: bool = False

    def __post_init__(self) -> None:
        problems = manifest_problems(self)
        if problems:
            raise ValueError(f"invalid manifest {self.name!r}: " + "; ".join(problems))

    def slots(self) -> dict[str, str]:
        props = self.input_schema.get("properties", {})
        return {k: v["x-slot"] for k, v in props.items() if "x-slot" in v}

    def openai_tool(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": _strip_private(self.input_schema)}}


def manifest_problems(m: ToolManifest) -> list[str]:
    out = []
    if not _NAME.match(m.name):
        out.append("name must be snake_case, ≤ 64 chars, no dots")
    if not _SEMVER.match(m.version):
        out.append(f"version {m.version!r} is not semver")
    if m.effects not in EFFECTS:
        out.append(f"effects must be one of {EFFECTS}")
    if m.confirm not in CONFIRM:
        out.append(f"confirm must be one of {CONFIRM}")
    if m.input_schema.get("type") != "object":
        out.append("input_schema must be a JSON Schema object")
    if m.timeout_s <= 0:
        out.append("timeout_s must be > 0")
    return out


def _strip_private(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_private(v) for k, v in schema.items() if not k.startswith("x-")}
    if isinstance(schema, list):
        return [_strip_private(v) for v in schema]
    return schema
