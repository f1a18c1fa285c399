"""External MCP servers as workers: each tool of each configured server becomes a
`McpToolProxy` named "<server>__<tool>" in the registry.

An external server is an unsandboxed process with the user's rights, so its tools
are treated as able to do anything: `confirm = "always"` and effects "write" unless
the user's config says otherwise. What the server says about itself (readOnlyHint,
destructiveHint, router-looking `x-` schema keys) never relaxes that.

Config: [mcp.servers.NAME] with command = ["prog", "arg"] and env (stdio), or url and
token_name (Streamable HTTP, the token from the secret store); enabled, confirm,
effects, timeout_s, start_timeout_s.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import httpx2
import jsonschema
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError

from assistant import __version__
from assistant.mcp.options import McpOptions, McpServerOptions
from assistant.mcp.transport import HttpTrace, open_streams
from assistant.nesting import MAX_DOCUMENT_DEPTH, measure
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError, ToolSource, ToolSourceKind
from models.errors import CodedError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext, ToolRegistry

log = logging.getLogger(__name__)

# What an external server process can reach: everything its user can.
UNRESTRICTED = ("shell", "system", "net:*", "fs.read:/**", "fs.write:/**")
MAX_SCHEMA_BYTES = 256 * 1024  # as MAX_MANIFEST_BYTES for workers; real ones are a few KB
_CONNECTION_LOST = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                    BrokenPipeError, ConnectionError, httpx2.TransportError)
SecretLookup = Callable[[str], Awaitable["str | None"]]  # a secret's value by name


class McpClientError(CodedError):
    """An external MCP server could not be started or used."""

    exit_code = 7


def proxy_name(server: str, tool: str) -> str:
    """A registry name "<server>__<tool>": snake_case, ≤ 64 chars, stable."""
    def clean(s: str) -> str:
        return re.sub(r"[^a-z0-9_]+", "_", s.lower()).strip("_") or "x"

    name = f"{clean(server)}__{clean(tool)}"
    if not name[0].isalpha():
        name = f"mcp_{name}"
    if len(name) > 64:
        digest = hashlib.sha256(f"{server}/{tool}".encode()).hexdigest()[:8]
        name = f"{name[:55].rstrip('_')}_{digest}"
    return name


def proxy_manifest(server: str, tool: types.Tool, options: McpServerOptions) -> ToolManifest:
    """The manifest for an external tool: its schema and words, our safety settings.
    Raises ValueError (or SchemaError) for a schema Heron will not validate against:
    too deep, or with patterns RE2 cannot take (permissions/schema_check.py)."""
    shape = measure(tool.input_schema or {}, max_depth=MAX_DOCUMENT_DEPTH)
    if shape.depth > MAX_DOCUMENT_DEPTH:  # what follows recurses
        raise ValueError(f"its input schema is nested more than {MAX_DOCUMENT_DEPTH} "
                         "levels deep")
    # Every check below, and each prompt that lists tools, is O(size): the same cap as a
    # worker's whole manifest. Serializing is safe now that the depth is bounded.
    size = len(json.dumps(tool.input_schema or {}, separators=(",", ":"), default=str))
    if size > MAX_SCHEMA_BYTES:
        raise ValueError(f"its input schema is {size} bytes of JSON; at most "
                         f"{MAX_SCHEMA_BYTES} are accepted")
    schema = _without_private(tool.input_schema or {})
    if schema.get("type") != "object":
        schema = {"type": "object", **{k: v for k, v in schema.items() if k != "type"}}
    jsonschema.Draft202012Validator.check_schema(schema)
    title = tool.title or (tool.annotations.title if tool.annotations else None) or tool.name
    description = f"[MCP server {server}] {tool.description or title}"[:1024]
    return ToolManifest(
        name=proxy_name(server, tool.name), title=title[:120], description=description,
        input_schema=schema, permissions=UNRESTRICTED, effects=options.effects,
        confirm=options.confirm, timeout_s=options.timeout_s)


def _without_private(schema: Any) -> Any:
    # Heron's own `x-` keys steer the router; an external server does not get to.
    if isinstance(schema, dict):
        return {k: _without_private(v) for k, v in schema.items() if not k.startswith("x-")}
    if isinstance(schema, list):
        return [_without_private(v) for v in schema]
    return schema


class McpServerConnection:
    """A persistent session with one external server. A background task owns the
    SDK's context managers (they must open and close in one task); calls from any
    task use the session. A dead server is restarted on the next call."""

    def __init__(self, name: str, options: McpServerOptions,
                 errlog: TextIO | None = None, secrets: SecretLookup | None = None) -> None:
        self.name = name
        self.options = options
        self.tools: list[types.Tool] = []
        self._errlog = errlog
        self._secrets = secrets
        self._http = HttpTrace()
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._session is not None and self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the server and list its tools (no-op when running)."""
        async with self._lock:
            if self.running:
                return
            await self._shutdown()
            self._closing = asyncio.Event()
            ready: asyncio.Future[list[types.Tool]] = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._own(ready), name=f"mcp-server-{self.name}")
            done, _ = await asyncio.wait({ready, self._task},
                                         timeout=self.options.start_timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if ready in done and ready.exception() is None:
                self.tools = ready.result()
                return
            err = ready.exception() if ready.done() else None
            await self._shutdown()
            raise self._start_error(err) from err

    def _start_error(self, err: BaseException | None) -> McpClientError:
        """Why the server could not be used, and what the user can do about it."""
        o, section = self.options, f"[mcp.servers.{self.name}]"
        if isinstance(err, McpClientError):
            return err
        if self._http.refused:
            what = (f"the token in secret {o.token_name!r}" if o.token_name
                    else "a request without a token")
            return McpClientError(
                "mcp.unauthorized",
                f"MCP server {self.name!r} at {o.url} refused {what} "
                f"(HTTP {self._http.status})",
                f"store a valid token: `heron mcp --set-token {o.token_name or 'NAME'}`"
                + ("" if o.token_name else f' and set token_name = "NAME" in {section}'))
        if o.url:
            hint = (f"check that the server runs and that url in {section} is its MCP "
                    "endpoint")
        else:
            hint = (f"check {section} command in config.toml; run `{o.where}` by hand to "
                    "see its errors")
        if err is None:
            return McpClientError(
                "mcp.server_unresponsive",
                f"MCP server {self.name!r} did not answer within {o.start_timeout_s:g} s",
                hint)
        verb = "could not be reached" if o.url else "could not start"
        return McpClientError("mcp.server_start_failed",
                              f"MCP server {self.name!r} {verb}: {_leaf(err)}", hint)

    async def _own(self, ready: asyncio.Future[list[types.Tool]]) -> None:
        self._http = HttpTrace()
        try:
            token = await self._token()
            async with (open_streams(self.options, token=token, trace=self._http,
                                     errlog=self._errlog) as (read, write),
                        ClientSession(read, write, read_timeout_seconds=self.options.timeout_s,
                                      client_info=types.Implementation(
                                          name="heron", version=__version__)) as session):
                await session.initialize()
                tools = await _list_all(session)
                self._session = session
                ready.set_result(tools)
                await self._closing.wait()
        except Exception as err:  # reported through `ready` (start) or the next call
            if not ready.done():
                ready.set_exception(err)
            else:
                log.warning("MCP server %s: session ended: %s", self.name, _leaf(err))
        finally:
            self._session = None
            if not ready.done():
                ready.set_exception(ConnectionError("the server closed the connection"))

    async def _token(self) -> str | None:
        """The bearer token, read from the secret store at each (re)connect: a token
        stored after Heron started is used without a restart."""
        name = self.options.token_name
        if not name:
            return None
        token = await self._secrets(name) if self._secrets is not None else None
        if not token:
            raise McpClientError(
                "mcp.no_token",
                f"MCP server {self.name!r} needs the token in secret {name!r}, which is not "
                "stored", f"store it: `heron mcp --set-token {name}`")
        return token

    async def call(self, tool: str, args: dict[str, Any]) -> types.CallToolResult:
        """Call `tool`; reconnects first if the server has gone away."""
        session = await self._live_session()
        try:
            result = await session.call_tool(tool, args)
        except MCPError as err:
            if self._lost(err):
                await self.stop()
                raise self._down() from err
            raise ToolError("mcp.call_failed", f"MCP server {self.name!r}: {err}") from err
        except _CONNECTION_LOST as err:
            await self.stop()
            raise self._down() from err
        except RuntimeError as err:  # e.g. a result outside the tool's output schema
            raise ToolError("mcp.bad_result", f"MCP server {self.name!r}: {err}") from err
        if not isinstance(result, types.CallToolResult):
            raise ToolError("mcp.bad_result",
                            f"MCP server {self.name!r} sent an unexpected result")
        return result

    async def _live_session(self) -> ClientSession:
        session = self._session
        if session is not None and self.running:
            try:  # a server that died while idle is noticed here, before the call is sent
                await session.send_ping()
                return session
            except (MCPError, *_CONNECTION_LOST):
                log.info("MCP server %s is gone; connecting again", self.name)
                await self.stop()
        try:
            await self.start()
        except McpClientError as err:  # a refused or missing token keeps its own code
            code = err.code if err.code in ("mcp.unauthorized", "mcp.no_token") \
                else "mcp.server_down"
            raise ToolError(code, err.message, err.hint) from err
        assert self._session is not None
        return self._session

    def _down(self) -> ToolError:
        if self.options.url:
            return ToolError("mcp.server_down",
                             f"MCP server {self.name!r} went away during the call",
                             "Heron reconnects on the next call")
        return ToolError("mcp.server_down", f"MCP server {self.name!r} stopped during the call",
                         "it is restarted on the next call")

    def _lost(self, err: MCPError) -> bool:
        return err.code == types.CONNECTION_CLOSED or not self.running

    async def stop(self) -> None:
        """Close the session and the server process (idempotent)."""
        async with self._lock:
            await self._shutdown()

    async def _shutdown(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._closing.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            log.warning("MCP server %s did not shut down in time", self.name)
        except Exception:  # already reported by _own
            pass


class McpToolProxy:
    """One external tool as a Heron worker (implements the Tool protocol). The tools of
    one server share its connection: stopping one proxy closes it, and the others
    reconnect on their next call."""

    def __init__(self, connection: McpServerConnection, tool: types.Tool) -> None:
        self.connection = connection
        self.remote_name = tool.name
        self.manifest = proxy_manifest(connection.name, tool, connection.options)

    async def start(self) -> None:
        await self.connection.start()

    async def stop(self) -> None:
        await self.connection.stop()

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        result = await self.connection.call(self.remote_name, args)
        text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
        if result.is_error:
            raise ToolError("mcp.tool_error",
                            f"{self.connection.name} {self.remote_name}: {text or 'failed'}")
        out: dict[str, Any] = {"server": self.connection.name, "tool": self.remote_name,
                               "text": text, "speech": text}
        if result.structured_content is not None:
            out["structured"] = result.structured_content
        other = [c.type for c in result.content if not isinstance(c, types.TextContent)]
        if other:
            out["other_content"] = other
        return out


@dataclass
class McpConnections:
    """What `connect_servers` started, and what it could not."""

    servers: dict[str, McpServerConnection] = field(default_factory=dict)
    proxies: list[McpToolProxy] = field(default_factory=list)
    errors: list[CodedError] = field(default_factory=list)

    async def aclose(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.servers.values()))


async def connect_servers(options: McpOptions | None, registry: ToolRegistry,
                          errlog: TextIO | None = None,
                          secrets: SecretLookup | None = None) -> McpConnections:
    """Start (or reach) every enabled server and register a proxy per tool; `secrets`
    looks up the bearer tokens of HTTP servers. A server that fails is reported in
    `.errors` (coded) and logged; the others still load."""
    out = McpConnections()
    if options is None:
        return out
    conns = [McpServerConnection(opts.name or key, opts, errlog, secrets)
             for key, opts in options.servers.items() if opts.enabled]
    try:
        started = await asyncio.gather(*(c.start() for c in conns), return_exceptions=True)
    except asyncio.CancelledError:  # Heron stopping while they start: none is left running
        await asyncio.shield(asyncio.gather(*(c.stop() for c in conns),
                                            return_exceptions=True))
        raise
    for conn, outcome in zip(conns, started, strict=True):
        if isinstance(outcome, BaseException):
            err = outcome if isinstance(outcome, CodedError) else McpClientError(
                "mcp.server_start_failed", f"MCP server {conn.name!r}: {outcome}")
            log.warning("%s", err)
            out.errors.append(err)
            continue
        out.servers[conn.name] = conn
        source = ToolSource(ToolSourceKind.MCP, f"{conn.name}: {conn.options.where}")
        for tool in conn.tools:
            try:
                proxy = McpToolProxy(conn, tool)
                registry.register(proxy, source)
            except (ValueError, jsonschema.SchemaError) as err:
                why = err.message if isinstance(err, CodedError | jsonschema.SchemaError) \
                    else str(err)
                bad = McpClientError("mcp.bad_tool", f"MCP server {conn.name!r}: tool "
                                     f"{tool.name!r} was not added: {why}",
                                     "rename or fix the tool on that server")
                log.warning("%s", bad)
                out.errors.append(bad)
                continue
            out.proxies.append(proxy)
    return out


async def _list_all(session: ClientSession) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(100):  # a server whose cursor never ends does not hang us
        page = await session.list_tools(
            params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _leaf(err: BaseException) -> str:
    """The first real error inside (anyio wraps errors in exception groups)."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return str(err) or type(err).__name__
