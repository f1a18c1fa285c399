"""Notification bridges behind one interface. A bridge gets the outbox entry's id and
kind only: what leaves the machine carries no private text, the app fetches the rest
over the authenticated API."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from assistant.companion.egress import Egress, EgressError, EgressUnresolved
from assistant.companion.hub import Hub
from assistant.companion.outbox import NoticeKind
from assistant.storage import Storage

log = logging.getLogger(__name__)
ACK_WAIT_S = 5.0
HTTP_TIMEOUT_S = 10.0

TITLES = {NoticeKind.TIMER_FIRED: "Timer done", NoticeKind.REMINDER_FIRED: "Reminder",
          NoticeKind.APPROVAL_NEEDED: "Approval needed", NoticeKind.TASK_DONE: "Task finished",
          NoticeKind.PHONE_NOTIFY: "Message from Heron"}


@dataclass(frozen=True)
class Notice:
    """What a bridge may send: the dedup id and a generic title, never the text."""

    id: int
    # a kind this version does not know (a newer Heron shares the data folder) is
    # passed on as stored, with a plain title
    kind: NoticeKind | str

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
    """Web Push (RFC 8030/8291/8292) to every subscribed browser, VAPID-signed. A paired
    device chose the endpoint, so each send goes through `Egress`: https, public
    addresses only, resolved again now and connected to the address that was checked."""

    name = "webpush"

    def __init__(self, storage: Storage, vapid_private_pem: str, subject: str,
                 client: httpx.AsyncClient, egress: Egress | None = None) -> None:
        self._db = storage
        self._key = vapid_private_pem
        self._subject = subject
        self._client = client
        self._egress = egress or Egress()

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
        errors, sent = [], 0
        for sub in subs:
            try:
                await self._send(sub, data)
                sent += 1
            except EgressUnresolved as err:  # offline for now: retried like a 503
                errors.append(err.message)
            except EgressError as err:
                # For good (the name now points here): retrying would only POST again
                # to the subscriptions that worked, so drop this one instead.
                self._drop(sub["endpoint"], err)
            except Exception as err:  # this peer or this subscription's keys: retried
                errors.append(f"{type(err).__name__}: {err}")
        if errors:
            raise RuntimeError("; ".join(errors)[:300])
        if not sent:
            raise Pending  # every subscription was dropped: as if there were none

    def _drop(self, endpoint: str, err: EgressError) -> None:
        with self._db.transaction() as cur:
            gone = cur.execute("DELETE FROM companion_push WHERE endpoint=?",
                               (endpoint,)).rowcount
        if gone:  # concurrent sends may both see it; one of them says so
            log.warning("dropped a Web Push subscription: %s (turn notifications on "
                        "in the phone app again to re-subscribe)", err.message)

    async def _send(self, sub: dict[str, Any], data: str) -> None:
        target = await self._egress.target(sub["endpoint"])
        body, headers = await asyncio.to_thread(self._encrypt, sub, data)
        # No redirects (httpx's default): a 307 to 127.0.0.1 would undo the check.
        r = await self._client.post(target.url, content=body,
                                    headers={**headers, "Host": target.host},
                                    extensions={"sni_hostname": target.sni},
                                    timeout=HTTP_TIMEOUT_S)
        r.raise_for_status()

    def _encrypt(self, sub: dict[str, Any], data: str) -> tuple[bytes, dict[str, str]]:
        """The aes128gcm body and the VAPID headers (CPU work: run in a thread)."""
        from py_vapid import Vapid02
        from pywebpush import WebPusher

        endpoint = httpx.URL(sub["endpoint"])
        claims = {"sub": self._subject, "aud": f"https://{endpoint.netloc.decode()}",
                  "exp": int(time.time()) + 12 * 3600}
        headers = dict(Vapid02.from_pem(self._key.encode()).sign(claims))
        headers.update({"Content-Encoding": "aes128gcm", "TTL": "3600"})
        body = WebPusher(sub).encode(data.encode(), "aes128gcm")["body"]
        return body, headers


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
