"""`heron mcp`: serve Heron's workers to an MCP client (Claude Desktop, an IDE, …) on
stdin/stdout. Configured external MCP servers ([mcp.servers.NAME]) are connected
first, so their tools are served too, behind the same approvals."""

from __future__ import annotations

import asyncio
import logging

from assistant.core import Core
from assistant.tools.prompters import FanOutPrompter

log = logging.getLogger(__name__)


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
    core = Core(ctx.paths, ctx.config, prompter=prompter)
    asyncio.run(serve(core))
    return 0


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
