"""The companion's HTTP + WebSocket API (FastAPI; OpenAPI at /openapi.json) and the
web app's static files. Every /api and /ws route needs a device token except pairing;
the static app shell is public and holds no data."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from assistant.companion.bridges import AppBridge
from assistant.companion.delivery import DeliveryEngine, notifications
from assistant.companion.devices import CompanionError, Device, DeviceStore, RateLimiter
from assistant.companion.egress import Egress
from assistant.companion.guard import DEVICE_KEY, TOKEN_NEEDED, CompanionGate, client_key
from assistant.companion.hub import Hub, Session
from assistant.permissions.policy import Answer
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage

WS_AUTH_WAIT_S = 5.0
REVALIDATE_S = 2.0  # an open app's device is checked again this often
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/sw.js": ("sw.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8"),
          "/manifest.webmanifest": ("manifest.webmanifest", "application/manifest+json"),
          "/icon.svg": ("icon.svg", "image/svg+xml"),
          "/icon-192.png": ("icon-192.png", "image/png"),
          "/icon-512.png": ("icon-512.png", "image/png")}
ANSWERS = tuple(a.value for a in Answer if a not in (Answer.TIMED_OUT, Answer.UNAVAILABLE))


@dataclass
class CompanionState:
    """Everything the routes use, built by the runtime (in `heron run` or `heron serve`)."""

    storage: Storage
    devices: DeviceStore
    hub: Hub
    engine: DeliveryEngine
    app_bridge: AppBridge
    timers: TimerStore
    reminders: ReminderStore
    limiter: RateLimiter
    vapid_public_key: str = ""
    egress: Egress = field(default_factory=Egress)  # where a device may point Web Push


class PairIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(default="phone", max_length=80)


class CommandIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class AnswerIn(BaseModel):
    answer: str = Field(pattern="^(" + "|".join(ANSWERS) + ")$")


class MuteIn(BaseModel):
    muted: bool


class PushKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class SubscribeIn(BaseModel):
    endpoint: str = Field(pattern="^https://", max_length=2000)
    keys: PushKeys


def _device(request: Request) -> Device:
    """The paired device CompanionGate authenticated before the body was read."""
    found = getattr(request.state, DEVICE_KEY, None)
    if found is None:  # a guarded route the gate did not see: never serve it
        raise HTTPException(401, TOKEN_NEEDED, headers={"WWW-Authenticate": "Bearer"})
    return found


Authed = Annotated[Device, Depends(_device)]


PUBLIC = {"/api/pair", "/openapi.json", *STATIC}  # no token: pairing, the spec, the shell


def create_app(state: CompanionState | None) -> FastAPI:
    # No /docs or /redoc: they load Swagger UI from a CDN. The spec is /openapi.json.
    app = FastAPI(title="Heron companion", version="1", docs_url=None, redoc_url=None,
                  description="The phone companion of Heron (DESIGN.md §8).")
    app.state.companion = state
    # CompanionServer adds the LAN host names and [companion] allowed_hosts.
    app.state.host_names, app.state.allowed_hosts = frozenset(), frozenset()
    app.add_middleware(CompanionGate, state=state, public=frozenset(PUBLIC))

    @app.exception_handler(CompanionError)
    async def coded(request: Request, err: CompanionError) -> JSONResponse:
        return JSONResponse({"error": err.to_dict()}, status_code=400)

    @app.post("/api/pair", tags=["pairing"])
    async def pair(body: PairIn, request: Request) -> dict[str, Any]:
        """Trade a one-time pairing code for this device's token (shown once)."""
        # Per client only (an IPv6 one by its /64). A bucket shared by all clients would
        # let any LAN host keep the real phone from pairing; a code (32^8, 5 minutes)
        # needs no such bucket to be out of reach of guessing.
        mine = "pair:" + client_key(request)
        limiter = state.limiter
        if limiter.blocked(mine):
            raise HTTPException(429, "too many failed attempts: wait a minute",
                                headers={"Retry-After": str(int(limiter.window_s))})
        try:
            dev, token = state.devices.pair(body.code, body.name)
        except CompanionError:
            limiter.failed(mine)
            raise
        return {"token": token, "device": dev.to_dict()}

    @app.get("/api/state")
    async def get_state(dev: Authed) -> dict[str, Any]:
        return {**state.hub.snapshot(), "device": dev.to_dict()}

    @app.post("/api/command")
    async def command(body: CommandIn, dev: Authed) -> dict[str, Any]:
        """A text command to the same agent as voice and the tray."""
        return await state.hub.command(body.text)

    @app.post("/api/prompts/{prompt_id}")
    async def answer_prompt(prompt_id: str, body: AnswerIn, dev: Authed) -> dict[str, Any]:
        """Approve or deny a waiting permission prompt; the first answer anywhere wins."""
        if not state.hub.answer(prompt_id, body.answer):
            raise HTTPException(409, "that question is no longer waiting")
        return {"id": prompt_id, "answer": body.answer}

    @app.post("/api/mute")
    async def mute(body: MuteIn, dev: Authed) -> dict[str, Any]:
        await state.hub.mute(body.muted)
        return {"muted": state.hub.muted}

    @app.get("/api/timers")
    async def timers(dev: Authed) -> dict[str, Any]:
        return {"timers": [t.to_dict() for t in state.timers.pending()],
                "reminders": [r.to_dict() for r in state.reminders.pending()]}

    @app.get("/api/notifications")
    async def list_notifications(dev: Authed) -> dict[str, Any]:
        return {"notifications": notifications(state.storage)}

    @app.get("/api/notifications/{notification_id}")
    async def get_notification(notification_id: int, dev: Authed) -> dict[str, Any]:
        """What a push only points at: the notification's text, over this API."""
        if not -2**63 <= notification_id < 2**63:
            raise HTTPException(404, "no such notification")
        rows = state.storage.query("SELECT id, kind, body, created_at, state FROM outbox "
                                   "WHERE id=?", (notification_id,))
        if not rows:
            raise HTTPException(404, "no such notification")
        r = rows[0]
        return {"id": r["id"], "kind": r["kind"], "created_at": r["created_at"],
                "state": r["state"], "body": json.loads(r["body"])}

    @app.get("/api/push/key")
    async def push_key(dev: Authed) -> dict[str, str]:
        """The VAPID applicationServerKey to subscribe with ('' when Web Push is off)."""
        return {"key": state.vapid_public_key}

    @app.post("/api/push/subscribe")
    async def subscribe(body: SubscribeIn, dev: Authed) -> dict[str, Any]:
        """Web Push to this device: an https endpoint on a public address only (Heron
        will POST there; a local one would let a device reach this machine's services)."""
        import time

        await state.egress.target(body.endpoint)  # raises EgressError: 400, coded
        with state.storage.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO companion_push(endpoint, device_id, p256dh, "
                        "auth, created_at) VALUES (?,?,?,?,?)",
                        (body.endpoint, dev.id, body.keys.p256dh, body.keys.auth, time.time()))
        state.engine.wake()
        return {"subscribed": True}

    @app.websocket("/ws")
    async def live(ws: WebSocket) -> None:
        """Live state. The first message must be {"type": "auth", "token": …}."""
        if not _same_origin(ws):
            await ws.close(code=1008)
            return
        await ws.accept()
        try:
            hello = await asyncio.wait_for(ws.receive_json(), WS_AUTH_WAIT_S)
            dev = state.devices.authenticate(str(hello.get("token", "")))
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
            dev = None
        if dev is None:  # counted, but a valid token is never refused for others' failures
            state.limiter.failed("token:" + client_key(ws))
            with contextlib.suppress(Exception):
                await ws.close(code=1008)
            return
        await _serve_session(ws, dev, state)

    for path, (name, media) in STATIC.items():
        app.add_api_route(path, _static(name, media), methods=["GET"],
                          include_in_schema=False)
    return app


def _same_origin(ws: WebSocket) -> bool:
    """A browser always sends Origin: it must be this server's own. Clients that are
    not browsers send none (they cannot be driven by another site)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return origin == f"{scheme}://{ws.headers.get('host', '')}"


async def _serve_session(ws: WebSocket, dev: Device, state: CompanionState) -> None:
    session = Session(dev.id)
    hub = state.hub
    await ws.send_json(hub.snapshot())
    hub.sessions.add(session)
    state.engine.wake()  # queued notifications can go to this app now

    async def pump() -> None:
        while not session.closed:
            await ws.send_json(await session.queue.get())

    async def watch() -> None:
        """Hang up on a device revoked meanwhile (by `heron companion revoke`, another
        process) or an app too far behind to catch up."""
        while True:
            await asyncio.sleep(REVALIDATE_S)
            if session.closed or not state.devices.active(dev.id):
                with contextlib.suppress(Exception):
                    await ws.close(code=1008)
                return

    sender = asyncio.create_task(pump())
    watcher = asyncio.create_task(watch())
    try:
        while True:
            message = await ws.receive_json()
            if message.get("type") == "ack" and isinstance(message.get("id"), int):
                state.app_bridge.acked(message["id"])
    except (WebSocketDisconnect, ValueError, RuntimeError):
        pass
    finally:
        hub.sessions.discard(session)
        for task in (sender, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _static(name: str, media: str):
    async def serve() -> Response:
        data = resources.files("assistant.companion").joinpath("web", name).read_bytes()
        return Response(data, media_type=media, headers={"Cache-Control": "no-cache"})

    serve.__name__ = f"static_{name.replace('.', '_').replace('-', '_')}"
    return serve
