"""The notification bridges against local servers that speak their protocols, the
retries, and the durable outbox surviving kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time

import httpx
import websockets
from companion_peers import NtfyServer, PushService, WebhookReceiver
from conftest import write_config

from assistant.companion.bridges import WebPushBridge, new_vapid_key, vapid_public_key
from assistant.companion.delivery import DeliveryEngine
from assistant.companion.devices import DeviceStore
from assistant.companion.egress import Egress
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.companion.tls import ensure_certificate
from assistant.paths import resolve_paths
from assistant.secrets import SecretStore
from assistant.storage import Storage

SECRET_TEXT = "the door code is 4711"


def _queue(home, n: int, text: str = SECRET_TEXT) -> list[int]:
    """Queue notify_phone messages as the tool does (its Outbox, the same database)."""
    storage = Storage(home / "data" / "heron.db")
    try:
        return [Outbox(storage).enqueue(NoticeKind.PHONE_NOTIFY, {"text": f"{text} #{i}"})
                for i in range(n)]
    finally:
        storage.close()


def _delivery(server, token, oid: int, bridge: str, timeout_s: float = 20) -> dict:
    end = time.monotonic() + timeout_s
    with server.client(token) as c:
        while time.monotonic() < end:
            for n in c.get("/api/notifications").json()["notifications"]:
                for d in n["delivery"]:
                    if n["id"] == oid and d["bridge"] == bridge and d["state"] != "queued":
                        return d
            time.sleep(0.1)
    raise AssertionError(f"{bridge} did not settle {oid}")


def test_webhook_and_ntfy_deliver_with_retries_and_no_private_text(heron_home,
                                                                   server_factory):
    hook, ntfy = WebhookReceiver(fail_first=2), NtfyServer(token="tk_secret", fail_first=1)
    try:
        write_config(heron_home, webpush=False, webhook_url=f"{hook.url}/heron",
                     ntfy_url=f"{ntfy.url}/heron-alerts")
        SecretStore(resolve_paths({"HERON_HOME": str(heron_home)}).data_dir).set(
            "companion.ntfy_token", "tk_secret")
        server = server_factory()
        token = server.pair()
        (oid,) = _queue(heron_home, 1)
        got = hook.wait_for(1)[0]
        assert hook.refused == 2  # retried with backoff after two 503s
        assert got["json"]["id"] == oid and got["idempotency_key"] == f"heron-{oid}"
        assert got["json"]["fetch"] == f"/api/notifications/{oid}"
        published = ntfy.wait_for(1)[0]
        assert ntfy.refused == 1 and published["topic"] == "heron-alerts"
        assert published["title"] == "Message from Heron"
        for sent in (json.dumps(got), json.dumps(published)):
            assert "4711" not in sent and "door" not in sent
        assert _delivery(server, token, oid, "webhook")["attempts"] == 3
        assert _delivery(server, token, oid, "ntfy")["state"] == "delivered"
        with server.client(token) as phone:  # the text itself: over the API only
            assert phone.get(f"/api/notifications/{oid}").json()["body"]["text"] \
                == f"{SECRET_TEXT} #0"
    finally:
        hook.close()
        ntfy.close()


def test_ntfy_with_a_wrong_token_is_retried_and_shown_as_failing(heron_home,
                                                                 server_factory):
    ntfy = NtfyServer(token="right")
    try:
        write_config(heron_home, webpush=False, ntfy_url=f"{ntfy.url}/t")
        SecretStore(resolve_paths({"HERON_HOME": str(heron_home)}).data_dir).set(
            "companion.ntfy_token", "wrong")
        server = server_factory()
        token = server.pair()
        (oid,) = _queue(heron_home, 1)
        end = time.monotonic() + 10
        with server.client(token) as c:
            while time.monotonic() < end:
                n = c.get("/api/notifications").json()["notifications"][0]
                d = {x["bridge"]: x for x in n["delivery"]}.get("ntfy")
                if d and d["attempts"] >= 2:
                    break
                time.sleep(0.2)
        assert d["state"] == "queued" and "401" in d["last_error"]
        assert ntfy.received == []
    finally:
        ntfy.close()


def test_web_push_is_vapid_signed_and_decrypts_to_an_id_only(tmp_path):
    cert, key = ensure_certificate(tmp_path, ["127.0.0.1"])
    push = PushService(fail_first=1, tls=(str(cert), str(key)))
    try:
        out = asyncio.run(_push_through_the_bridge(tmp_path, push, cert))
    finally:
        push.close()
    msg, vapid_key = out["message"], out["vapid_key"]
    assert push.refused == 1  # the push service's 503 was retried
    assert msg["payload"]["id"] == out["oid"]
    assert msg["payload"]["dedup_id"] == f"heron-{out['oid']}"
    assert msg["claims"]["k"] == vapid_public_key(vapid_key)
    assert msg["claims"]["sub"].startswith("mailto:") and msg["ttl"] == "3600"
    assert "4711" not in json.dumps(msg["payload"]) and b"4711" not in msg["raw"]
    assert out["state"] == "delivered"


async def _push_through_the_bridge(home, push: PushService, cert) -> dict:
    """The bridge and the delivery engine in process: a push service on this machine is
    what Heron refuses in use (test_companion_attacks), so only here, through the
    Python API and nowhere in config.toml, is loopback let through, over TLS."""
    storage = Storage(home / "heron.db")
    devices = DeviceStore(storage)
    device, _ = devices.pair(devices.new_pairing_code()[0], "phone")
    with storage.transaction() as cur:
        cur.execute("INSERT INTO companion_push(endpoint, device_id, p256dh, auth, "
                    "created_at) VALUES (?,?,?,?,?)",
                    (push.subscription["endpoint"], device.id,
                     push.subscription["keys"]["p256dh"], push.subscription["keys"]["auth"],
                     time.time()))
    vapid_key = new_vapid_key()
    tls = ssl.create_default_context(cafile=str(cert))
    try:
        async with httpx.AsyncClient(verify=tls) as http:
            bridge = WebPushBridge(storage, vapid_key, "mailto:heron@localhost", http,
                                   Egress(allow=lambda ip: ip.is_loopback))
            oid = Outbox(storage).enqueue(NoticeKind.PHONE_NOTIFY, {"text": f"{SECRET_TEXT} #0"})
            engine = asyncio.create_task(DeliveryEngine(storage, [bridge]).run())
            try:
                (message,) = await asyncio.to_thread(push.wait_for, 1)
                end = time.monotonic() + 20
                while time.monotonic() < end:
                    (row,) = storage.query("SELECT state FROM outbox_delivery WHERE "
                                           "outbox_id=? AND bridge='webpush'", (oid,))
                    if row["state"] != "queued":
                        break
                    await asyncio.sleep(0.1)
            finally:
                engine.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await engine
    finally:
        storage.close()
    return {"message": message, "vapid_key": vapid_key, "oid": oid, "state": row["state"]}


async def _app(url: str, token: str, want: int, timeout_s: float = 30) -> list[int]:
    """A phone app: authenticates, acks each notification, returns every id received
    (duplicates included: nothing here deduplicates)."""
    ids: list[int] = []
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        end = time.monotonic() + timeout_s
        while len(ids) < want and time.monotonic() < end:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
            except TimeoutError:
                continue
            if msg["type"] == "notification":
                ids.append(msg["id"])
                await ws.send(json.dumps({"type": "ack", "id": msg["id"]}))
        await asyncio.sleep(2.5)  # would a duplicate still come?
        while True:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                return ids
            if msg["type"] == "notification":
                ids.append(msg["id"])


def test_kill_9_with_queued_notifications_then_each_reaches_the_app_exactly_once(
        server_factory, heron_home):
    server = server_factory()
    token = server.pair()
    queued = _queue(heron_home, 20)
    time.sleep(1.5)  # the engine has planned them; no app is open, so they wait
    server.kill()
    again = server_factory()
    received = asyncio.run(_app(again.ws_url, token, len(queued)))
    assert sorted(received) == queued  # all of them, none twice
    with again.client(token) as phone:
        states = {n["id"]: n["state"] for n in
                  phone.get("/api/notifications").json()["notifications"]}
    assert all(states[i] == "delivered" for i in queued)
