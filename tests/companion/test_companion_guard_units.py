"""The pure parts of the companion's guards: which addresses count as public, which
Host headers name this server, the rate limiter's kinds, and the send-time DNS check
(a name that resolved publicly at subscribe time and points here now)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time

import httpx
import pytest
from companion_peers import Listener, PushService

from assistant.companion import guard
from assistant.companion.bridges import Notice, WebPushBridge, new_vapid_key
from assistant.companion.delivery import DeliveryEngine
from assistant.companion.devices import DeviceStore, RateLimiter
from assistant.companion.egress import Egress, EgressError, is_public
from assistant.companion.guard import CompanionGate, client_key, host_allowed, split_host
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.companion.tls import ensure_certificate
from assistant.storage import Storage


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.5.4", "192.168.0.10",
    "169.254.169.254", "fe80::1", "fc00::1", "0.0.0.0", "::", "224.0.0.251",
    "233.252.0.1", "ff02::1", "240.0.0.1", "255.255.255.255", "100.64.0.1",
    "192.0.2.7", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1",
    "2002:c0a8:101::1", "64:ff9b::7f00:1", "2001::1", "fec0::1"])
def test_local_private_and_special_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.74.10", "2a00:1450:4001::200e",
                                     "::ffff:8.8.8.8"])
def test_internet_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_host_must_name_this_server_on_its_port():
    scope = {"scheme": "http", "server": ("127.0.0.1", 8765)}
    ok = ["127.0.0.1:8765", "localhost:8765", "LocalHost:8765", "[::1]:8765"]
    bad = ["evil.example:8765", "127.0.0.1:8766", "127.0.0.1", "localhost.:8765",
           "127.0.0.1:8765:1", "[::1", "", ":8765", "127.0.0.1:x", "a@127.0.0.1:8765",
           # Host bytes \xb2 \xb3 \xb9 decode (latin-1) to digits int() refuses
           "localhost:\xb2", "[::1]:\xb9", "127.0.0.1:876\xb3"]
    assert all(host_allowed(h, scope, (), ()) for h in ok)
    assert not any(host_allowed(h, scope, (), ()) for h in bad)
    lan = {"scheme": "https", "server": ("192.168.1.5", 8765)}
    assert host_allowed("192.168.1.5:8765", lan, (), ())
    assert host_allowed("mybox.local:8765", lan, {"mybox.local"}, ())
    assert not host_allowed("mybox.local:8765", lan, (), ())
    assert host_allowed("heron.example.org", lan, (), {"heron.example.org"})
    assert split_host("heron.example.org", 443) == ("heron.example.org", 443)


def _through_the_gate(headers: list[tuple[bytes, bytes]]) -> int:
    """The status CompanionGate answers a POST /api/pair with `headers` (a public route:
    no token needed), or 200 when it passes the request on."""
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:
        sent.append({"type": "http.response.start", "status": 200})

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    settings = type("Settings", (), {"state": type("State", (), {})()})()
    scope = {"type": "http", "scheme": "http", "server": ("127.0.0.1", 8765),
             "path": "/api/pair", "headers": headers, "app": settings}
    asyncio.run(CompanionGate(app, None, frozenset({"/api/pair"}))(scope, receive, send))
    return sent[0]["status"]


def test_the_gate_refuses_what_it_cannot_parse_instead_of_failing(monkeypatch):
    host = (b"host", b"127.0.0.1:8765")
    assert _through_the_gate([host]) == 200
    assert _through_the_gate([(b"host", b"localhost:\xb2")]) == 421
    # a Content-Length of "\xb2" (the HTTP parser refuses it today: the gate too)
    assert _through_the_gate([host, (b"content-length", b"\xb2")]) == 413

    def surprise(value: str, default_port: int):
        raise IndexError("a parsing bug not yet found")

    monkeypatch.setattr(guard, "split_host", surprise)
    assert _through_the_gate([host]) == 421  # a refusal, never a 500


def test_the_limiter_counts_per_kind_and_client_and_stays_bounded():
    limiter = RateLimiter(limit=2, window_s=60)
    for _ in range(2):
        limiter.failed("pair:10.0.0.2")
    assert limiter.blocked("pair:10.0.0.2")
    assert not limiter.blocked("token:10.0.0.2") and not limiter.blocked("pair:10.0.0.3")
    for i in range(RateLimiter.MAX_KEYS + 50):
        limiter.failed(f"token:{i}")
    assert len(limiter._failures) <= RateLimiter.MAX_KEYS
    limiter.failed("token:10049")
    assert limiter.blocked("token:10049")  # the newest are kept, the first seen go
    # an IPv6 client is counted by its /64: one machine has all of those addresses
    assert client_key({"client": ("2001:db8::1", 5)}) == \
        client_key({"client": ("2001:db8::ffff:1", 5)}) == "2001:db8::/64"
    assert client_key({"client": ("10.0.0.2", 5)}) == "10.0.0.2"


def _resolver(answers: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]
    return resolve


def test_a_push_endpoint_connects_to_the_address_that_was_checked():
    egress = Egress(resolve=_resolver({"push.example": ["142.250.74.10"]}))
    target = asyncio.run(egress.target("https://push.example:8443/sub/1?x=2"))
    assert target.url == "https://142.250.74.10:8443/sub/1?x=2"
    assert (target.host, target.sni) == ("push.example:8443", "push.example")
    for url, why in [("http://push.example/", "https"),
                     ("https://mixed.example/", "local or private"),
                     ("https://user:pw@push.example/", "user name"),
                     ("ftp://push.example/", "https")]:
        egress = Egress(resolve=_resolver({"push.example": ["142.250.74.10"],
                                           "mixed.example": ["142.250.74.10", "10.0.0.1"]}))
        with pytest.raises(EgressError) as err:
            asyncio.run(egress.target(url))
        assert err.value.code == "companion.push_endpoint" and why in err.value.message


def test_a_name_that_points_here_by_send_time_is_never_contacted(tmp_path, caplog):
    """Subscribed while push.example was public; now it resolves to this machine. That
    subscription is dropped, never contacted, and the notice is delivered once to the
    phone whose subscription still works (a retry would push to it again)."""
    bad_peer = Listener("127.0.0.2")  # 127/8 is this machine too
    cert, key = ensure_certificate(tmp_path / "tls", ["127.0.0.1"])
    push = PushService(tls=(str(cert), str(key)))
    storage = Storage(tmp_path / "heron.db")
    try:
        devices = DeviceStore(storage)
        device, _ = devices.pair(devices.new_pairing_code()[0], "phone")
        endpoint = f"https://push.example:{bad_peer.port}/sub"
        answers = {"push.example": ["142.250.74.10"]}
        # the test's push service is let through at its own address, and only there
        trusted = ipaddress.ip_address("127.0.0.1")
        egress = Egress(allow=lambda ip: is_public(ip) or ip == trusted,
                        resolve=_resolver(answers))
        asyncio.run(egress.target(endpoint))  # what the subscribe route checked
        good = push.subscription
        with storage.transaction() as cur:
            for url, keys in ((endpoint, {"p256dh": "BPa" + "A" * 84,
                                          "auth": "AAAAAAAAAAAAAAAAAAAAAA"}),
                              (good["endpoint"], good["keys"])):
                cur.execute("INSERT INTO companion_push(endpoint, device_id, p256dh, "
                            "auth, created_at) VALUES (?,?,?,?,?)",
                            (url, device.id, keys["p256dh"], keys["auth"], time.time()))
        answers["push.example"] = ["127.0.0.2"]
        oid = Outbox(storage).enqueue(NoticeKind.PHONE_NOTIFY, {"text": "hello"})
        row = asyncio.run(_deliver_until_settled(storage, egress, cert, oid))
        assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 1, "")
        assert [m["payload"]["id"] for m in push.received] == [oid]  # once, not again
        assert [r["endpoint"] for r in storage.query("SELECT endpoint FROM "
                                                     "companion_push")] == [good["endpoint"]]
        dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert len(dropped) == 1 and "local or private" in dropped[0] \
            and "127.0.0.2" in dropped[0]
        assert bad_peer.connections == 0
    finally:
        storage.close()
        push.close()
        bad_peer.close()


def test_a_name_that_does_not_resolve_now_is_retried_and_kept(tmp_path):
    """Offline or a DNS hiccup is no reason to forget the phone's subscription."""
    storage = Storage(tmp_path / "heron.db")
    try:
        devices = DeviceStore(storage)
        device, _ = devices.pair(devices.new_pairing_code()[0], "phone")
        with storage.transaction() as cur:
            cur.execute("INSERT INTO companion_push(endpoint, device_id, p256dh, auth, "
                        "created_at) VALUES (?,?,?,?,?)",
                        ("https://push.example/sub", device.id, "BPa" + "A" * 84,
                         "AAAAAAAAAAAAAAAAAAAAAA", time.time()))

        async def offline(host: str, port: int) -> list[str]:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

        async def send() -> str:
            async with httpx.AsyncClient() as http:
                bridge = WebPushBridge(storage, new_vapid_key(), "mailto:heron@localhost",
                                       http, Egress(resolve=offline))
                with pytest.raises(RuntimeError) as err:  # the engine retries it
                    await bridge.deliver(Notice(1, NoticeKind.TIMER_FIRED))
                return str(err.value)

        assert "cannot resolve push.example" in asyncio.run(send())
        assert len(storage.query("SELECT 1 FROM companion_push")) == 1
    finally:
        storage.close()


async def _deliver_until_settled(storage: Storage, egress: Egress, cert, oid: int):
    tls = ssl.create_default_context(cafile=str(cert))
    async with httpx.AsyncClient(verify=tls) as http:
        bridge = WebPushBridge(storage, new_vapid_key(), "mailto:heron@localhost", http,
                               egress)
        engine = asyncio.create_task(DeliveryEngine(storage, [bridge]).run())
        try:
            end = time.monotonic() + 20
            rows = []
            while time.monotonic() < end:
                rows = storage.query("SELECT state, attempts, last_error FROM "
                                     "outbox_delivery WHERE outbox_id=?", (oid,))
                if rows and rows[0]["state"] != "queued":
                    break
                await asyncio.sleep(0.05)
        finally:
            engine.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await engine
    assert rows, "the engine never planned the notice"
    return rows[0]


def test_a_notice_of_a_kind_this_version_does_not_know_still_goes_out_plainly():
    """Written by a newer Heron sharing the data folder: sent as stored, titled "Heron"
    (no private text either way)."""
    known, future = Notice(1, NoticeKind.REMINDER_FIRED), Notice(2, "calendar.soon")
    assert (known.title, known.public()["kind"]) == ("Reminder", "reminder.fired")
    assert (future.title, future.public()["kind"]) == ("Heron", "calendar.soon")
