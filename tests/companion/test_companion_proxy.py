"""Behind a reverse proxy the user named (`[companion] trusted_proxies`), the
forwarded client address is believed, so one noisy client behind the proxy does not
use up another's attempts; nobody else's X-Forwarded-For is (test_companion_attacks)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from assistant.bus import EventBus
from assistant.companion.app import CompanionState, create_app
from assistant.companion.bridges import AppBridge
from assistant.companion.delivery import DeliveryEngine
from assistant.companion.devices import DeviceStore, RateLimiter
from assistant.companion.hub import Hub
from assistant.companion.options import CompanionOptions
from assistant.companion.outbox import Outbox
from assistant.companion.server import CompanionServer
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage


@dataclass(frozen=True)
class ProxiedOptions(CompanionOptions):
    # The fields the server reads with getattr until options.py declares them.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    allowed_hosts: tuple[str, ...] = ("heron.example.org",)


async def _pair_attempts(home) -> dict[str, list[int]]:
    storage = Storage(home / "heron.db")

    async def ask(text: str) -> dict:
        return {}

    hub = Hub(EventBus(), Outbox(storage), ask)
    state = CompanionState(storage=storage, devices=DeviceStore(storage), hub=hub,
                           engine=DeliveryEngine(storage, []), app_bridge=AppBridge(hub),
                           timers=TimerStore(storage), reminders=ReminderStore(storage),
                           limiter=RateLimiter(limit=3))
    server = CompanionServer(create_app(state), ProxiedOptions(port=0, webpush=False), home)
    serving = asyncio.create_task(server.serve())
    out: dict[str, list[int]] = {"noisy": [], "other": []}
    try:
        async with httpx.AsyncClient(base_url=server.endpoint.url, timeout=30) as http:
            for who, forwarded in (("noisy", "198.51.100.7"), ("other", "198.51.100.8")):
                for _ in range(4):
                    r = await http.post("/api/pair", json={"code": "WRONG123"},
                                        headers={"X-Forwarded-For": forwarded,
                                                 "Host": "heron.example.org"})
                    out[who].append(r.status_code)
    finally:
        server.stop()
        await serving
        storage.close()
    return out


def test_a_trusted_proxy_passes_on_each_client_address(tmp_path):
    out = asyncio.run(_pair_attempts(tmp_path))
    assert out["noisy"] == [400, 400, 400, 429]
    assert out["other"] == [400, 400, 400, 429]  # its own budget, not the noisy one's
