"""[mcp.servers.NAME] in config.toml: the external MCP servers whose tools become
workers. Kept apart from client.py so reading the config does not load the MCP SDK."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.tools.manifest import CONFIRM, EFFECTS


@dataclass(frozen=True)
class McpServerOptions:
    """One external MCP server run over stdio ([mcp.servers.NAME])."""

    name: str = ""  # defaults to the NAME of its config section
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # added to a minimal environment
    enabled: bool = True
    confirm: str = "always"
    effects: str = "write"
    timeout_s: float = 30.0  # per call
    start_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "command", tuple(self.command))
        if self.enabled and not self.command:
            raise ValueError("an MCP server needs command = [\"program\", \"arg\", …]")
        if self.confirm not in CONFIRM:
            raise ValueError(f"confirm must be one of {CONFIRM}, not {self.confirm!r}")
        if self.effects not in EFFECTS:
            raise ValueError(f"effects must be one of {EFFECTS}, not {self.effects!r}")
        if self.timeout_s <= 0 or self.start_timeout_s <= 0:
            raise ValueError("timeout_s and start_timeout_s must be > 0")


@dataclass(frozen=True)
class McpOptions:
    servers: dict[str, McpServerOptions] = field(default_factory=dict)
