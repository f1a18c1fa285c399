"""Local servers that speak the protocols the notification bridges talk: a webhook
receiver, the ntfy publish API, and a Web Push endpoint that checks the VAPID
signature and decrypts the aes128gcm payload with its own subscription keys."""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Peer:
    """A threaded HTTP server; `fail_first` requests are answered 503 (to test retries).
    With `tls` = (cert.pem, key.pem) it speaks https."""

    def __init__(self, fail_first: int = 0, tls: tuple[str, str] | None = None) -> None:
        self.fail_first = fail_first
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = peer.handle(self.path, self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handle(self, path: str, headers: Any, body: bytes
               ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                self.refused += 1
                return 503, {"error": "try again later"}
        return self.accept(path, headers, body)

    def accept(self, path: str, headers: Any, body: bytes
               ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def wait_for(self, n: int, timeout_s: float = 20.0) -> list[dict[str, Any]]:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self.lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{type(self).__name__} got {len(self.received)} of {n}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver(Peer):
    def accept(self, path, headers, body):
        with self.lock:
            self.received.append({"path": path, "json": json.loads(body),
                                  "idempotency_key": headers.get("Idempotency-Key")})
        return 200, {"ok": True}


class NtfyServer(Peer):
    """ntfy's publish API: POST /<topic>, body = message, Title/Tags headers, access
    token as `Authorization: Bearer`; answers the message as JSON like ntfy does."""

    def __init__(self, token: str, fail_first: int = 0) -> None:
        self.token = token
        super().__init__(fail_first)

    def accept(self, path, headers, body):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"code": 40101, "http": 401, "error": "unauthorized"}
        topic = path.strip("/")
        msg = {"id": b64url(os.urandom(9)), "time": int(time.time()), "event": "message",
               "topic": topic, "title": headers.get("Title", ""),
               "message": body.decode(), "tags": headers.get("Tags", "").split(",")}
        with self.lock:
            self.received.append(msg)
        return 200, msg


class PushService(Peer):
    """A Web Push service holding one browser's subscription keys: it checks the
    VAPID JWT (ES256, aud = this origin) and decrypts each message (RFC 8291)."""

    def __init__(self, fail_first: int = 0, tls: tuple[str, str] | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        super().__init__(fail_first, tls)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": f"{self.url}/push/sub-1",
                             "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def accept(self, path, headers, body):
        if headers.get("Content-Encoding") != "aes128gcm":
            return 400, {"error": "aes128gcm only"}
        vapid = headers.get("Authorization", "")
        claims = self._check_vapid(vapid)
        if claims is None:
            return 401, {"error": "bad VAPID signature"}
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        with self.lock:
            self.received.append({"path": path, "payload": json.loads(plain),
                                  "claims": claims, "ttl": headers.get("TTL"),
                                  "raw": body})
        return 201, {}

    def _check_vapid(self, header: str) -> dict[str, Any] | None:
        # "vapid t=<jwt>, k=<server public key>" (RFC 8292)
        try:
            parts = dict(p.strip().split("=", 1) for p in header[len("vapid "):].split(","))
            head, payload, sig = parts["t"].split(".")
            k = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                             unb64url(parts["k"]))
            raw = unb64url(sig)
            der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
            k.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
            claims = json.loads(unb64url(payload))
        except Exception:
            return None
        if claims.get("aud") != self.url or claims.get("exp", 0) < time.time():
            return None
        claims["k"] = parts["k"]
        return claims


class Listener:
    """A bare TCP listener that only counts connections: whatever Heron would send
    (HTTP, a TLS handshake), a connection at all is what must not happen."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        import socket

        self.connections = 0
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()

