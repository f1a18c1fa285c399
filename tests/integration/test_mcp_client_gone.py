"""Issue 13, item 4 (part): `heron mcp` exits when its client goes away, even while a
call is still running. The client here is the SDK's `ClientSession` over a transport
that, like a crashed or careless MCP host, closes the server's stdin and never kills
it (the SDK's own stdio_client would kill it after two seconds and hide the bug)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import mcp_types as types
from anyio.streams.text import TextReceiveStream
from helpers import REPO, run_heron
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from test_mcp import audit_rows

from assistant.audit import AuditLog
from assistant.audit.anchor import marker_path
from assistant.paths import resolve_paths
from assistant.secrets import SecretStore
from assistant.storage import Storage

GONE = (anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError)
EXIT_BOUND_S = 10.0  # generous: the bug is a process that never exits
SLOW_WORKER = '''\
name = "slow_sum"
version = "1.0.0"
api = "^1.0"
title = "Add slowly"
description = "Adds two numbers, taking its time."
entry = "worker.py"
permissions = []
effects = "read"
confirm = "never"
timeout_s = 120

[input_schema]
type = "object"
properties = { a = { type = "integer" } }
'''
SLOW_CODE = '''\
import time


def run(args, caps):
    deadline = time.monotonic() + 100
    while time.monotonic() < deadline:  # busy, as a stuck computation would be
        pass
    return {"sum": args.get("a", 0)}
'''


# A schema whose validation takes exponential time in pure Python (each level tries
# both branches of an anyOf that all fail at the bottom): "validation still running".
BOMB_DEPTH = 40
BOMB_SCHEMA = "".join(
    f'[input_schema."$defs".n{i}]\n'
    f'anyOf = [{{ "$ref" = "#/$defs/n{i + 1}" }}, {{ "$ref" = "#/$defs/n{i + 1}" }}]\n'
    for i in range(BOMB_DEPTH)) + f'[input_schema."$defs".n{BOMB_DEPTH}]\ntype = "null"\n'


def seed_audit(home: Path, n: int) -> None:
    """Rows from an earlier session, anchored: the server's next row is then batched."""
    paths = resolve_paths({"HERON_HOME": str(home)})
    paths.ensure()
    storage = Storage(paths.db_file)
    try:
        audit = AuditLog.open(storage, SecretStore(paths.data_dir),
                              anchor_path=marker_path(paths))
        for i in range(n):
            audit.append("call", {"tool": "get_time", "status": "ok", "i": i})
        audit.close()
    finally:
        storage.close()


def install_worker(home: Path, name: str, manifest: str, code: str) -> None:
    worker = home / "data" / "workers" / name
    worker.mkdir(parents=True)
    (worker / "heron-worker.toml").write_text(manifest, encoding="utf-8")
    (worker / "worker.py").write_text(code, encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def call(session: ClientSession, tool: str, args: dict) -> None:
    with contextlib.suppress(MCPError):  # the answer never comes: the server is gone
        await session.call_tool(tool, args)


async def poll(condition, timeout_s: float) -> None:
    with anyio.fail_after(timeout_s):
        while not condition():  # noqa: ASYNC110 - another process's state: no event
            await anyio.sleep(0.05)


async def leave_during_a_call(home: Path, tool: str, args: dict, started,
                              elicit=None) -> float:
    """Start `heron mcp`, call `tool`, wait for `started(pid)`, close stdin, return how
    long the server took to exit after that (killed and failed past the bound)."""
    env = {**os.environ, "HERON_HOME": str(home)}
    errlog = (home / "mcp-stderr.log").open("wb")  # noqa: ASYNC230, SIM115 - closed below
    proc = await anyio.open_process([sys.executable, "-m", "assistant", "mcp",
                                     "--approval-timeout", "120"], cwd=REPO, env=env,
                                    stderr=errlog)
    to_client, from_server = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    to_server, from_client = anyio.create_memory_object_stream[SessionMessage](0)

    async def read_stdout() -> None:
        buffer = ""
        with contextlib.suppress(*GONE):
            async with to_client:
                async for chunk in TextReceiveStream(proc.stdout):
                    *lines, buffer = (buffer + chunk).split("\n")
                    for line in lines:
                        await to_client.send(SessionMessage(
                            types.jsonrpc_message_adapter.validate_json(line)))

    async def write_stdin() -> None:
        with contextlib.suppress(*GONE):
            async with from_client:
                async for message in from_client:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await proc.stdin.send((data + "\n").encode())

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_stdout)
            tg.start_soon(write_stdin)
            async with ClientSession(from_server, to_server,
                                     elicitation_callback=elicit) as session:
                await session.initialize()
                tg.start_soon(call, session, tool, args)
                await poll(lambda: started(proc.pid), 60)
                await proc.stdin.aclose()  # the client goes away; nobody kills the server
                left = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await poll(lambda: not alive(proc.pid), EXIT_BOUND_S)
                took = time.monotonic() - left
                tg.cancel_scope.cancel()
    finally:
        if proc.returncode is None and alive(proc.pid):
            proc.kill()
        await proc.wait()
        errlog.close()
    return took


def test_heron_mcp_exits_when_its_client_leaves_during_a_busy_worker_call(
        tmp_path: Path) -> None:
    install_worker(tmp_path, "slow_sum", SLOW_WORKER, SLOW_CODE)
    allowed = run_heron(tmp_path, "workers", "allow", "slow_sum", "--mcp", timeout=120)
    assert allowed.returncode == 0, allowed.stderr
    seed_audit(tmp_path, 3)

    def running() -> bool:  # allowed, so the worker is busy with it now
        return any(r["kind"] == "decision" and r["tool"] == "slow_sum"
                   for r in audit_rows(tmp_path))

    took = anyio.run(leave_during_a_call, tmp_path, "slow_sum", {"a": 1}, lambda _: running())
    assert took < EXIT_BOUND_S, (tmp_path / "mcp-stderr.log").read_text()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / "data" / "workers")],
                              capture_output=True, text=True, check=False)
    assert leftover.stdout == "", "the worker outlived heron mcp"
    # However the server ended (on its own, or forced by the watcher: see
    # tests/unit/test_mcp_client_watch.py), its decision row was anchored.
    anchor = json.loads((tmp_path / "config" / "audit-anchor.json").read_text())
    rows = audit_rows(tmp_path)
    assert (anchor["count"], anchor["last_id"]) == (len(rows), rows[-1]["id"])
    verified = run_heron(tmp_path, "audit", "verify", timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_heron_mcp_exits_when_its_client_leaves_during_an_approval_prompt(
        tmp_path: Path) -> None:
    asked: list[str] = []

    async def never_answers(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        await anyio.sleep_forever()

    took = anyio.run(leave_during_a_call, tmp_path, "take_note", {"text": "pay rent"},
                     lambda _: bool(asked), never_answers)
    assert took < EXIT_BOUND_S, (tmp_path / "mcp-stderr.log").read_text()



def test_heron_mcp_exits_when_its_client_leaves_during_a_validation_that_never_ends(
        tmp_path: Path) -> None:
    bomb = SLOW_WORKER.replace("slow_sum", "bomb").replace(
        "properties = { a = { type = \"integer\" } }",
        'properties = { a = { "$ref" = "#/$defs/n0" } }\n' + BOMB_SCHEMA)
    install_worker(tmp_path, "bomb", bomb, SLOW_CODE)  # arguments are checked first
    base: list[float] = []

    def busy(pid: int) -> bool:  # the server has spent a second of CPU on the call
        base.append(cpu_seconds(pid))
        return base[-1] - base[0] >= 1.0 or bool(audit_rows(tmp_path))

    took = anyio.run(leave_during_a_call, tmp_path, "bomb", {"a": "x"}, busy)
    assert took < EXIT_BOUND_S, (tmp_path / "mcp-stderr.log").read_text()
