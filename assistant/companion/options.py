"""The [companion] section of config.toml."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CompanionOptions:
    enabled: bool = False  # serve the phone companion inside `heron run`
    host: str = "127.0.0.1"  # used as is only when lan is off
    port: int = field(default=8765, metadata={"range": (0, 65535),
                                              "range_note": "0 picks a free port"})
    lan: bool = False  # listen on the LAN (0.0.0.0, TLS with a self-signed certificate)
    ntfy_url: str = ""  # an ntfy topic URL, e.g. https://ntfy.example/heron; token in secrets
    webhook_url: str = ""  # POSTed a JSON notice (id and kind only) per notification
    webpush: bool = True  # Web Push to browsers that subscribed (VAPID key in secrets)
    webpush_subject: str = "mailto:heron@localhost"  # the VAPID `sub` claim
    # per kind (pairing / token) and client address a minute, then 429; a valid token is
    # never refused. At least 1: 0 would refuse every pairing before it was tried.
    max_auth_failures: int = field(default=10, metadata={"range": (1, None)})
    long_task_s: float = 30.0  # a phone command taking this long notifies when done
    # reverse proxies (IPs/CIDRs) whose X-Forwarded-For/-Proto is believed; none by default
    trusted_proxies: tuple[str, ...] = ()
    # extra Host values ("name" or "name:port") to answer, e.g. behind a proxy or an SSH
    # tunnel on another port; anything else gets 421 (DNS rebinding)
    allowed_hosts: tuple[str, ...] = ()
