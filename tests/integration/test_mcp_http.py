"""MCP over Streamable HTTP, both ways, with the SDK's own peers: the SDK's HTTP client
drives `heron mcp --http` (bearer token, approvals asked through the client, audit),
and Heron's client reaches an SDK MCPServer served over HTTP with a bearer token from
Heron's secret store (tests/fixtures/mcp/demo_server.py --http), the way it reaches
Home Assistant's MCP server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from helpers import REPO, free_port, run_heron
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from test_mcp import DEMO, audit_rows, text_of

from assistant.config import load_config
from assistant.core import build_core
from assistant.mcp.http_server import GRACE_S, REREAD_S
from assistant.paths import resolve_paths
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter
from assistant.tools.call import ToolCall

START_BOUND_S = 120.0  # loading the registry's models on a busy 2-core machine


class Served:
    """A server process whose stderr is read in the background (it never blocks on a
    full pipe), with the first line that says where it listens."""

    def __init__(self, argv: list[str], env: dict[str, str], ready: str) -> None:
        self.proc = subprocess.Popen(argv, cwd=REPO, env={**os.environ, **env},
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._ready = ready
        self._seen = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if self._ready in line:
                self._seen.set()

    def wait_ready(self) -> str:
        deadline = time.monotonic() + START_BOUND_S
        while not self._seen.wait(0.2):
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
        return next(line for line in self.lines if self._ready in line)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@contextlib.contextmanager
def heron_http(home: Path) -> Iterator[tuple[str, Served]]:
    """`heron mcp --http --port 0`; yields its URL (from its first stderr line)."""
    served = Served([sys.executable, "-m", "assistant", "mcp", "--http", "--port", "0",
                     "--approval-timeout", "20"], {"HERON_HOME": str(home)},
                    ready="Heron's MCP server: ")
    try:
        line = served.wait_ready()
        yield line.split("Heron's MCP server: ", 1)[1].split()[0], served
    finally:
        served.stop()



def demo_http(port: int, token: str, mark: Path) -> Served:
    served = Served([sys.executable, str(DEMO), "--http", str(port)],
                    {"DEMO_TOKEN": token, "DEMO_MARK": str(mark)}, ready="Uvicorn running")
    served.wait_ready()
    return served


def client(url: str, token: str | None, body, elicit=None) -> Any:
    """Run `await body(session)` on an SDK client session to `url`."""
    async def main() -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (httpx2.AsyncClient(headers=headers, timeout=60) as http,
                    streamable_http_client(url, http_client=http) as (read, write),
                    ClientSession(read, write, read_timeout_seconds=60,
                                  elicitation_callback=elicit) as session):
            await session.initialize()
            return await body(session)

    return asyncio.run(main())


# -- heron mcp --http serves the registry ------------------------------------------------

@pytest.mark.slow
def test_heron_mcp_http_wants_the_token_asks_through_the_client_and_audits(
        tmp_path: Path) -> None:
    shown = run_heron(tmp_path, "mcp", "--show-token")
    assert shown.returncode == 0, shown.stderr
    token = shown.stdout.strip()
    assert len(token) >= 32 and run_heron(tmp_path, "mcp", "--show-token").stdout.strip() \
        == token  # made once, then the same
    answers = iter(["once", None])  # yes for the first timer, "decline" for the second

    async def elicit(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert "set_timer" in params.message or "timer" in params.message.lower()
        answer = next(answers)
        if answer is None:
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content={"answer": answer})

    with heron_http(tmp_path) as (url, served):
        async def body(s: ClientSession) -> dict[str, Any]:
            got = {"tools": {t.name for t in (await s.list_tools()).tools},
                   "time": await s.call_tool("get_time", {}),
                   "allowed": await s.call_tool("set_timer", {"seconds": 90}),
                   "declined": await s.call_tool("set_timer", {"seconds": 30})}
            # Stopped while this client is still connected (its stream open): it ends
            # within the grace time, not when the client leaves.
            t0 = time.monotonic()
            served.proc.send_signal(signal.SIGINT)
            got["exit"] = await asyncio.to_thread(served.proc.wait, 30)
            got["exit_s"] = time.monotonic() - t0
            return got

        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
        nobody = httpx2.post(url, json={}, timeout=30)
        wrong = httpx2.post(url, json={}, headers={"Authorization": "Bearer nope"},
                            timeout=30)
        # A web page that rebinds its own name to 127.0.0.1 still sends its own Host.
        rebound = httpx2.post(url, json={}, timeout=30, headers={
            "Authorization": f"Bearer {token}", "Host": "evil.example"})
        # A new token locks the old one out of the running server (within seconds).
        renewed = run_heron(tmp_path, "mcp", "--new-token").stdout.strip()
        time.sleep(REREAD_S + 1)
        old = httpx2.post(url, json={}, headers={"Authorization": f"Bearer {token}"},
                          timeout=30)
        got = client(url, renewed, body, elicit)
    assert got["exit"] == 0 and got["exit_s"] < GRACE_S + 10, "".join(served.lines)
    assert "Traceback" not in "".join(served.lines)
    assert old.status_code == 401

    assert {"get_time", "set_timer", "read_screen"} <= got["tools"]
    assert not got["time"].is_error and "It's" in text_of(got["time"])
    assert not got["allowed"].is_error, text_of(got["allowed"])
    assert "1 minute and 30 seconds" in text_of(got["allowed"])
    assert got["declined"].is_error
    assert "you denied it" in text_of(got["declined"])
    assert "[tool.denied]" in text_of(got["declined"])

    assert nobody.status_code == 401 and wrong.status_code == 401
    assert nobody.headers["www-authenticate"].startswith("Bearer")
    assert rebound.status_code in (403, 421)

    calls = [(r["tool"], r["status"]) for r in audit_rows(tmp_path)
             if r["kind"] == "call" and r["source"] == "mcp"]
    assert calls == [("get_time", "ok"), ("set_timer", "ok"), ("set_timer", "denied")]
    assert renewed and renewed != token
    assert run_heron(tmp_path, "mcp", "--show-token").stdout.strip() == renewed


def test_heron_mcp_http_reports_a_taken_port_and_a_bad_address(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = run_heron(tmp_path, "mcp", "--http", "--port", str(port), timeout=120)
    bad = run_heron(tmp_path, "mcp", "--http", "--host", "no-such-host.invalid", timeout=120)
    stdio = run_heron(tmp_path, "mcp", "--port", "9000", timeout=120)
    for out, code in ((busy, "mcp.port_in_use"), (bad, "mcp.bad_address"),
                      (stdio, "mcp.usage")):
        assert out.returncode == 7, out.stderr
        assert f"[{code}]" in out.stderr and "→" in out.stderr
        assert "Traceback" not in out.stderr


# -- Heron's client reaches an HTTP server with a token from the secret store ---------

def set_token(home: Path, name: str, value: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "mcp", "--set-token", name],
                          cwd=REPO, env={**os.environ, "HERON_HOME": str(home)},
                          input=value + "\n", capture_output=True, text=True, timeout=120,
                          check=False)


def http_config(home: Path, url: str, token_name: str = "demo_token") -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[mcp.servers.demo]\nurl = "{url}"\ntoken_name = "{token_name}"\n'
                      "timeout_s = 10\nstart_timeout_s = 10\n", encoding="utf-8")


def core_for(home: Path):
    paths = resolve_paths({"HERON_HOME": str(home)})
    return build_core(paths, load_config(paths.config_file))


def test_external_http_server_with_a_stored_token_becomes_workers_and_survives_a_restart(
        tmp_path: Path) -> None:
    mark, port = tmp_path / "marks.txt", free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    stored = set_token(tmp_path, "demo_token", "s3cret-token")
    assert stored.returncode == 0 and "demo_token" in stored.stdout, stored.stderr
    empty = set_token(tmp_path, "other", "")
    assert empty.returncode == 7 and "[mcp.empty_token]" in empty.stderr
    http_config(tmp_path, url)
    server = demo_http(port, "s3cret-token", mark)

    async def scenario() -> dict[str, Any]:
        nonlocal server
        core = core_for(tmp_path)
        try:
            out: dict[str, Any] = {"errors": await core.connect_mcp()}
            out["denied"] = await core.registry.call(ToolCall("demo__mark", {"text": "no"}))

            async def approve(request):
                return Answer.ONCE
            core.registry.prompter = CallbackPrompter(approve)
            out["marked"] = await core.registry.call(ToolCall("demo__mark", {"text": "yes"}))
            out["added"] = await core.registry.call(ToolCall("demo__add", {"a": 2, "b": 3}))
            t0 = time.monotonic()  # the server dies in the middle of a call …
            out["down"] = await core.registry.call(ToolCall("demo__crash", {}))
            out["down_s"] = time.monotonic() - t0
            server.stop()
            out["gone"] = await core.registry.call(ToolCall("demo__echo", {"text": "hi"}))
            server = demo_http(port, "s3cret-token", mark)  # … and comes back
            out["back"] = await core.registry.call(ToolCall("demo__echo", {"text": "hi"}))
            out["source"] = core.registry.sources()["demo__echo"]
            return out
        finally:
            await core.aclose()

    try:
        got = asyncio.run(scenario())
    finally:
        server.stop()
    assert got["errors"] == []
    m = got["marked"]
    assert got["denied"].status == "denied" and m.status == "ok", m
    assert m.result["text"] == "marked yes" and mark.read_text().splitlines() == ["yes"]
    assert got["added"].result["structured"] == {"result": 5}
    assert got["down"].status == "error" and got["down"].code == "mcp.server_down"
    assert got["down_s"] < 30  # told at once, not after the read timeout of minutes
    assert got["gone"].status == "error" and got["gone"].code == "mcp.server_down"
    assert "could not be reached" in got["gone"].error
    assert got["back"].status == "ok" and got["back"].result["text"] == "echo: hi"
    assert got["source"].detail == f"demo: {url}"


def test_a_refused_or_missing_token_and_an_unreachable_url_are_told_apart(
        tmp_path: Path) -> None:
    port = free_port()
    http_config(tmp_path, f"http://127.0.0.1:{port}/mcp")

    async def errors() -> list:
        core = core_for(tmp_path)
        try:
            return await core.connect_mcp()
        finally:
            await core.aclose()

    server = demo_http(port, "right-token", tmp_path / "m.txt")
    try:
        missing = asyncio.run(errors())
        assert set_token(tmp_path, "demo_token", "wrong-token").returncode == 0
        refused = asyncio.run(errors())
        assert set_token(tmp_path, "demo_token", "right-token").returncode == 0
        fine = asyncio.run(errors())
    finally:
        server.stop()
    unreachable = asyncio.run(errors())
    assert [e.code for e in missing] == ["mcp.no_token"]
    assert "heron mcp --set-token demo_token" in missing[0].hint
    assert [e.code for e in refused] == ["mcp.unauthorized"]
    assert "HTTP 401" in refused[0].message and "demo_token" in refused[0].hint
    assert fine == []
    assert [e.code for e in unreachable] == ["mcp.server_start_failed"]
    assert "could not be reached" in unreachable[0].message
    assert "url in [mcp.servers.demo]" in unreachable[0].hint
