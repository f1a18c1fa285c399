"""The uvicorn server on the caller's loop: a socket we bind ourselves (so port 0
works and the URL is known before serving), TLS in LAN mode, no signal handlers
(the process that embeds it owns those)."""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from assistant.companion.guard import MAX_BODY_BYTES, lan_host_names
from assistant.companion.options import CompanionOptions
from assistant.companion.tls import ensure_certificate, fingerprint
from assistant.embedded_uvicorn import EmbeddedServer
from assistant.secrets import write_private

STATE_FILE = "companion.json"  # where `heron companion pair` finds the running server


@dataclass(frozen=True)
class Endpoint:
    url: str
    fingerprint: str  # sha256 of the TLS certificate, "" without TLS

    def to_dict(self) -> dict[str, str]:
        return {"url": self.url, "fingerprint": self.fingerprint}


def lan_address() -> str:
    """This machine's address on the LAN (the route to a public address; no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class CompanionServer:
    def __init__(self, app: FastAPI, options: CompanionOptions, data_dir: Path) -> None:
        self._data_dir = data_dir
        host = "0.0.0.0" if options.lan else "127.0.0.1"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, options.port))
        # Listening now: a client that has the URL (on_ready) may connect before
        # uvicorn's loop starts accepting; it waits in the backlog, never refused.
        self._sock.listen(128)
        port = self._sock.getsockname()[1]
        ssl: dict[str, str] = {}
        fp = ""
        if options.lan:
            public = lan_address()
            cert, key = ensure_certificate(data_dir, [public])
            ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
            fp = fingerprint(cert)
            url = f"https://{public}:{port}"
        else:
            url = f"http://127.0.0.1:{port}"
        self.endpoint = Endpoint(url, fp)
        # Names besides loopback and the address a client reached (guard.host_allowed).
        app.state.host_names = lan_host_names() if options.lan else frozenset()
        app.state.allowed_hosts = frozenset(options.allowed_hosts)
        # uvicorn would take X-Forwarded-For from any loopback peer as the client's
        # address (its default), so any local process could pick the address the rate
        # limiter counts. Only a configured reverse proxy is believed.
        proxies = list(options.trusted_proxies)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                ws="websockets-sansio", ws_ping_interval=20,
                                ws_max_size=MAX_BODY_BYTES, proxy_headers=bool(proxies),
                                forwarded_allow_ips=proxies or None, **ssl)
        self._server = EmbeddedServer(config)

    async def serve(self) -> None:
        """Serve until cancelled; the URL is in the data dir meanwhile."""
        state = self._data_dir / STATE_FILE
        write_private(state, json.dumps(self.endpoint.to_dict()))
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            with contextlib.suppress(OSError):
                state.unlink()

    def stop(self) -> None:
        self._server.should_exit = True


def running_endpoint(data_dir: Path) -> Endpoint | None:
    """The companion serving from this data dir, or None (a file left by a crashed
    server is ignored: its port no longer answers)."""
    try:
        data = json.loads((data_dir / STATE_FILE).read_text())
        endpoint = Endpoint(data["url"], data.get("fingerprint", ""))
        port = int(endpoint.url.rsplit(":", 1)[1])
    except (OSError, ValueError, KeyError, IndexError):
        return None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return endpoint
    except OSError:
        return None
