"""[mcp.servers.NAME] in config.toml: the external MCP servers whose tools become
workers, each started over stdio (`command`) or reached over Streamable HTTP (`url`).
Kept apart from client.py so reading the config does not load the MCP SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from assistant.secrets import SECRET_NAME
from assistant.tools.manifest import CONFIRM, EFFECTS


@dataclass(frozen=True)
class McpServerOptions:
    """One external MCP server ([mcp.servers.NAME]): a program Heron runs and talks to
    over stdio (`command`), or one already running that it reaches over Streamable HTTP
    (`url`, e.g. Home Assistant's http://homeassistant.local:8123/api/mcp)."""

    name: str = ""  # defaults to the NAME of its config section
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # added to a minimal environment
    url: str = ""
    # The secret (`heron mcp --set-token NAME`) sent as "Authorization: Bearer …" to
    # `url`; never the token itself: config.toml is not a place for secrets.
    token_name: str = ""
    enabled: bool = True
    confirm: str = "always"
    effects: str = "write"
    timeout_s: float = 30.0  # per call
    start_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "command", tuple(self.command))
        if self.enabled and not self.command and not self.url:
            raise ValueError("an MCP server needs command = [\"program\", \"arg\", …] "
                             "or url = \"http://host:port/path\"")
        if self.command and self.url:
            raise ValueError("an MCP server has either a command (stdio) or a url (HTTP), "
                             "not both")
        if self.url:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"url must be an http:// or https:// address, not "
                                 f"{self.url!r}")
        if self.token_name and not SECRET_NAME.match(self.token_name):
            raise ValueError("token_name must be lower-case letters, digits, '.', '_' or '-' "
                             f"(up to 64), not {self.token_name!r}")
        if self.token_name and not self.url:
            raise ValueError("token_name is sent to a url; a command server gets env instead")
        if self.confirm not in CONFIRM:
            raise ValueError(f"confirm must be one of {CONFIRM}, not {self.confirm!r}")
        if self.effects not in EFFECTS:
            raise ValueError(f"effects must be one of {EFFECTS}, not {self.effects!r}")
        if self.timeout_s <= 0 or self.start_timeout_s <= 0:
            raise ValueError("timeout_s and start_timeout_s must be > 0")

    @property
    def where(self) -> str:
        """What the user configured, for messages: the command line or the url."""
        return self.url or " ".join(self.command)


@dataclass(frozen=True)
class McpOptions:
    servers: dict[str, McpServerOptions] = field(default_factory=dict)
