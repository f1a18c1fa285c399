"""The gate in front of every companion route, as plain ASGI so it runs before FastAPI
reads a body: the Host header must name this server (DNS rebinding sends a foreign
name), a guarded route's token is checked before its body is read, bodies are capped,
and failed attempts are counted per kind and per client, never against a valid token."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from assistant.companion.app import CompanionState

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024  # the largest real body (a push subscription) is ~2.5 KB
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
DEVICE_KEY = "companion_device"  # where the gate leaves the authenticated Device
TOKEN_NEEDED = "a paired device token is needed"


def client_key(scope: Scope) -> str:
    """Who failed, for the rate limiter: the peer address (an IPv6 client by its /64,
    which one machine can fill with addresses). A Request or WebSocket works too."""
    client = scope.get("client")
    host = client[0] if client else "?"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def lan_host_names() -> frozenset[str]:
    """The names a LAN phone may use besides the address: the host name, and its mDNS
    form."""
    name = socket.gethostname().lower()
    return frozenset({name, f"{name}.local"})


def split_host(value: str, default_port: int) -> tuple[str, int] | None:
    """('name', port) from a Host header, lower-cased; None when it is malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        name, _, port_text = value.partition(":")
    if not name:
        return None
    if not port_text:
        return name, default_port
    # isdigit() alone admits "²" (a latin-1 Host byte), which int() then refuses.
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        return None
    return name, int(port_text)


def host_allowed(host: str, scope: Scope, extra_names: Iterable[str],
                 extra_hosts: Iterable[str]) -> bool:
    """The Host names this server: a loopback name, the address the client reached, or
    a name the server was given (the LAN host name, [companion] allowed_hosts), on the
    port it listens on."""
    tls = scope.get("scheme") in ("https", "wss")
    parsed = split_host(host, 443 if tls else 80)
    if parsed is None:
        return False
    if host.strip().lower() in {h.lower() for h in extra_hosts}:
        return True  # "name:port" in front of a proxy, as configured
    name, port = parsed
    server = scope.get("server") or ("", None)
    names = LOOPBACK_NAMES | {str(server[0]).lower()} | {n.lower() for n in extra_names}
    return port == server[1] and name in names


class CompanionGate:
    """Host allow-list, then authentication for every guarded HTTP route (before any body
    is read), then a body cap. The WebSocket authenticates in its first message."""

    def __init__(self, app: ASGIApp, state: CompanionState | None,
                 public: frozenset[str]) -> None:
        self.app = app
        self.state = state
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state
        host = _header(scope, b"host")
        if host is None or not _host_ok(host, scope, settings):
            await _refuse_host(scope, send, host)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in self.public:
            if self.state is None:
                await _json(send, 503, {"detail": "the companion is not running"})
                return
            token = _bearer(scope)
            device = self.state.devices.authenticate(token)
            if device is None:
                await self._refuse_token(scope, send, guessed=bool(token))
                return
            scope.setdefault("state", {})[DEVICE_KEY] = device
        length = _header(scope, b"content-length")
        if length is not None and (not (length.isascii() and length.isdigit())
                                   or int(length) > MAX_BODY_BYTES):
            await _json(send, 413, {"detail": f"the body is over {MAX_BODY_BYTES} bytes"})
            return
        await self.app(scope, _capped(receive), send)

    async def _refuse_token(self, scope: Scope, send: Send, guessed: bool) -> None:
        """401, or 429 once this client sent wrong tokens too often. Only failures count,
        so a flood of bad tokens never stops a valid one; a request with no token at
        all (a browser's /favicon.ico) guesses nothing and is not counted."""
        key = "token:" + client_key(scope)
        limiter = self.state.limiter
        if limiter.blocked(key):
            await _json(send, 429, {"detail": "too many failed attempts: wait a minute"},
                        [(b"retry-after", str(int(limiter.window_s)).encode())])
            return
        if guessed:
            limiter.failed(key)
        await _json(send, 401, {"detail": TOKEN_NEEDED}, [(b"www-authenticate", b"Bearer")])


def _host_ok(host: str, scope: Scope, settings: Any) -> bool:
    """host_allowed, where anything odd about the header is a refusal: the client sent
    it, so a parsing surprise must be its 421, never our 500 with a traceback."""
    try:
        return host_allowed(host, scope, getattr(settings, "host_names", ()),
                            getattr(settings, "allowed_hosts", ()))
    except Exception:  # any surprise in client input is a refusal
        log.info("refused an unparsable Host header %r", host[:100])
        return False


def _bearer(scope: Scope) -> str | None:
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _capped(receive: Receive) -> Receive:
    """A chunked body has no Content-Length: stop it once it passes the cap."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                # FastAPI passes HTTPException from reading the body on as the response.
                raise HTTPException(413, f"the body is over {MAX_BODY_BYTES} bytes")
        return message

    return wrapped


async def _json(send: Send, status: int, body: dict[str, Any],
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


async def _refuse_host(scope: Scope, send: Send, host: str | None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})  # the handshake gets 403
        return
    await _json(send, 421, {"error": {
        "code": "companion.bad_host",
        "message": f"this server does not answer to the host {host!r}",
        "hint": "open the companion by the URL `heron companion pair` shows "
                "(a page on another site that resolves to this machine is refused)"}})
