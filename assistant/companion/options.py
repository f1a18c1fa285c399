"""The [companion] section of config.toml."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanionOptions:
    enabled: bool = False  # serve the phone companion inside `heron run`
    host: str = "127.0.0.1"
    port: int = 8765
    lan: bool = False  # listen on the LAN (TLS with a self-signed certificate)
