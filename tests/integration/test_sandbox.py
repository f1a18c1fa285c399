"""Third-party workers in the real sandbox, driven through a real ToolRegistry: each
hostile attempt is blocked or killed, the audit log shows it, and a good worker still
answers afterwards. Real subprocesses, real limits, real SQLite."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.workers.sandbox_report import enforcement_report

if TYPE_CHECKING:
    from sandbox_harness import Heron

pytest_plugins = ["sandbox_harness"]
SECRET = "/etc/shadow"
# what a plain open() outside meets: not there or read-only (its own root), or Landlock
REFUSED = ("FileNotFoundError", "OSError: [Errno 30] Read-only", "PermissionError")


def test_good_worker_runs_confined_and_reads_its_grant(heron: Heron) -> None:
    async def scenario() -> None:
        out = await heron.call("word_count", text="one two three",
                               read=str(heron.granted / "notes.txt"))
        assert out.status == "ok", out
        assert out.result["words"] == 3
        assert out.result["read"] == "granted words"
        if os.geteuid() == 0:
            assert out.result["uid"] == heron.good.uid != 0
        env = await heron.call("hostile", mode="env")
        assert set(env.result["env"]) <= {"PATH", "LANG", "HOME", "TMPDIR", "LC_CTYPE"}
        assert env.result["cwd"] == env.result["env"]["HOME"]
        assert env.result["cwd"].startswith(tempfile.gettempdir())
        private.append(env.result["cwd"])
        await heron.hostile.stop()
        heron.assert_nothing_left(heron.hostile)

    private: list[str] = []
    heron.run(scenario)
    assert not os.path.exists(private[0])  # the private dir is removed
    read = heron.audit_rows("capability", tool="word_count", allowed=True)
    assert [r["target"] for r in read] == [str(heron.granted / "notes.txt")]
    applied = heron.good.applied
    for name in ("landlock_fs", "net_namespace", "pid_namespace", "memory", "cpu",
                 "open_files", "core_dumps"):
        assert applied[name]["enforced"], (name, applied[name])


def test_reading_outside_the_grant_is_blocked(heron: Heron) -> None:
    async def scenario() -> None:
        # plain open(): refused even for the file the grant covers (the worker must ask
        # the host for it): absent from its own root, and Landlock refuses beneath it
        for path in (SECRET, "/etc/passwd", str(heron.granted / "notes.txt")):
            out = await heron.call("hostile", mode="open_read", path=path)
            assert out.status == "ok", out
            assert out.result["open_read"].startswith(REFUSED), (path, out.result)
        # through the broker: ctx.caps refuses and audits
        out = await heron.call("hostile", mode="caps_read", path=SECRET)
        assert (out.status, out.code) == ("error", "capability.denied")
        assert SECRET in out.error and "Traceback" not in out.error
        ok = await heron.call("hostile", mode="caps_read", path=str(heron.granted / "notes.txt"))
        assert ok.result == {"text": "granted words"}
        await heron.still_answers()

    heron.run(scenario)
    denied = heron.audit_rows("capability", tool="hostile", allowed=False)
    assert [r["target"] for r in denied] == [SECRET]
    assert heron.audit_rows("call", tool="hostile", status="error", code="capability.denied")


def test_writing_outside_the_private_dir_is_blocked(heron: Heron, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"

    async def scenario() -> None:
        for path in (outside, Path("/etc/heron-sandbox-test"), heron.granted / "direct.txt"):
            out = await heron.call("hostile", mode="open_write", path=str(path))
            assert out.result["open_write"].startswith(REFUSED), (path, out.result)
            assert not path.exists()
        out = await heron.call("hostile", mode="caps_write", path=str(outside))
        assert (out.status, out.code) == ("error", "capability.denied")
        assert not outside.exists()
        ok = await heron.call("hostile", mode="caps_write", path=str(heron.granted / "w.txt"))
        assert ok.result == {"bytes": 5}
        await heron.still_answers()

    heron.run(scenario)
    assert (heron.granted / "w.txt").read_text() == "pwned"  # the granted path works
    denied = heron.audit_rows("capability", tool="hostile", allowed=False)
    assert [(r["scope"], r["target"]) for r in denied] == [("fs.write:<glob>", str(outside))]


def test_sockets_fail_without_a_net_grant(heron: Heron) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    port = server.getsockname()[1]
    # a unix socket anyone may connect to (like a D-Bus or X11 socket on a desktop), in
    # a directory any uid can reach (pytest's tmp_path is below a 0700 one)
    public = Path(tempfile.mkdtemp(prefix="heron-public-", dir="/tmp"))
    public.chmod(0o755)
    unix_path = public / "service.sock"
    unix_server = socket.socket(socket.AF_UNIX)
    unix_server.bind(str(unix_path))
    unix_server.listen()
    unix_server.setblocking(False)
    unix_path.chmod(0o777)

    async def scenario() -> None:
        out = await heron.call("hostile", mode="socket", port=port, unix_path=str(unix_path))
        assert out.status == "ok", out
        for attempt in ("loopback", "external", "udp", "unix"):
            assert not out.result[attempt].startswith("ok"), (attempt, out.result)
        assert out.result["caps_net"].startswith("CapabilityError")
        assert "capability.denied" in out.result["caps_net"]
        await heron.still_answers()

    try:
        heron.run(scenario)
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing ever reached the host's loopback
        with pytest.raises(BlockingIOError):
            unix_server.accept()  # nor the unix socket
    finally:
        server.close()
        unix_server.close()
        shutil.rmtree(public, ignore_errors=True)
    denied = heron.audit_rows("capability", tool="hostile", allowed=False)
    assert [(r["scope"], r["target"]) for r in denied] == [("net:<host>", "example.com")]


def test_running_a_program_needs_the_shell_scope(heron: Heron) -> None:
    async def scenario() -> None:
        out = await heron.call("hostile", mode="shell")
        assert (out.status, out.code) == ("error", "capability.denied"), out
        await heron.still_answers()

    heron.run(scenario)
    denied = heron.audit_rows("capability", tool="hostile", allowed=False)
    assert [(r["scope"], r["target"]) for r in denied] == [("shell", "cat /etc/hostname")]


def test_fork_bomb_is_contained_and_killed_with_nothing_left(heron: Heron) -> None:
    peak, pgid, stop = [0], [None], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], len(heron.processes_of(heron.hostile)))
            proc = heron.hostile._proc
            pgid[0] = pgid[0] or (proc.pid if proc else None)
            time.sleep(0.05)

    async def scenario() -> None:
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            started = time.monotonic()
            out = await heron.call("hostile", mode="fork")
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            watcher.join()
        assert (out.status, out.code) == ("error", "worker.timeout"), out
        assert elapsed < heron.hostile.manifest.timeout_s + 1.5
        heron.assert_nothing_left(heron.hostile, pgid[0])
        await heron.still_answers()

    heron.run(scenario)
    # where the doctor says processes are limited (as root: own uid; as a normal user:
    # own user namespace on Linux >= 5.14) the bomb never got past the limit
    if enforcement_report()["processes"]["enforced"]:
        assert 2 <= peak[0] <= heron.hostile.limits.processes
    assert heron.audit_rows("call", tool="hostile", status="error", code="worker.timeout")


def test_allocating_4_gb_fails(heron: Heron) -> None:
    async def scenario() -> None:
        out = await heron.call("hostile", mode="memory")
        assert (out.status, out.code) == ("error", "worker.failed"), out
        assert "MemoryError" in out.error and "Traceback" not in out.error
        await heron.still_answers()

    heron.run(scenario)
    assert heron.audit_rows("call", tool="hostile", status="error", code="worker.failed")


def test_sleeping_forever_is_killed_at_the_timeout(heron: Heron) -> None:
    pgids: list[int] = []

    async def scenario() -> None:
        for mode in ("sleep", "async_sleep"):
            started = time.monotonic()
            task = asyncio.ensure_future(heron.call("hostile", mode=mode))
            await asyncio.sleep(1.0)  # well inside the 2.5 s timeout: the host is up
            pgids.append(heron.hostile._proc.pid)
            out = await task
            assert (out.status, out.code) == ("error", "worker.timeout"), out
            assert time.monotonic() - started < heron.hostile.manifest.timeout_s + 1.0
            for pgid in pgids:
                heron.assert_nothing_left(heron.hostile, pgid)
        await heron.still_answers()

    heron.run(scenario)
    assert len(heron.audit_rows("call", tool="hostile", code="worker.timeout")) == 2


def test_crash_restarts_with_backoff_and_errors_carry_no_traceback(heron: Heron) -> None:
    async def scenario() -> None:
        out = await heron.call("hostile", mode="crash")
        assert (out.status, out.code) == ("error", "worker.crashed"), out
        assert heron.hostile.crashes == 1
        started = time.monotonic()
        again = await heron.call("hostile", mode="hello")  # waits out the 0.5 s backoff
        assert again.status == "ok" and time.monotonic() - started >= 0.4
        assert heron.hostile.crashes == 0
        for _ in range(2):
            await heron.call("hostile", mode="crash")
        assert heron.hostile.crashes == 2  # reported, with a longer backoff
        assert "exit status 70" in heron.hostile.status()["last_error"]
        failed = await heron.call("hostile", mode="raise")
        assert (failed.code, failed.error) == ("worker.failed",
                                               "hostile failed: RuntimeError: the worker gave up")
        await heron.hostile.stop()
        heron.assert_nothing_left(heron.hostile)
        await heron.still_answers()

    heron.run(scenario)
    assert len(heron.audit_rows("call", tool="hostile", code="worker.crashed")) == 3


def test_enforcement_report_says_what_a_worker_gets() -> None:
    report = enforcement_report()
    for name, entry in report.items():
        assert set(entry) == {"enforced", "detail"} and entry["detail"], name
    for name in ("landlock_fs", "net_namespace", "pid_namespace", "memory", "wall_time"):
        assert report[name]["enforced"], (name, report[name])
    if os.geteuid() == 0:
        assert report["uid_drop"]["enforced"] and report["processes"]["enforced"]


