"""Issue 13 item 8, as an attacker on this machine would try it against the real server:
a forged X-Forwarded-For, a flood of bad tokens, a DNS-rebinding Host, a push endpoint
pointing back at this machine, and bodies sent before any token was shown."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import sqlite3
import time

import httpx
import websockets
from companion_peers import Listener
from conftest import write_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from assistant.companion.guard import MAX_BODY_BYTES
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.storage import Storage

HANG_S = 15.0  # a reply that takes this long is the server reading what it should refuse


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_forwarded_for_rotation_does_not_bypass_the_pairing_limit(heron_home,
                                                                  server_factory):
    write_config(heron_home, webpush=False, max_auth_failures=5)
    server = server_factory()
    good = server.pairing_code()
    with server.client(None) as anon:
        for i in range(5):
            r = anon.post("/api/pair", json={"code": f"WRONG{i:03d}"},
                          headers={"X-Forwarded-For": f"198.51.100.{i}"})
            assert r.status_code == 400, r.text
        r = anon.post("/api/pair", json={"code": good},
                      headers={"X-Forwarded-For": "198.51.100.99", "X-Real-IP": "1.2.3.4"})
        assert r.status_code == 429, r.text
        assert "Retry-After" in r.headers


def test_a_flood_of_bad_tokens_never_locks_out_the_paired_phone(heron_home, server_factory):
    write_config(heron_home, webpush=False, max_auth_failures=5)
    server = server_factory()
    phone_token = server.pair()
    attacker_codes = []
    with server.client(phone_token) as phone:
        for i in range(30):
            with server.client(f"guess-{i}") as attacker:
                attacker_codes.append(attacker.get("/api/state").status_code)
            assert phone.get("/api/state").status_code == 200
        assert phone.post("/api/mute", json={"muted": True}).json() == {"muted": True}
    assert set(attacker_codes) == {401, 429} and attacker_codes[-1] == 429
    assert _ws_gets_snapshot(server.ws_url, phone_token)


def _ws_gets_snapshot(url: str, token: str, host: str | None = None,
                      origin: str | None = None) -> bool:
    """Does an app get the live state over /ws? `host` connects to the server while
    naming another host (as a browser does after DNS rebinding)."""
    async def go() -> bool:
        kwargs = {}
        target = url
        if host is not None:
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            kwargs["sock"] = socket.create_connection(("127.0.0.1", port))
            target = f"ws://{host}/ws"
        try:
            async with websockets.connect(target, origin=origin, **kwargs) as ws:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                return first.get("type") == "snapshot"
        except (websockets.InvalidStatus, websockets.ConnectionClosed):
            return False
    return asyncio.run(go())


def test_a_rebinding_host_is_refused_and_the_real_host_works(server):
    token = server.pair()
    port = _port(server)
    evil = f"evil.example:{port}"
    with server.client(token) as c:
        for method, path in (("GET", "/"), ("GET", "/app.js"), ("GET", "/api/state"),
                             ("POST", "/api/mute"), ("GET", "/openapi.json")):
            r = c.request(method, path, headers={"Host": evil},
                          json={"muted": True} if method == "POST" else None)
            assert r.status_code == 421, (path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "companion.bad_host"
        r = c.post("/api/pair", headers={"Host": evil}, json={"code": "ABCDEFGH"})
        assert r.status_code == 421
        for real in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            assert c.get("/api/state", headers={"Host": real}).status_code == 200
        # the right name on another port is someone else's origin, too
        assert c.get("/", headers={"Host": f"127.0.0.1:{port + 1}"}).status_code == 421
    assert not _ws_gets_snapshot(server.ws_url, token, host=evil,
                                 origin=f"http://{evil}")
    assert _ws_gets_snapshot(server.ws_url, token, origin=server.url)


def test_a_host_with_a_digit_int_refuses_is_a_421_not_a_crash(server):
    """Host bytes \xb2 \xb3 \xb9 are digits to str.isdigit() once decoded as latin-1,
    but not to int(): the gate must refuse them, not fail with a traceback."""
    token = server.pair()
    port = _port(server)
    for host in (b"localhost:\xb2", b"[::1]:\xb9", f"127.0.0.1:{port}\xb3".encode()):
        for path in (b"/", b"/api/state"):
            request = (b"GET " + path + b" HTTP/1.1\r\nHost: " + host
                       + f"\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            assert _raw(port, request) == 421, (host, path)
    log = (server.home / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log
    with server.client(token) as phone:  # and the server still answers the real name
        assert phone.get("/api/state").status_code == 200


def _subscription_keys() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": base64.urlsafe_b64encode(key).rstrip(b"=").decode(),
            "auth": base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode()}


def test_push_endpoints_on_this_machine_or_a_private_network_are_refused_and_never_contacted(
        heron_home, server_factory):
    listener = Listener()
    try:
        write_config(heron_home, webpush=True)
        server = server_factory()
        token = server.pair()
        keys = _subscription_keys()
        p = listener.port
        hostile = [f"http://127.0.0.1:{p}/push", f"https://127.0.0.1:{p}/push",
                   f"https://localhost:{p}/push", f"https://127.1:{p}/push",
                   f"https://2130706433:{p}/push", f"https://[::1]:{p}/push",
                   f"https://[::ffff:127.0.0.1]:{p}/push", f"https://0.0.0.0:{p}/push",
                   "https://10.1.2.3/push", "https://192.168.1.1/push",
                   "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/push",
                   "https://224.0.0.1/push", "https://[fe80::1]/push",
                   "https://[2002:7f00:1::]/push", "https://user@8.8.8.8/push"]
        with server.client(token) as phone:
            device_id = phone.get("/api/state").json()["device"]["id"]
            for endpoint in hostile:
                r = phone.post("/api/push/subscribe", json={"endpoint": endpoint,
                                                            "keys": keys})
                assert r.status_code in (400, 422), (endpoint, r.status_code, r.text)
                if r.status_code == 400:
                    assert r.json()["error"]["code"] == "companion.push_endpoint", endpoint
        # Rows that got in anyway (stored before this check, or a name that resolved
        # publicly then and to this machine now): the send-time check stops them.
        db = sqlite3.connect(heron_home / "data" / "heron.db")
        with db:
            for endpoint in (f"http://127.0.0.1:{p}/stored", f"https://localhost:{p}/stored"):
                db.execute("INSERT INTO companion_push(endpoint, device_id, p256dh, auth, "
                           "created_at) VALUES (?,?,?,?,?)",
                           (endpoint, device_id, keys["p256dh"], keys["auth"], time.time()))
        db.close()
        storage = Storage(heron_home / "data" / "heron.db")
        try:
            oid = Outbox(storage).enqueue(NoticeKind.PHONE_NOTIFY, {"text": "hello"})
            _wait_until_no_subscriptions(storage)  # refused for good: dropped, not retried
        finally:
            storage.close()
        with server.client(token) as phone:
            (n,) = [n for n in phone.get("/api/notifications").json()["notifications"]
                    if n["id"] == oid]
        (push,) = [d for d in n["delivery"] if d["bridge"] == "webpush"]
        # nobody left to push to: it waits for a subscription, no attempt spent
        assert (push["state"], push["attempts"]) == ("queued", 0), push
        log = (heron_home / "serve.log").read_text(errors="replace")
        assert log.count("dropped a Web Push subscription") == 2
        assert "local or private" in log
        assert listener.connections == 0
    finally:
        listener.close()


def _wait_until_no_subscriptions(storage: Storage, timeout_s: float = 20) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if not storage.query("SELECT 1 FROM companion_push"):
            return
        time.sleep(0.1)
    raise AssertionError("the refused push subscriptions were never dropped")


def _raw(port: int, request: bytes) -> int | None:
    """Send `request` (headers and the start of a body) and return the status, or None
    when no answer came: the server is waiting to read everything."""
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_S) as s:
        s.sendall(request)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            return None
    return int(data.split(b" ", 2)[1]) if data else None


def _post_head(port: int, path: str, token: str | None, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: application/json", *extra]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_bodies_are_refused_before_they_are_read_without_a_token(server):
    token = server.pair()
    port = _port(server)
    fifty_mb = f"Content-Length: {50 * 1024 * 1024}"
    start = b"[" * 16384  # malformed JSON: a parser would have to see all of it
    # no token: 401 at once, the 50 MB never read or parsed
    assert _raw(port, _post_head(port, "/api/command", None, fifty_mb) + start) == 401
    assert _raw(port, _post_head(port, "/api/mute", "not-a-token", fifty_mb) + start) == 401
    # a paired device: over the cap is 413 before reading, chunked or not
    assert _raw(port, _post_head(port, "/api/command", token, fifty_mb) + start) == 413
    chunk = b"4000\r\n" + b"[" * 0x4000 + b"\r\n"
    chunks = chunk * (MAX_BODY_BYTES // 0x4000 + 2)
    assert _raw(port, _post_head(port, "/api/command", token,
                                 "Transfer-Encoding: chunked") + chunks) == 413
    # pairing has no token to check: its body is capped too
    assert _raw(port, _post_head(port, "/api/pair", None, fifty_mb) + start) == 413
    with httpx.Client(base_url=server.url, timeout=30) as anon:
        r = anon.post("/api/mute", content=b"{not json",
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 401, r.text
    with server.client(token) as phone:
        deep = b"[" * 30000 + b"]" * 30000  # under the cap, but nested past any parser
        r = phone.post("/api/command", content=deep,
                       headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, r.text
        # and a normal request still works
        assert phone.post("/api/mute", json={"muted": False}).json() == {"muted": False}
