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
import signal
import socket

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from assistant.embedded_uvicorn import EmbeddedServer
from assistant.mcp.server import HeronMcpServer
from assistant.mcp.tokens import McpHttpError

MCP_PATH = "/mcp"


class BearerToken:
    """The SDK's TokenVerifier for Heron's one token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token):
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


async def serve_http(server: HeronMcpServer, sock: socket.socket, token: str) -> None:
    """Serve until SIGINT or SIGTERM, then end the open sessions and return."""
    host = sock.getsockname()[0]
    app = server.server.streamable_http_app(
        streamable_http_path=MCP_PATH, host=host, token_verifier=BearerToken(token),
        # No OAuth server here: the issuer only satisfies the settings' type; with
        # resource_server_url unset the SDK publishes no metadata pointing at it.
        auth=AuthSettings(issuer_url=endpoint(sock), resource_server_url=None))
    web = EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="on",
                                        access_log=False))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, setattr, web, "should_exit", True)
    try:
        await web.serve(sockets=[sock])
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
