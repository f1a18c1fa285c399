"""`heron mcp`: serve Heron's workers to an MCP client (Claude Desktop, an IDE, …) on
stdin/stdout, or with `--http` over Streamable HTTP with a bearer token. Configured
external MCP servers ([mcp.servers.NAME]) are connected first, so their tools are
served too, behind the same approvals. `--show-token`/`--new-token` print the token
`--http` wants; `--set-token NAME` stores the one an external server wants.

When the client goes away (closes our stdin), `heron mcp` ends within EXIT_GRACE_S even
if a call is still running: a watcher thread sees the pipe hang up and, if the server
has not wound down by then, ends the process (issue 13: an orphaned `heron mcp` kept
burning CPU after its client left)."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import select
import socket
import stat
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from assistant.core import Core, build_core
from assistant.mcp.tokens import McpHttpError, server_token
from assistant.permissions.prompters import FanOutPrompter
from assistant.secrets import SECRET_NAME, SecretStore

if TYPE_CHECKING:
    from assistant.mcp.server import HeronMcpServer

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765  # `heron mcp --http`
EXIT_GRACE_S = 5.0
FLUSH_BOUND_S = 2.0  # how long a forced exit waits for the audit anchor


def register(sub) -> None:
    p = sub.add_parser(
        "mcp", help="serve the workers over MCP (stdio, or HTTP with --http)",
        description="Serve Heron's workers over the Model Context Protocol on stdin/stdout, "
                    "or over Streamable HTTP with --http. Permissions, approvals and the "
                    "audit log apply to every call; approvals are asked through the MCP "
                    "client when it supports elicitation.")
    p.add_argument("--approval-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="how long an approval prompt waits before it counts as a no")
    p.add_argument("--http", action="store_true",
                   help="serve at http://HOST:PORT/mcp instead of stdio; clients send "
                        "'Authorization: Bearer TOKEN' (see --show-token)")
    p.add_argument("--host", default="127.0.0.1",
                   help="with --http: the address to listen on (default 127.0.0.1, this "
                        "machine only; 0.0.0.0 opens it to your network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"with --http: the port (default {DEFAULT_PORT}; 0 picks a free one)")
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--show-token", action="store_true",
                        help="print the bearer token --http wants (made on first use), exit")
    tokens.add_argument("--new-token", action="store_true",
                        help="replace that token (clients holding the old one are refused, "
                             "by a running server too), print it, exit")
    tokens.add_argument("--set-token", metavar="NAME",
                        help="store the token an external MCP server wants as the secret "
                             "NAME (read from the terminal or stdin), for token_name = "
                             "\"NAME\" in [mcp.servers.X], exit")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    from assistant.mcp.server import McpPrompter  # the MCP SDK loads only for `heron mcp`

    if args.show_token or args.new_token:
        print(server_token(SecretStore(ctx.paths.data_dir), renew=args.new_token))
        return 0
    if args.set_token:
        return store_token(args.set_token, SecretStore(ctx.paths.data_dir))
    if not args.http and (args.host != "127.0.0.1" or args.port != DEFAULT_PORT):
        raise McpHttpError("mcp.usage", "--host and --port are for `heron mcp --http`",
                           "add --http, or leave them out to serve on stdio")
    if not 0 <= args.port <= 65535:
        raise McpHttpError("mcp.bad_address", f"--port {args.port} is not a port",
                           "give a port from 1 to 65535 (0 picks a free one)")
    # The MCP client is the surface that asks; the fan-out adds the timeout.
    prompter = FanOutPrompter([McpPrompter(timeout_s=args.approval_timeout)],
                              timeout_s=args.approval_timeout)
    if args.http:
        from assistant.mcp.http_server import listen  # uvicorn loads only for --http

        sock = listen(args.host, args.port)  # a taken port is reported before any loading
        core = build_core(ctx.paths, ctx.config, prompter=prompter)
        asyncio.run(serve(core, lambda server: _serve_http(server, sock, core, args.host)))
        return 0
    watch = ClientWatch.on_stdin(EXIT_GRACE_S)
    core = build_core(ctx.paths, ctx.config, prompter=prompter)
    if watch is not None:
        watch.before_exit = core.audit.flush
    asyncio.run(serve(core, lambda server: server.serve_stdio()))
    if watch is not None:
        watch.served = True
    return 0


def store_token(name: str, store: SecretStore) -> int:
    if not SECRET_NAME.match(name):
        raise McpHttpError("mcp.bad_token_name", f"{name!r} cannot name a secret",
                           "use lower-case letters, digits, '.', '_' or '-', e.g. ha_token")
    value = (getpass.getpass(f"Token for {name} (not shown): ") if sys.stdin.isatty()
             else sys.stdin.readline()).strip()
    if not value:
        raise McpHttpError("mcp.empty_token", "no token was given",
                           f"paste it, or pipe it in: `heron mcp --set-token {name} < file`")
    store.set(name, value)
    print(f"Token {name!r} stored in the {store.backend}; use it with "
          f'token_name = "{name}" in [mcp.servers.X].')
    return 0


async def _serve_http(server: HeronMcpServer, sock: socket.socket, core: Core,
                      host: str) -> None:
    from assistant.mcp.http_server import endpoint, is_loopback, serve_http

    await asyncio.to_thread(server_token, core.secrets)  # made now if new (a keyring
    where = endpoint(sock)  # may block); the server reads it again as it changes
    if not is_loopback(host):
        log.warning("`heron mcp --http` on %s is reachable from other machines, over plain "
                    "HTTP: anyone holding the token can call Heron's tools", host)
    print(f"Heron's MCP server: {where} (send 'Authorization: Bearer TOKEN'; "
          "`heron mcp --show-token` prints it)", file=sys.stderr, flush=True)
    await serve_http(server, sock, lambda: server_token(core.secrets))


class ClientWatch:
    """Watches the client's end of our stdin from a daemon thread (the event loop may be
    busy, or waiting on work it cannot cancel): once the client hangs up, the process
    gets `grace_s` to end by itself, then it is ended (exit 0: the client left).
    `before_exit(timeout_s)` (the audit anchor's flush) gets FLUSH_BOUND_S first."""

    def __init__(self, fd: int, grace_s: float) -> None:
        self._fd = fd
        self._grace_s = grace_s
        self.served = False  # the server returned: a slow exit is only interpreter cleanup
        self.before_exit: Callable[[float], object] | None = None
        self._exit = os._exit  # a test swaps it: a real exit would end pytest

    @classmethod
    def on_stdin(cls, grace_s: float) -> ClientWatch | None:
        """Start watching fd 0 when it is a pipe or socket (a terminal or a file never
        hangs up). The SDK diverts fd 0 while serving, so the watcher keeps a dup."""
        try:
            if not stat.S_ISFIFO(os.fstat(0).st_mode) and not stat.S_ISSOCK(
                    os.fstat(0).st_mode):
                return None
            watch = cls(os.dup(0), grace_s)
        except OSError:
            return None
        threading.Thread(target=watch._run, name="heron-mcp-client-watch",
                         daemon=True).start()
        return watch

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, 0)  # only hang-up and errors are reported
        try:
            while not poller.poll():
                pass
        except OSError:
            return
        time.sleep(self._grace_s)  # a process that ends meanwhile takes this thread along
        log.warning("the MCP client left and `heron mcp` did not finish within %g s%s; "
                    "exiting", self._grace_s,
                    "" if self.served else " (a call was still running)")
        self._flush_audit()
        sys.stderr.flush()
        self._exit(0)

    def _flush_audit(self) -> None:
        """Anchor the rows written since the last anchor update (os._exit skips
        Core.aclose). In its own daemon thread: the stuck loop may hold a lock it needs,
        and a hung keyring must not keep the process alive."""
        flush = self.before_exit
        if flush is None:
            return

        def run() -> None:
            try:
                flush(FLUSH_BOUND_S)
            except Exception as err:  # exiting anyway; the anchor only lags
                log.warning("audit log: could not anchor the last rows before exiting: %s",
                            err)

        worker = threading.Thread(target=run, name="heron-mcp-exit-flush", daemon=True)
        worker.start()
        worker.join(FLUSH_BOUND_S + 0.5)


async def serve(core: Core, run: Callable[[HeronMcpServer], Awaitable[None]]) -> None:
    """Load third-party workers and configured external servers, then `run` the server
    (until the stdio client disconnects, or until interrupted over HTTP)."""
    from assistant.mcp.server import HeronMcpServer

    try:
        for problem in await core.start_workers():  # stderr only: stdout is the protocol
            log.warning("worker not loaded: %s", problem)
        for err in await core.connect_mcp():
            log.warning("MCP server not used: %s", err)
        await run(HeronMcpServer(core.registry))
    finally:
        await core.aclose()
