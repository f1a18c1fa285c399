"""How Heron reaches one external MCP server: a program it starts and talks to over
stdio, or a server already running at a URL, over Streamable HTTP (the SDK's
transports both). Over HTTP the server's answers are watched for a refused token, so
the user is told which secret to fix instead of "the server returned an error"."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import httpx2
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from assistant.mcp.options import McpServerOptions

# The SDK's own defaults for Streamable HTTP: a reply stream may stay open for minutes.
SSE_READ_TIMEOUT_S = 300.0
REFUSED = (401, 403)


@dataclass
class HttpTrace:
    """What the last HTTP answer from the server said (0: none yet)."""

    status: int = 0

    @property
    def refused(self) -> bool:
        return self.status in REFUSED

    async def note(self, response: httpx2.Response) -> None:
        self.status = response.status_code


@asynccontextmanager
async def open_streams(options: McpServerOptions, *, token: str | None = None,
                       trace: HttpTrace | None = None,
                       errlog: TextIO | None = None) -> AsyncIterator[tuple[Any, Any]]:
    """The (read, write) streams of a ClientSession for this server. `token` goes out
    as "Authorization: Bearer …" (HTTP only); `trace` records each HTTP status."""
    if not options.url:
        command = options.command
        params = StdioServerParameters(command=command[0], args=list(command[1:]),
                                       env=dict(options.env) or None)
        async with stdio_client(params, errlog=errlog or sys.stderr) as (read, write):
            yield read, write
        return
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    hooks = {"response": [trace.note]} if trace is not None else {}
    timeout = httpx2.Timeout(options.start_timeout_s, read=SSE_READ_TIMEOUT_S)
    async with (httpx2.AsyncClient(headers=headers, timeout=timeout,
                                   event_hooks=hooks) as http,
                streamable_http_client(options.url, http_client=http) as (read, write)):
        yield read, write
