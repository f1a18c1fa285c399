"""The [companion] section of config.toml."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanionOptions:
    enabled: bool = False  # serve the phone companion inside `heron run`
    host: str = "127.0.0.1"  # used as is only when lan is off
    port: int = 8765
    lan: bool = False  # listen on the LAN (0.0.0.0, TLS with a self-signed certificate)
    ntfy_url: str = ""  # an ntfy topic URL, e.g. https://ntfy.example/heron; token in secrets
    webhook_url: str = ""  # POSTed a JSON notice (id and kind only) per notification
    webpush: bool = True  # Web Push to browsers that subscribed (VAPID key in secrets)
    webpush_subject: str = "mailto:heron@localhost"  # the VAPID `sub` claim
    max_auth_failures: int = 10  # per client address and minute, then 429
    long_task_s: float = 30.0  # a phone command taking this long notifies when done
