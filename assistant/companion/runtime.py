"""Running the companion: inside `heron run` (started by HeronService when [companion]
is enabled) or alone with `heron serve` on a headless machine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from assistant.companion.app import CompanionState, create_app
from assistant.companion.bridges import (
    AppBridge,
    Bridge,
    NtfyBridge,
    WebhookBridge,
    WebPushBridge,
    new_vapid_key,
    vapid_public_key,
)
from assistant.companion.delivery import DeliveryEngine
from assistant.companion.devices import DeviceStore, RateLimiter
from assistant.companion.hub import Hub, PhonePrompter
from assistant.companion.options import CompanionOptions
from assistant.companion.server import CompanionServer, Endpoint
from assistant.events import CallSource, Stage, StageError
from assistant.supervisor import supervised

if TYPE_CHECKING:
    from assistant.core import Core
    from assistant.service import HeronService

log = logging.getLogger(__name__)
NTFY_TOKEN = "companion.ntfy_token"
VAPID_KEY = "companion.vapid_key"


class Companion:
    """The server, the hub and the delivery engine over one Core."""

    def __init__(self, core: Core, options: CompanionOptions,
                 ask: Callable[[str], Awaitable[dict[str, Any]]],
                 set_muted: Callable[[bool], Awaitable[None]] | None = None) -> None:
        self.core = core
        self.options = options
        self.hub = Hub(core.bus, core.outbox, ask, set_muted, long_task_s=options.long_task_s)
        self.http = httpx.AsyncClient(timeout=10.0)
        self.app_bridge = AppBridge(self.hub)
        bridges: list[Bridge] = [self.app_bridge]
        if options.webhook_url:
            bridges.append(WebhookBridge(options.webhook_url, self.http))
        if options.ntfy_url:
            bridges.append(NtfyBridge(options.ntfy_url, core.secrets.get(NTFY_TOKEN),
                                      self.http))
        vapid_public = ""
        if options.webpush:
            key, _ = core.secrets.get_or_create(VAPID_KEY, new_vapid_key)
            vapid_public = vapid_public_key(key)
            self.webpush = WebPushBridge(core.storage, key, options.webpush_subject,
                                         self.http)
            bridges.append(self.webpush)
        self.engine = DeliveryEngine(core.storage, bridges)
        self.hub.on_enqueued = self.engine.wake
        self.prompter = PhonePrompter(self.hub, reachable=self._push_reachable)
        self.state = CompanionState(
            storage=core.storage, devices=DeviceStore(core.storage), hub=self.hub,
            engine=self.engine, app_bridge=self.app_bridge, timers=core.timers,
            reminders=core.reminders, limiter=RateLimiter(options.max_auth_failures),
            vapid_public_key=vapid_public)
        self.server = CompanionServer(create_app(self.state), options, core.paths.data_dir)

    @property
    def endpoint(self) -> Endpoint:
        return self.server.endpoint

    def _push_reachable(self) -> bool:
        return self.options.webpush and bool(self.webpush.subscriptions())

    async def run(self, stop: asyncio.Event, on_ready: Callable[[Endpoint], None] | None = None
                  ) -> None:
        self.hub.attach()
        self.core.prompter.attach(self.prompter)
        try:
            async with asyncio.TaskGroup() as tg:
                serving = tg.create_task(self.server.serve(), name="companion-http")
                delivering = tg.create_task(self.engine.run(), name="companion-delivery")
                if on_ready:
                    on_ready(self.endpoint)
                await stop.wait()
                self.server.stop()
                delivering.cancel()
                await serving
        finally:
            self.core.prompter.detach(self.prompter)
            self.hub.detach()
            await self.http.aclose()


def _reply(reply) -> dict[str, Any]:
    return {"response": reply.text, "tool_calls": [c.to_dict() for c in reply.tool_calls]}


async def run_companion(service: HeronService, stop: asyncio.Event) -> None:
    """Serve the companion for `service` until `stop` is set."""
    async def ask(text: str) -> dict[str, Any]:
        return _reply(await service.ask(text, source=CallSource.PHONE))

    options = service.config.companion
    try:
        companion = Companion(service.core, options, ask, service.set_muted)
    except OSError as err:  # the port is taken: Heron goes on without its companion
        log.error("phone companion not started: port %s: %s", options.port, err)
        service.bus.publish(StageError(
            stage=Stage.COMPANION, code="companion.port",
            message=f"the phone companion cannot listen on port {options.port}",
            hint="set another [companion] port in config.toml, or stop `heron serve`"))
        await stop.wait()
        return
    log.info("phone companion at %s", companion.endpoint.url)
    await companion.run(stop)


async def serve_headless(core: Core, options: CompanionOptions, stop: asyncio.Event,
                         on_ready: Callable[[Endpoint], None]) -> None:
    """`heron serve`: the agent, timers and reminders and the companion; no voice."""
    from assistant.scheduling.service import Scheduler

    async def ask(text: str) -> dict[str, Any]:
        return _reply(await core.agent.handle(text, source=CallSource.PHONE))

    await core.warm_up()
    companion = Companion(core, options, ask)
    async with asyncio.TaskGroup() as tg:
        # each store's loop supervised on its own, as in `heron run`
        loops = [tg.create_task(supervised(Stage.SCHEDULER, fire, core.bus,
                                           core.paths.cache_dir), name=f"scheduler.{name}")
                 for name, fire in Scheduler(core.timers, core.reminders,
                                             core.bus).loops().items()]
        await companion.run(stop, on_ready)
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
