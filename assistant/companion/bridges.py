"""Notification bridges behind one interface. A bridge gets the outbox entry's id and
kind only: what leaves the machine carries no private text, the app fetches the rest
over the authenticated API."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from assistant.companion.hub import Hub
from assistant.storage import Storage

log = logging.getLogger(__name__)
ACK_WAIT_S = 5.0
HTTP_TIMEOUT_S = 10.0

TITLES = {"timer.fired": "Timer done", "reminder.fired": "Reminder",
          "approval.needed": "Approval needed", "task.done": "Task finished",
          "phone.notify": "Message from Heron"}


@dataclass(frozen=True)
class Notice:
    """What a bridge may send: the dedup id and a generic title, never the text."""

    id: int
    kind: str

    @property
    def dedup_id(self) -> str:
        return f"heron-{self.id}"

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, "Heron")

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "dedup_id": self.dedup_id, "kind": self.kind,
                "title": self.title, "fetch": f"/api/notifications/{self.id}"}


class Pending(Exception):
    """Nobody to deliver to right now (no app open, no subscription): try again later
    without counting an attempt."""


class Bridge(Protocol):
    name: str

    async def deliver(self, notice: Notice) -> None:
        """Deliver or raise: Pending (later, no attempt used) or any error (retried)."""


class AppBridge:
    """The open web app: sent over its WebSocket, delivered once an app acks the id."""

    name = "app"

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._acks: dict[int, asyncio.Event] = {}

    def acked(self, notice_id: int) -> None:
        event = self._acks.get(notice_id)
        if event is not None:
            event.set()

    async def deliver(self, notice: Notice) -> None:
        if not self._hub.sessions:
            raise Pending
        event = self._acks.setdefault(notice.id, asyncio.Event())
        try:
            self._hub.broadcast({"type": "notification", **notice.public()})
            await asyncio.wait_for(event.wait(), ACK_WAIT_S)
        except TimeoutError as err:
            raise RuntimeError("the app did not acknowledge it") from err
        finally:
            self._acks.pop(notice.id, None)


class WebhookBridge:
    """POSTs the notice as JSON; any 2xx is delivered. `Idempotency-Key` is the dedup id."""

    name = "webhook"

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._client = client

    async def deliver(self, notice: Notice) -> None:
        r = await self._client.post(self._url, json=notice.public(),
                                    headers={"Idempotency-Key": notice.dedup_id})
        r.raise_for_status()


class NtfyBridge:
    """ntfy's publish API: POST the message to the topic URL with a bearer token."""

    name = "ntfy"

    def __init__(self, topic_url: str, token: str | None, client: httpx.AsyncClient) -> None:
        self._url = topic_url
        self._token = token
        self._client = client

    async def deliver(self, notice: Notice) -> None:
        headers = {"Title": notice.title, "Tags": "bird", "X-Message-Id": notice.dedup_id}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        r = await self._client.post(self._url, content=f"Open Heron to see it ({notice.id})",
                                    headers=headers)
        r.raise_for_status()


class WebPushBridge:
    """Web Push (RFC 8030/8291/8292) to every subscribed browser, VAPID-signed."""

    name = "webpush"

    def __init__(self, storage: Storage, vapid_private_pem: str, subject: str) -> None:
        self._db = storage
        self._key = vapid_private_pem
        self._subject = subject

    def subscriptions(self) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT p.* FROM companion_push p JOIN companion_devices d "
                              "ON d.id = p.device_id WHERE d.revoked_at IS NULL")
        return [{"endpoint": r["endpoint"], "keys": {"p256dh": r["p256dh"],
                                                     "auth": r["auth"]}} for r in rows]

    async def deliver(self, notice: Notice) -> None:
        subs = self.subscriptions()
        if not subs:
            raise Pending
        data = json.dumps(notice.public())
        for sub in subs:
            await asyncio.to_thread(self._send, sub, data)

    def _send(self, sub: dict[str, Any], data: str) -> None:
        from py_vapid import Vapid02
        from pywebpush import webpush

        vapid = Vapid02.from_pem(self._key.encode())
        webpush(sub, data, vapid_private_key=vapid,
                vapid_claims={"sub": self._subject}, timeout=HTTP_TIMEOUT_S, ttl=3600)


def new_vapid_key() -> str:
    """A new VAPID private key as PEM (stored in the SecretStore)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def vapid_public_key(private_pem: str) -> str:
    """The applicationServerKey a browser subscribes with: base64url, uncompressed point."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
