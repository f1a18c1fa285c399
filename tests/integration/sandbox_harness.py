"""The hostile-worker suite's shared set-up: a real ToolRegistry with real SQLite audit,
the good and hostile fixture workers, unix sockets outside the sandbox, and checks that
nothing of a worker is left. Used by every tests/integration/test_sandbox*.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from helpers import load_key

from assistant.audit import AuditLog
from assistant.bus import EventBus
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.manifest import manifest_from_document
from assistant.tools.registry import ToolOutcome, ToolRegistry
from assistant.workers.host import SandboxedTool
from assistant.workers.sandbox_report import something_arrived

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sandbox"


class Approve:
    """The user says yes to every prompt: only the sandbox stands in the way."""

    async def ask(self, request: PermissionRequest) -> Answer:
        return request.yes


def make_registry(tmp_path: Path) -> tuple[Storage, AuditLog, ToolRegistry]:
    """A real registry whose prompts are all answered yes, auditing into real SQLite
    under `tmp_path`. The caller closes the storage."""
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, load_key(tmp_path / "audit.key"))
    return storage, audit, ToolRegistry(EventBus(), audit, prompter=Approve())


def load_tool(name: str, **changes: Any) -> SandboxedTool:
    doc = tomllib.loads((FIXTURES / name / "heron-worker.toml").read_text())
    manifest = replace(manifest_from_document(doc), **changes)
    return SandboxedTool(manifest, FIXTURES / name, doc["entry"])


@dataclass
class Heron:
    registry: ToolRegistry
    audit: AuditLog
    good: SandboxedTool
    hostile: SandboxedTool
    granted: Path

    async def call(self, tool: str, **args: Any) -> ToolOutcome:
        return await self.registry.call(ToolCall(tool, args))

    async def still_answers(self) -> None:
        out = await self.call("word_count", text="still here")
        assert out.status == "ok", out
        assert out.result["words"] == 2

    def audit_rows(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [r for r in self.audit.entries(limit=10_000) if r["kind"] == kind
                and all(r.get(k) == v for k, v in match.items())]

    @staticmethod
    def processes_of(tool: SandboxedTool) -> list[int]:
        return processes_of(tool)

    @staticmethod
    def assert_nothing_left(tool: SandboxedTool, pgid: int | None = None) -> None:
        assert_nothing_left(tool, pgid)

    def run(self, scenario: Callable[[], Awaitable[None]]) -> None:
        async def main() -> None:
            try:
                await scenario()
            finally:
                await self.good.stop()
                await self.hostile.stop()
        asyncio.run(main())


@pytest.fixture
def heron(tmp_path: Path) -> Iterator[Heron]:
    storage, audit, registry = make_registry(tmp_path)
    granted = tmp_path / "granted"
    granted.mkdir()
    (granted / "notes.txt").write_text("granted words")
    good = load_tool("good", permissions=(f"fs.read:{granted}/**",))
    hostile = load_tool("hostile", permissions=(f"fs.read:{granted}/**",
                                                f"fs.write:{granted}/**"))
    registry.register(good)
    registry.register(hostile)
    yield Heron(registry, audit, good, hostile, granted)
    storage.close()


def processes_of(tool: SandboxedTool) -> list[int]:
    """The processes of `tool`'s worker. As root: everything running as its uid. As a
    normal user the worker keeps our uid: then our processes that are forks of its
    runner (they carry its command line, which names the tool's private directory)."""
    if os.geteuid() == 0:
        return running_as(tool.uid)
    mark = f"heron-{tool.manifest.name}-".encode()
    ours = os.readlink("/proc/self/ns/pid")  # the outer runner, which only waits, is here
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            cmdline = (entry / "cmdline").read_bytes()
            if b"assistant.workers.runner" in cmdline and mark in cmdline \
                    and os.readlink(entry / "ns" / "pid") != ours:
                pids.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


def running_as(uid: int) -> list[int]:
    """Every process whose real, effective, saved or filesystem uid is `uid`."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except (FileNotFoundError, NotADirectoryError, ProcessLookupError):
            continue
        uids = next((ln.split()[1:] for ln in status.splitlines() if ln.startswith("Uid:")), [])
        if str(uid) in uids:
            pids.append(int(entry.name))
    return pids


def kill_all_of(uid: int) -> None:
    """SIGKILL every process running as `uid` (never as our own uid: that is us)."""
    if uid == os.getuid():
        raise ValueError("refusing to kill every process of our own uid")
    for pid in running_as(uid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def zombie_children() -> list[int]:
    me, out = os.getpid(), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state == "Z" and int(ppid) == me:
            out.append(int(entry.name))
    return out


def assert_nothing_left(tool: SandboxedTool, pgid: int | None = None) -> None:
    assert processes_of(tool) == []
    assert zombie_children() == []
    if pgid is not None:
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)  # the whole process group is gone


@dataclass
class OutsideSockets:
    """Unix sockets outside the sandbox that a desktop has (D-Bus, X11, Heron's own):
    a stream listener and a datagram socket anyone may use, in a directory any uid can
    enter, a stream listener in the test's private dir (like Heron's data dir) and an
    abstract datagram socket."""

    public_stream: Path
    dgram: Path
    own_stream: Path
    abstract: str  # "@name": X11 and D-Bus listen on abstract addresses too
    listeners: list[socket.socket]

    def received_nothing(self) -> bool:
        return not any(something_arrived(sock) for sock in self.listeners)


def _listen(path: Path | str, kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, kind)
    sock.bind("\0" + path[1:] if isinstance(path, str) else str(path))
    if kind == socket.SOCK_STREAM:
        sock.listen()
    sock.setblocking(False)
    if isinstance(path, Path):
        path.chmod(0o777)
    return sock


@pytest.fixture
def outside_sockets(tmp_path: Path) -> Iterator[OutsideSockets]:
    public = Path(tempfile.mkdtemp(prefix="heron-public-", dir="/tmp"))
    public.chmod(0o755)  # pytest's tmp_path is below a 0700 directory
    own = tmp_path / "data"
    own.mkdir(exist_ok=True)
    paths = (public / "stream.sock", public / "dgram.sock", own / "heron.sock")
    abstract = f"@heron-test-{public.name}"
    listeners = [_listen(paths[0], socket.SOCK_STREAM), _listen(paths[1], socket.SOCK_DGRAM),
                 _listen(paths[2], socket.SOCK_STREAM), _listen(abstract, socket.SOCK_DGRAM)]
    try:
        yield OutsideSockets(*paths, abstract, listeners)
    finally:
        for sock in listeners:
            sock.close()
        shutil.rmtree(public, ignore_errors=True)
