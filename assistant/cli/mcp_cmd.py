"""`heron mcp`: serve Heron's workers to an MCP client (Claude Desktop, an IDE, …) on
stdin/stdout. Configured external MCP servers ([mcp.servers.NAME]) are connected
first, so their tools are served too, behind the same approvals.

When the client goes away (closes our stdin), `heron mcp` ends within EXIT_GRACE_S even
if a call is still running: a watcher thread sees the pipe hang up and, if the server
has not wound down by then, ends the process (issue 13: an orphaned `heron mcp` kept
burning CPU after its client left)."""

from __future__ import annotations

import asyncio
import logging
import os
import select
import stat
import sys
import threading
import time
from collections.abc import Callable

from assistant.core import Core, build_core
from assistant.permissions.prompters import FanOutPrompter

log = logging.getLogger(__name__)

EXIT_GRACE_S = 5.0
FLUSH_BOUND_S = 2.0  # how long a forced exit waits for the audit anchor


def register(sub) -> None:
    p = sub.add_parser(
        "mcp", help="serve the workers over MCP on stdio",
        description="Serve Heron's workers over the Model Context Protocol on stdin/stdout. "
                    "Permissions, approvals and the audit log apply to every call; approvals "
                    "are asked through the MCP client when it supports elicitation.")
    p.add_argument("--approval-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="how long an approval prompt waits before it counts as a no")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    from assistant.mcp.server import McpPrompter  # the MCP SDK loads only for `heron mcp`

    # The MCP client is the surface that asks; the fan-out adds the timeout.
    prompter = FanOutPrompter([McpPrompter(timeout_s=args.approval_timeout)],
                              timeout_s=args.approval_timeout)
    watch = ClientWatch.on_stdin(EXIT_GRACE_S)
    core = build_core(ctx.paths, ctx.config, prompter=prompter)
    if watch is not None:
        watch.before_exit = core.audit.flush
    asyncio.run(serve(core))
    if watch is not None:
        watch.served = True
    return 0


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


async def serve(core: Core) -> None:
    """Load third-party workers and configured external servers, then serve until the
    client disconnects."""
    from assistant.mcp.client import connect_servers
    from assistant.mcp.server import HeronMcpServer

    connections = None
    try:
        for problem in await core.start_workers():  # stderr only: stdout is the protocol
            log.warning("worker not loaded: %s", problem)
        connections = await connect_servers(core.config.mcp, core.registry)
        for err in connections.errors:
            log.warning("%s", err)
        await HeronMcpServer(core.registry).serve_stdio()
    finally:
        if connections is not None:
            await connections.aclose()
        await core.aclose()
