"""[home_assistant] in config.toml: where the user's Home Assistant is, and the name of
its long-lived access token in Heron's secret store (`heron ha login` fills in both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from assistant.builtins.weather import host_scope
from assistant.languages import LANGUAGE_CODE
from assistant.secrets import SECRET_NAME

DEFAULT_TOKEN_NAME = "ha_token"


@dataclass(frozen=True)
class HomeAssistantOptions:
    """`url` = "" keeps home control off (e.g. "http://homeassistant.local:8123");
    `language` = "" sends the language Heron understood the sentence in."""

    url: str = ""
    token_name: str = DEFAULT_TOKEN_NAME
    timeout_s: float = field(default=10.0, metadata={"range": (0.5, 60)})
    language: str = ""

    def __post_init__(self) -> None:
        if self.url:
            host_scope(self.url, "home_assistant.url")  # raises ValueError saying why
            if urlsplit(self.url).query or urlsplit(self.url).fragment:
                raise ValueError("home_assistant.url is Home Assistant's address only, "
                                 'such as "http://homeassistant.local:8123"')
        if not SECRET_NAME.match(self.token_name):
            raise ValueError(f"home_assistant.token_name {self.token_name!r} cannot name a "
                             "secret: use lower-case letters, digits, '.', '_' or '-' "
                             f'(default "{DEFAULT_TOKEN_NAME}")')
        if self.language and not LANGUAGE_CODE.fullmatch(self.language):
            raise ValueError(f"home_assistant.language {self.language!r} is not a "
                             'language code such as "en" or "de"')

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def base_url(self) -> str:
        """The address without a trailing slash: API paths are appended to it."""
        return self.url.rstrip("/")

    def scope(self) -> str:
        """net:<host>[:port] for the configured server."""
        return host_scope(self.url, "home_assistant.url")

    def endpoint(self) -> tuple[str, int]:
        """(host, port) Heron connects to, for the capability check."""
        parts = urlsplit(self.url)
        return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
