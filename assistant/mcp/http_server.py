"""`heron mcp --http`: the same MCP server as on stdio (server.py), over Streamable HTTP
(the SDK's transport, served by uvicorn) for clients that cannot start a program.

Every request must carry "Authorization: Bearer TOKEN" (the SDK's bearer check; the
token is a secret Heron makes once, `heron mcp --show-token`). It listens on
127.0.0.1 unless the user names another address; there the SDK also refuses requests
whose Host or Origin is not local (DNS rebinding from a web page). Plain HTTP: for
another machine, put it behind a TLS proxy."""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import logging
import math
import signal
import socket
import time
from collections.abc import Callable

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from assistant.embedded_uvicorn import EmbeddedServer
from assistant.mcp.server import HeronMcpServer
from assistant.mcp.tokens import McpHttpError

MCP_PATH = "/mcp"
GRACE_S = 3.0  # after SIGINT/SIGTERM, for the calls in flight
REREAD_S = 5.0  # how stale the token a running server checks may be


class BearerToken:
    """The SDK's TokenVerifier for Heron's one token (compared in constant time). The
    secret is read again every few seconds, so `heron mcp --new-token` locks out the
    old token in a running server too."""

    def __init__(self, read: Callable[[], str], clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._read = read  # blocking (a keyring may be slow): run off the loop
        self._clock = clock
        self._token = b""
        self._read_at = -math.inf

    async def verify_token(self, token: str) -> AccessToken | None:
        if self._clock() - self._read_at >= REREAD_S:
            self._token = (await asyncio.to_thread(self._read)).encode()
            self._read_at = self._clock()
        if self._token and hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id="mcp-http-client", scopes=[])
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket, or a coded error saying what to change."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as err:
        raise McpHttpError("mcp.bad_address", f"cannot listen on {host!r}: {err}",
                           "give --host an address of this machine, e.g. 127.0.0.1") from err
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise McpHttpError("mcp.port_in_use",
                               f"port {port} on {host} is already in use",
                               "stop the program using it, or pick another with --port") \
                from err
        raise McpHttpError("mcp.bad_address", f"cannot listen on {host}:{port}: "
                           f"{err.strerror or err}",
                           "give --host an address of this machine and --port a free port "
                           "(ports below 1024 need root)") from err
    sock.setblocking(False)
    return sock


def endpoint(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{MCP_PATH}"


async def serve_http(server: HeronMcpServer, sock: socket.socket,
                     token: Callable[[], str]) -> None:
    """Serve until SIGINT or SIGTERM, then end the open sessions and return: clients
    keep a stream open, so they get GRACE_S to finish; a second signal ends at once."""
    host = sock.getsockname()[0]
    app = server.server.streamable_http_app(
        streamable_http_path=MCP_PATH, host=host, token_verifier=BearerToken(token),
        # No OAuth server here: the issuer only satisfies the settings' type; with
        # resource_server_url unset the SDK publishes no metadata pointing at it.
        auth=AuthSettings(issuer_url=endpoint(sock), resource_server_url=None))
    web = EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="on",
                                        access_log=False, timeout_graceful_shutdown=GRACE_S))

    def stop() -> None:
        if web.should_exit:
            web.force_exit = True
        web.should_exit = True
        # A client's open stream is cancelled after the grace time: uvicorn would print
        # that expected cancellation as an error with a traceback.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await web.serve(sockets=[sock])
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
