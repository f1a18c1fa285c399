"""Pairing, tokens, revocation, rate limiting and the WebSocket's Origin check,
against the real server; and every route refuses a request without a valid token."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import sqlite3
import ssl
import time

import httpx
import pytest
import websockets
from conftest import heron, write_config
from fastapi.routing import APIRoute, APIWebSocketRoute

from assistant.companion.app import PUBLIC, create_app


def test_pair_with_the_cli_code_then_the_token_works_and_is_stored_hashed(server):
    code = server.pairing_code()
    with server.client(None) as anon:
        r = anon.post("/api/pair", json={"code": code, "name": "Ana's phone"})
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        again = anon.post("/api/pair", json={"code": code, "name": "thief"})
        assert again.status_code == 400 and again.json()["error"]["code"] == "companion.bad_code"
    with server.client(token) as phone:
        state = phone.get("/api/state").json()
        assert state["device"]["name"] == "Ana's phone"
    db = sqlite3.connect(server.home / "data" / "heron.db")
    (stored,) = db.execute("SELECT token_hash FROM companion_devices").fetchone()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (server.home / "data" / "heron.db").read_bytes().decode("latin-1")
    listed = json.loads(heron(server.home, "companion", "devices", "--json").stdout)
    assert [d["name"] for d in listed["devices"]] == ["Ana's phone"]


def test_pair_prints_a_qr_code_with_url_and_code(server):
    out = heron(server.home, "companion", "pair")
    assert out.returncode == 0, out.stderr
    assert "█" in out.stdout or "▀" in out.stdout  # the QR code, drawn in the terminal
    assert server.url in out.stdout and "5 minutes" in out.stdout


def test_revoked_device_is_refused_at_once_and_its_open_app_hung_up(server):
    token = server.pair()

    async def open_app_then_revoke() -> float:
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(await ws.recv())["type"] == "snapshot"
            with server.client(token) as phone:
                device_id = phone.get("/api/state").json()["device"]["id"]
                out = await asyncio.to_thread(heron, server.home, "companion", "revoke",
                                              str(device_id), "--json")
                assert out.returncode == 0 and json.loads(out.stdout)["device"]["revoked"]
                assert phone.get("/api/state").status_code == 401
            t0 = time.monotonic()
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1008
            return time.monotonic() - t0

    assert asyncio.run(open_app_then_revoke()) < 5


def _routes():
    """Every route the app has (taken from the app itself, not from a list here)."""
    app = create_app(None)
    for route in app.routes:
        if isinstance(route, APIWebSocketRoute):
            yield "WS", route.path
        elif isinstance(route, APIRoute):
            for method in route.methods:
                yield method, route.path
        else:  # FastAPI's own: the OpenAPI spec
            yield "GET", route.path


def test_every_route_but_pairing_refuses_without_a_valid_token(heron_home, server_factory):
    write_config(heron_home, webpush=False, max_auth_failures=1000)
    server = server_factory()
    valid = server.pair()
    routes = sorted(set(_routes()))
    guarded = [(m, p) for m, p in routes if p not in PUBLIC]
    assert len(guarded) >= 9 and ("WS", "/ws") in guarded
    revoked = server.pair("old phone")
    with server.client(revoked) as c:
        dev = c.get("/api/state").json()["device"]["id"]
    heron(server.home, "companion", "revoke", str(dev))
    bodies = {"/api/command": {"text": "what time is it"}, "/api/mute": {"muted": True},
              "/api/prompts/{prompt_id}": {"answer": "once"},
              "/api/push/subscribe": {"endpoint": "http://x/", "keys": {"p256dh": "a",
                                                                         "auth": "b"}}}
    for token in (None, "not-a-token", valid[:-2] + "xx", revoked):
        for method, path in guarded:
            url = path.replace("{prompt_id}", "p1").replace("{notification_id}", "1")
            if method == "WS":
                assert _ws_refused(server.ws_url, token), (token, path)
                continue
            with server.client(token) as c:
                r = c.request(method, url, json=bodies.get(path))
            assert r.status_code == 401, (token, method, path, r.status_code, r.text)
            assert r.json() == {"detail": "a paired device token is needed"}
    with server.client(valid) as c:  # and the same routes work with a valid one
        assert c.get("/api/notifications").status_code == 200
        assert c.post("/api/mute", json={"muted": True}).json() == {"muted": True}
    assert _ws_refused(server.ws_url, valid) is False


def _ws_refused(url: str, token: str | None, origin: str | None = None) -> bool:
    async def go() -> bool:
        try:
            async with websockets.connect(url, origin=origin) as ws:
                if token is not None:
                    await ws.send(json.dumps({"type": "auth", "token": token}))
                try:
                    first = json.loads(await asyncio.wait_for(ws.recv(), 8))
                except websockets.ConnectionClosed:
                    return True
                return first.get("type") != "snapshot"
        except websockets.InvalidStatus:
            return True
    return asyncio.run(go())


def test_websocket_checks_origin(server):
    token = server.pair()
    assert _ws_refused(server.ws_url, token, origin=server.url) is False
    assert _ws_refused(server.ws_url, token, origin="http://evil.example") is True


def test_failed_attempts_are_rate_limited_per_kind_and_address(heron_home, server_factory):
    write_config(heron_home, webpush=False, max_auth_failures=5)
    server = server_factory()
    good = server.pairing_code()
    phone = server.pair()
    with server.client(None) as anon:
        codes = [anon.post("/api/pair", json={"code": f"WRONG{i:03d}"}).status_code
                 for i in range(5)]
        assert codes == [400] * 5
        blocked = anon.post("/api/pair", json={"code": good})
        assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    # bad pairing codes count against pairing, not against tokens
    with server.client("guess") as guess:
        codes = [guess.get("/api/state").status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
    with server.client(phone) as c:  # a valid token is never locked out
        assert c.get("/api/state").status_code == 200


def _from(server, source: str) -> httpx.Client:
    """A client whose connections come from `source` (another 127/8 address: to the
    server, another host)."""
    return httpx.Client(base_url=server.url, timeout=30, verify=False,
                        transport=httpx.HTTPTransport(local_address=source))


def test_a_flood_of_wrong_codes_never_stops_another_client_from_pairing(heron_home,
                                                                       server_factory):
    """One machine with many addresses guesses codes; the real phone still pairs."""
    write_config(heron_home, webpush=False, max_auth_failures=5)
    server = server_factory()
    good = server.pairing_code()
    for n in range(2, 14):  # more failures in all than any shared bucket would allow
        with _from(server, f"127.0.0.{n}") as attacker:
            codes = [attacker.post("/api/pair", json={"code": f"WRONG{i:03d}"}).status_code
                     for i in range(6)]
        assert codes == [400] * 5 + [429]  # each address is still limited on its own
    with _from(server, "127.0.0.1") as phone:
        r = phone.post("/api/pair", json={"code": good, "name": "the real phone"})
        assert r.status_code == 200, r.text
        assert r.json()["device"]["name"] == "the real phone"


def test_lan_mode_serves_tls_with_the_fingerprint_in_the_pairing_qr(heron_home,
                                                                    server_factory):
    server = server_factory("--lan")
    assert server.url.startswith("https://") and len(server.fingerprint) == 95
    pair = json.loads(heron(heron_home, "companion", "pair", "--json").stdout)
    assert pair["fingerprint"] == server.fingerprint
    assert f"fp={server.fingerprint.replace(':', '%3A')}" in pair["qr_payload"]
    port = int(server.url.rsplit(":", 1)[1])
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port)) as raw, \
            ctx.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    digest = hashlib.sha256(der).hexdigest().upper()
    assert ":".join(digest[i:i + 2] for i in range(0, 64, 2)) == server.fingerprint
    with pytest.raises(httpx.HTTPError):  # no plain HTTP on the LAN
        httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
