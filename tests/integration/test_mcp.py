"""MCP both ways, with real protocol peers: the SDK's own stdio client drives
`heron mcp` in a subprocess, and Heron's client drives a real external MCP server
(tests/fixtures/mcp/demo_server.py, written with the SDK's MCPServer)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import mcp_types as types
from helpers import REPO, run_heron
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from assistant.audit import AuditLog
from assistant.bus import EventBus
from assistant.mcp.client import McpOptions, McpServerOptions, connect_servers, proxy_name
from assistant.paths import resolve_paths
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

DEMO = REPO / "tests" / "fixtures" / "mcp" / "demo_server.py"
HERON_MCP = ["-m", "assistant", "mcp"]


def heron_mcp(home: Path, client_body, elicitation_callback=None) -> Any:
    """Spawn `python -m assistant mcp` with HERON_HOME=home, connect the SDK's client
    and run `await client_body(session)`."""
    params = StdioServerParameters(
        command=sys.executable, args=[*HERON_MCP, "--approval-timeout", "20"], cwd=REPO,
        env={"HERON_HOME": str(home), "PYTHONPATH": os.environ.get("PYTHONPATH", "")})

    async def main() -> Any:
        async with (stdio_client(params) as (read, write),
                    ClientSession(read, write, read_timeout_seconds=60,
                                  elicitation_callback=elicitation_callback) as session):
            await session.initialize()
            return await client_body(session)

    return asyncio.run(main())


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def audit_rows(home: Path) -> list[dict[str, Any]]:
    storage = Storage(resolve_paths({"HERON_HOME": str(home)}).db_file)
    try:  # reading the rows needs no key (only verifying the chain does)
        return AuditLog(storage, b"").entries(limit=1000)
    finally:
        storage.close()


def demo_config(home: Path, mark: Path, extra: str = "") -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"""
[mcp.servers.demo]
command = [{json.dumps(sys.executable)}, {json.dumps(str(DEMO))}]
env = {{ DEMO_MARK = {json.dumps(str(mark))} }}
{extra}
""", encoding="utf-8")


# -- (a) heron mcp serves the registry ------------------------------------------------

def test_heron_mcp_serves_the_workers_through_policy_and_audit(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> dict[str, Any]:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        return {
            "tools": tools,
            "time": await s.call_tool("get_time", {}),
            "timer": await s.call_tool("set_timer", {"seconds": 90}),
            "invalid": await s.call_tool("set_timer", {"seconds": "soon"}),
            "unknown": await s.call_tool("no_such_tool", {}),
        }

    # A timer changes something: over MCP it is asked about, unless allowed for MCP.
    allowed = run_heron(tmp_path, "workers", "allow", "set_timer", "--mcp", timeout=120)
    assert allowed.returncode == 0, allowed.stderr
    got = heron_mcp(tmp_path, body)
    tools = got["tools"]
    assert {"get_time", "get_date", "set_timer", "list_timers", "cancel_timer",
            "pause_timer", "add_to_list", "read_list", "media_pause", "set_volume",
            "get_weather", "broadcast", "calculate", "convert"} <= set(tools)
    seconds = tools["set_timer"].input_schema["properties"]["seconds"]
    assert seconds["type"] == "integer" and not any(k.startswith("x-") for k in seconds)
    assert tools["set_timer"].input_schema["required"] == ["seconds"]
    assert tools["get_time"].annotations.read_only_hint is True
    assert tools["set_timer"].annotations.read_only_hint is False
    assert tools["set_timer"].annotations.destructive_hint is False

    time = got["time"]
    assert not time.is_error
    assert re.fullmatch(r"It's \d{1,2}:\d{2} [AP]M\.", text_of(time))
    assert "iso" in time.structured_content

    timer = got["timer"]
    assert not timer.is_error, text_of(timer)
    assert "1 minute and 30 seconds" in text_of(timer)

    invalid = got["invalid"]
    assert invalid.is_error
    assert "'soon' is not of type 'integer'" in text_of(invalid)
    assert "[tool.invalid_args]" in text_of(invalid)
    assert got["unknown"].is_error and "tool.unknown" in text_of(got["unknown"])

    # The timer set over MCP is the user's timer: the CLI sees it.
    listed = run_heron(tmp_path, "ask", "list my timers", "--json", timeout=120)
    assert listed.returncode == 0, listed.stderr
    reply = json.loads(listed.stdout)
    timers = reply["tool_calls"][0]["result"]["timers"]
    assert [t["duration_s"] for t in timers] == [90]

    calls = [r for r in audit_rows(tmp_path) if r["kind"] == "call" and r["source"] == "mcp"]
    assert [(r["tool"], r["status"]) for r in calls] == [
        ("get_time", "ok"), ("set_timer", "ok"), ("set_timer", "invalid"),
        ("no_such_tool", "unknown")]


# -- (b) approvals over MCP ------------------------------------------------------------

def test_heron_mcp_refuses_a_call_that_needs_approval_when_the_client_cannot_ask(
        tmp_path: Path) -> None:
    mark = tmp_path / "marks.txt"
    demo_config(tmp_path, mark)

    async def body(s: ClientSession) -> dict[str, Any]:
        names = [t.name for t in (await s.list_tools()).tools]
        return {"names": names, "mark": await s.call_tool("demo__mark", {"text": "hi"})}

    got = heron_mcp(tmp_path, body)
    assert {"demo__echo", "demo__mark", "get_time"} <= set(got["names"])
    refused = got["mark"]
    assert refused.is_error
    assert "needs your approval" in text_of(refused)
    assert "cannot show approval prompts" in text_of(refused)
    assert not mark.exists()  # the external tool never ran
    decisions = [r for r in audit_rows(tmp_path)
                 if r["kind"] == "decision" and r["tool"] == "demo__mark"]
    assert [(d["decision"], d["source"]) for d in decisions] == [("deny", "mcp")]


def test_heron_mcp_asks_through_the_client_and_obeys_the_answer(tmp_path: Path) -> None:
    mark = tmp_path / "marks.txt"
    demo_config(tmp_path, mark)
    asked: list[str] = []
    answers = iter(["decline", "once"])

    async def elicit(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        choice = next(answers)
        if choice == "decline":
            return types.ElicitResult(action="decline")
        offered = params.requested_schema["properties"]["answer"]["oneOf"]
        assert "once" in [o["const"] for o in offered]
        return types.ElicitResult(action="accept", content={"answer": "once"})

    async def body(s: ClientSession) -> list[types.CallToolResult]:
        return [await s.call_tool("demo__mark", {"text": "first"}),
                await s.call_tool("demo__mark", {"text": "second"})]

    declined, approved = heron_mcp(tmp_path, body, elicitation_callback=elicit)
    assert declined.is_error and "you denied it" in text_of(declined)
    assert not approved.is_error, text_of(approved)
    assert "marked second" in text_of(approved)
    assert mark.read_text().splitlines() == ["second"]
    # The prompt showed the exact action: the tool and its argument.
    assert len(asked) == 2 and "demo__mark" in asked[0] and '"first"' in asked[0]


# -- (c) external MCP servers become workers --------------------------------------------

def test_external_mcp_server_tools_become_workers_that_always_confirm(tmp_path: Path) -> None:
    mark = tmp_path / "marks.txt"
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, b"k" * 32)
    registry = ToolRegistry(EventBus(), audit)
    options = McpOptions(servers={
        "demo": McpServerOptions(command=(sys.executable, str(DEMO)),
                                 env={"DEMO_MARK": str(mark)}),
        "broken": McpServerOptions(command=(str(tmp_path / "no-such-mcp-server"),)),
    })

    async def scenario() -> dict[str, Any]:
        conns = await connect_servers(options, registry)
        try:
            out: dict[str, Any] = {"errors": conns.errors}
            out["denied"] = await registry.call(ToolCall("demo__mark", {"text": "no"}))
            out["no_prompt_ran"] = mark.exists()

            async def approve(request):
                return Answer.ONCE
            registry.prompter = CallbackPrompter(approve)
            out["marked"] = await registry.call(ToolCall("demo__mark", {"text": "yes"}))
            out["added"] = await registry.call(ToolCall("demo__add", {"a": 2, "b": 3}))
            out["invalid"] = await registry.call(ToolCall("demo__add", {"a": "two", "b": 3}))
            out["crashed"] = await registry.call(ToolCall("demo__crash", {}))
            out["after_crash"] = await registry.call(ToolCall("demo__echo", {"text": "back"}))
            return out
        finally:
            await conns.aclose()

    got = asyncio.run(scenario())

    # The broken server is reported with a code; the demo server still loaded.
    assert [e.code for e in got["errors"]] == ["mcp.server_start_failed"]
    assert "broken" in got["errors"][0].message
    assert {"demo__echo", "demo__add", "demo__mark", "demo__crash"} <= \
        {m.name for m in registry.manifests()}

    # The server calls echo and mark read-only; that changes nothing here.
    for name in ("demo__echo", "demo__mark"):
        m = registry.get(name)
        assert (m.confirm, m.effects, m.builtin) == ("always", "write", False)
        assert "shell" in m.permissions

    assert got["denied"].status == "denied" and got["no_prompt_ran"] is False
    assert got["marked"].status == "ok", got["marked"]
    assert got["marked"].result["text"] == "marked yes"
    assert mark.read_text().splitlines() == ["yes"]
    assert got["added"].status == "ok" and got["added"].result["structured"] == {"result": 5}
    assert got["invalid"].status == "invalid"
    assert got["crashed"].status == "error" and got["crashed"].code == "mcp.server_down"
    assert got["after_crash"].status == "ok"  # restarted on the next call
    assert got["after_crash"].result["text"] == "echo: back"
    storage.close()


def test_a_server_that_is_not_an_mcp_server_is_reported_and_others_load(
        tmp_path: Path) -> None:
    registry = ToolRegistry(EventBus(), AuditLog(Storage(tmp_path / "h.db"), b"k" * 32))
    options = McpOptions(servers={
        "mute": McpServerOptions(command=(sys.executable, "-c", "import time; time.sleep(30)"),
                                 start_timeout_s=2),
        "quits": McpServerOptions(command=(sys.executable, "-c", "print('hello')")),
        "demo": McpServerOptions(command=(sys.executable, str(DEMO)), enabled=False),
    })

    async def scenario():
        conns = await connect_servers(options, registry)
        await conns.aclose()
        return conns

    conns = asyncio.run(scenario())
    codes = sorted(e.code for e in conns.errors)
    assert codes == ["mcp.server_start_failed", "mcp.server_unresponsive"]
    assert registry.manifests() == [] or all(
        not m.name.startswith(("mute__", "quits__", "demo__")) for m in registry.manifests())


def test_proxy_names_are_prefixed_snake_case_and_short() -> None:
    assert proxy_name("demo", "echo") == "demo__echo"
    assert proxy_name("My Server", "get-Weather.now") == "my_server__get_weather_now"
    assert proxy_name("9lives", "x") == "mcp_9lives__x"
    long_a, long_b = proxy_name("s", "a" * 100), proxy_name("s", "a" * 99 + "b")
    assert len(long_a) <= 64 and len(long_b) <= 64 and long_a != long_b
    assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", long_a)
