"""The child side of a worker host: `python -I -B -m assistant.workers.runner PLAN_JSON`.

It confines itself (assistant/workers/limits.py) before any worker code is imported,
then answers `run` requests from the host over stdin/stdout (assistant/workers/broker.py).
The worker's own print()s go to stderr: stdout belongs to the protocol.

PLAN_JSON: {"code_dir", "home_dir", "root_dir", "entry", "uid", "gid", "limits": {...},
            "probe"?, "outside_sockets"?, "outside_paths"?}
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import os
import resource
import signal
import sys
from typing import Any

from assistant.workers import limits, mountns, seccomp
from assistant.workers.broker import (
    CapabilityError,
    CapsProxy,
    ProtocolError,
    SyncChannel,
    error,
    notification,
    result,
)
from assistant.workers.probe import verify

EXIT_LOAD_FAILED = 3


def main(argv: list[str]) -> int:
    plan = json.loads(argv[0])
    # private copies of the protocol pipes; fd 0/1 become /dev/null and stderr
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    report = confine(plan, reader, writer)
    channel = SyncChannel(reader, writer)
    if plan.get("probe"):
        channel.send(notification("ready", {"applied": verify(report, plan)}))
        return 0
    try:
        run = load_worker(plan["code_dir"], plan["entry"])
    except BaseException as err:  # noqa: BLE001 - anything the worker's import raises
        channel.send(notification("ready", {"applied": report,
                                            "error": f"{type(err).__name__}: {err}"}))
        return EXIT_LOAD_FAILED
    channel.send(notification("ready", {"applied": report}))
    serve(channel, run)
    return 0


def confine(plan: dict[str, Any], reader: Any, writer: Any) -> limits.Report:
    """Everything in limits.py, in the only order that works: open what we need while
    still privileged, unshare, build the own root, fork into the PID namespace, set
    limits, drop the uid and every capability, then Landlock and seccomp."""
    as_root = os.geteuid() == 0
    read_paths = [*limits.python_read_paths(), plan["code_dir"]]
    ruleset, ll_report = limits.build_landlock(read_paths, [plan["home_dir"]])
    report = limits.enter_namespaces(as_root)
    if report["net_namespace"]["enforced"] and plan.get("root_dir"):
        report.update(mountns.enter_own_root(plan["root_dir"], read_paths, [plan["home_dir"]]))
    elif "mount_namespace" not in report:
        report["mount_namespace"] = limits._no("no root directory planned for the worker")
    if as_root and not report["mount_namespace"]["enforced"]:
        _reach_sys_path_by_handle()
    if report["pid_namespace"]["enforced"]:
        child: list[int] = []
        # The host stops us with SIGTERM: kill the namespace's init, whose exit the
        # kernel holds back until everything in the namespace is dead and reaped; we
        # reap it, then exit. So when we are gone, nothing of the worker is left.
        signal.signal(signal.SIGTERM, lambda *_: os.kill(child[0], signal.SIGKILL)
                      if child else os._exit(128 + signal.SIGTERM))
        pid = os.fork()
        if pid:  # the outer runner only waits, so the namespace lives as long as it
            child.append(pid)
            reader.close()
            writer.close()
            os._exit(_wait(pid))
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        limits.become_namespace_init()
    lim = limits.SandboxLimits(**plan["limits"])
    own_userns = (not as_root and report["pid_namespace"]["enforced"]
                  and limits.nproc_counts_per_user_namespace())
    report.update(limits.apply_rlimits(lim, own_uid=as_root, own_user_namespace=own_userns))
    if as_root:
        report.update(limits.drop_privileges(plan["uid"], plan["gid"]))
    else:
        report["uid_drop"] = limits._no("Heron does not run as root: the worker keeps your "
                                        "uid (namespaces and Landlock still confine it)")
    report.update(limits.drop_capabilities())
    report.update(limits.set_no_new_privs())
    limits.restrict_landlock(ruleset, ll_report)
    report.update(ll_report)
    report.update(seccomp.install())
    os.chdir(plan["home_dir"])
    return report


def _reach_sys_path_by_handle() -> None:
    """After the uid drop the interpreter's own directories may sit below one the new
    uid cannot enter (/root/.pyenv); directory handles opened now keep them importable."""
    moved: dict[str, str] = {}
    for entry in sys.path:
        if os.path.isdir(entry) and entry not in moved:
            fd = os.open(entry, os.O_PATH | os.O_DIRECTORY)
            moved[entry] = f"/proc/self/fd/{fd}"
    sys.path[:] = list(moved.values())
    # packages already imported (encodings, email, …) look for submodules on __path__
    for module in list(sys.modules.values()):
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [_moved(p, moved) for p in search]
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()


def _moved(path: str, moved: dict[str, str]) -> str:
    for old, new in moved.items():
        if path == old or path.startswith(old.rstrip("/") + "/"):
            return new + path[len(old.rstrip("/")):]
    return path


def _wait(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return 0
        code = os.waitstatus_to_exitcode(status)
        return 128 - code if code < 0 else code


def load_worker(code_dir: str, entry: str) -> Any:
    path = os.path.join(code_dir, entry)
    sys.path.insert(0, code_dir)
    spec = importlib.util.spec_from_file_location("heron_worker", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {entry}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = getattr(module, "run", None)
    if not callable(run):
        raise AttributeError(f"{entry} defines no run(args, caps)")
    return run


def serve(channel: SyncChannel, run: Any) -> None:
    caps = CapsProxy(channel)
    while True:
        msg = channel.receive()
        if msg is None or msg.get("method") == "shutdown":
            return
        if msg.get("method") != "run" or "id" not in msg:
            raise ProtocolError(f"unexpected message from the host: {msg!r:.200}")
        channel.send(_run_once(msg["id"], msg["params"].get("args", {}), run, caps))


def _run_once(msg_id: Any, args: dict[str, Any], run: Any, caps: CapsProxy) -> dict[str, Any]:
    try:
        value = run(args, caps)
        if inspect.isawaitable(value):
            value = asyncio.run(_await(value))
        if not isinstance(value, dict):
            return error(msg_id, "worker.bad_result",
                         f"run() returned {type(value).__name__}, not a dict")
        json.dumps(value)
    except CapabilityError as err:
        return error(msg_id, err.code, err.message)
    except (TypeError, ValueError) as err:
        return error(msg_id, "worker.failed", f"{type(err).__name__}: {err}")
    except Exception as err:  # noqa: BLE001 - the worker's failure, reported to the host
        return error(msg_id, "worker.failed", f"{type(err).__name__}: {err}".rstrip(": "))
    return result(msg_id, {"value": value, "cpu_s": _cpu_s()})


async def _await(value: Any) -> Any:
    return await value


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
