"""The parent side of a third-party worker: `SandboxedTool` runs the worker in a confined
subprocess (assistant/workers/runner.py) and serves its capability calls (broker.py).

One host process serves one call at a time and lives across calls. A crash fails the
call with worker.crashed and the next call starts a new host, after a backoff (0.5 s,
doubling to 30 s, reset by a successful call). A call that outlives the manifest's
timeout is killed with its whole process group (worker.timeout). Nothing it forked
survives: the worker is PID 1 of its own PID namespace, and every exited process is reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import signal
import time
from collections import deque
from pathlib import Path
from typing import Any

from assistant.tools.manifest import ToolManifest
from assistant.workers import broker
from assistant.workers.limits import Report, SandboxLimits, sandbox_ids
from assistant.workers.runner_launch import private_dir, runner_command, scrubbed_env
from models.errors import CodedError

log = logging.getLogger(__name__)

BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 30.0
TIMEOUT_MARGIN_S = 0.25  # we kill before the registry's own timeout gives up on us
_HOSTS = itertools.count(1)


class _Crashed(Exception):
    """The host process went away (or broke the protocol) during a call."""


class SandboxedTool:
    """A third-party worker behind the Tool protocol (assistant/tools/registry.py)."""

    def __init__(self, manifest: ToolManifest, worker_dir: Path, entry: str,
                 limits: SandboxLimits | None = None) -> None:
        self.manifest = manifest
        self.worker_dir = Path(worker_dir)
        self.entry = entry
        self.limits = limits or SandboxLimits()
        self.uid, self.gid = sandbox_ids(os.getpid() * 64 + next(_HOSTS))
        self.applied: Report = {}  # what the last started host actually got
        self.crashes = 0  # in a row
        self.last_error = ""
        self._retry_at = 0.0
        self._proc: asyncio.subprocess.Process | None = None
        self._private: Path | None = None
        self._stderr_tail: deque[str] = deque(maxlen=40)
        self._stderr_task: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        async with self._lock:
            await self._ensure_started()

    async def stop(self) -> None:
        async with self._lock:
            await self._shutdown(graceful=True)

    def status(self) -> dict[str, Any]:
        """For `heron workers list`: running, crashes in a row, last error, sandbox."""
        return {"running": self._proc is not None and self._proc.returncode is None,
                "crashes": self.crashes, "last_error": self.last_error,
                "uid": self.uid, "sandbox": self.applied}

    # -- one call --------------------------------------------------------------------------
    async def run(self, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
        name = self.manifest.name
        budget = max(0.1, self.manifest.timeout_s - min(TIMEOUT_MARGIN_S,
                                                        self.manifest.timeout_s * 0.1))
        deadline = time.monotonic() + budget
        async with self._lock:
            await self._wait_for_backoff(deadline)
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    value, cpu_s = await self._call(args, ctx)
            except TimeoutError:
                await self._shutdown(graceful=False)
                self.last_error = f"timed out after {self.manifest.timeout_s:g} s"
                log.warning("worker %s %s; killed its process group", name, self.last_error)
                raise CodedError("worker.timeout", f"{name} took longer than "
                                 f"{self.manifest.timeout_s:g} s and was stopped",
                                 "try again; if it keeps happening the worker is stuck: "
                                 "`heron workers list` shows it") from None
            except _Crashed as crash:
                await self._shutdown(graceful=False)
                raise self._crashed(str(crash)) from None
            except CodedError:  # the worker's own failure, or a refused capability
                self.crashes = 0
                raise
            except BaseException:  # cancelled (interrupted, or the registry gave up)
                await self._shutdown(graceful=False)
                raise
            self.crashes = 0
            if cpu_s > self.limits.cpu_s / 2:  # a fresh host before the CPU limit hits
                await self._shutdown(graceful=True)
            return value

    async def _wait_for_backoff(self, deadline: float) -> None:
        wait = self._retry_at - time.monotonic()
        if wait <= 0:
            return
        if time.monotonic() + wait < deadline - 0.5:
            await asyncio.sleep(wait)
            return
        raise CodedError("worker.backoff", f"{self.manifest.name} crashed {self.crashes} "
                         f"times in a row; it is tried again in {wait:.1f} s",
                         "wait a moment, or see `heron workers list` for its last error")

    def _crashed(self, why: str) -> CodedError:
        self.crashes += 1
        delay = min(BACKOFF_FIRST_S * 2 ** (self.crashes - 1), BACKOFF_MAX_S)
        self._retry_at = time.monotonic() + delay
        self.last_error = why
        log.warning("worker %s crashed (%d in a row, next try in %.1f s): %s; stderr: %s",
                    self.manifest.name, self.crashes, delay, why,
                    " | ".join(self._stderr_tail))
        return CodedError("worker.crashed", f"{self.manifest.name} crashed ({why})",
                          "it is restarted on the next call; `heron workers list` shows "
                          "how often it crashes")

    async def _call(self, args: dict[str, Any], ctx: Any) -> tuple[dict[str, Any], float]:
        await self._ensure_started()
        self._send(broker.request(1, "run", {"args": args}))
        while True:
            msg = await self._receive()
            if "method" in msg:
                self._send(await self._serve(msg, ctx))
                continue
            if msg.get("id") != 1:
                raise _Crashed(f"protocol error: unexpected reply {msg!r:.120}")
            if "error" in msg:
                code, message = broker.error_code(msg)
                raise CodedError(code, message if code.startswith("capability.") else
                                 f"{self.manifest.name} failed: {message}",
                                 "the worker reported this itself; check its arguments")
            return msg["result"]["value"], float(msg["result"].get("cpu_s", 0))

    async def _serve(self, msg: dict[str, Any], ctx: Any) -> dict[str, Any]:
        """Answer one capability request, through ctx.caps only."""
        msg_id, method = msg.get("id"), msg["method"]
        try:
            return broker.result(msg_id, await broker.perform(ctx.caps, method,
                                                              msg.get("params", {})))
        except CodedError as err:  # CapabilityDenied too: already audited by ctx.caps
            return broker.error(msg_id, err.code, err.message)
        except LookupError as err:
            if isinstance(err, KeyError):
                return broker.error(msg_id, "worker.bad_request", f"missing parameter {err}",
                                    broker.INVALID_PARAMS)
            return broker.error(msg_id, "worker.bad_request", f"no capability call "
                                f"{method!r}", broker.METHOD_NOT_FOUND)
        except (TypeError, ValueError) as err:
            return broker.error(msg_id, "worker.bad_request", str(err), broker.INVALID_PARAMS)
        except OSError as err:
            return broker.error(msg_id, "capability.io_error", err.strerror or str(err))

    # -- the process -----------------------------------------------------------------------
    async def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            return
        await self._shutdown(graceful=False)  # whatever is left of a dead host
        self._private = private_dir(self.manifest.name, self.worker_dir, self.uid, self.gid)
        home = self._private / "home"
        plan = {"code_dir": str(self._private / "code"), "home_dir": str(home),
                "root_dir": str(self._private / "root"), "entry": self.entry,
                "uid": self.uid, "gid": self.gid, "limits": self.limits.to_dict()}
        self._stderr_tail.clear()
        self._proc = await asyncio.create_subprocess_exec(
            *runner_command(plan), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=scrubbed_env(home), cwd=home, start_new_session=True,
            limit=broker.MAX_MESSAGE_BYTES + 1)
        self._stderr_task = asyncio.create_task(self._drain_stderr(self._proc))
        ready = await self._receive()
        if ready.get("method") != "ready":
            raise _Crashed(f"protocol error: expected ready, got {ready!r:.120}")
        self.applied = ready["params"].get("applied", {})
        if ready["params"].get("error"):
            await self._shutdown(graceful=False)
            err = self._crashed(f"could not load {self.entry}: {ready['params']['error']}")
            raise CodedError("worker.failed", err.message, "fix the worker's code, then "
                             "run `heron workers validate` on its directory")

    def _send(self, msg: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(broker.encode(msg))
        except (BrokenPipeError, ConnectionResetError) as err:
            raise _Crashed("its pipe closed") from err

    async def _receive(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            line = await self._proc.stdout.readline()
        except ValueError as err:  # over the stream limit
            raise _Crashed("protocol error: message too long") from err
        if not line:
            code = await self._proc.wait()
            raise _Crashed(describe_exit(code))
        try:
            return broker.decode(line)
        except broker.ProtocolError as err:
            raise _Crashed(f"protocol error: {err}") from err

    async def _drain_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr_tail.append(text)
            log.debug("worker %s: %s", self.manifest.name, text)

    async def _shutdown(self, graceful: bool) -> None:
        """Stop the host, kill its process group, reap it, remove its private dir."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if graceful and proc.returncode is None and proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.write(broker.encode(broker.notification("shutdown", {})))
                    proc.stdin.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 1.0)
            if proc.returncode is None:  # the runner kills the worker's PID namespace
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(proc.wait()), 2.0)
            if proc.returncode is None:  # not reaped yet, so the group id is still ours
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
            await asyncio.shield(proc.wait())
        if self._stderr_task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._stderr_task, 1.0)
            self._stderr_task = None
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None


def describe_exit(code: int) -> str:
    if code > 128 and code - 128 in (signal.SIGXCPU, signal.SIGKILL):
        return f"killed by {signal.Signals(code - 128).name}: CPU or memory limit"
    if code > 128:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(code - 128).name}"
    return f"exit status {code}"
