"""What the sandbox really enforces on this machine, measured rather than assumed:
`probe_sandbox` starts the runner in probe mode (it confines itself, then tries every
route out, probe.py) while watching unix sockets outside it, and `enforcement_report`
adds what the host enforces itself. `heron doctor` and `heron workers list` show it;
`python -m assistant.workers.sandbox_report` prints it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from assistant.workers import broker
from assistant.workers.limits import Report, SandboxLimits, _no, _ok, sandbox_ids
from assistant.workers.runner_launch import private_dir, runner_command, scrubbed_env

NOT_APPLIED = ("uid_drop", "net_namespace", "pid_namespace", "mount_namespace",
               "landlock_fs", "landlock_net", "landlock_scope", "no_new_privs", "capabilities",
               "cpu", "memory", "open_files", "processes", "file_size", "core_dumps",
               "socket_families", "io_uring", "user_namespaces")


def parent_side_report() -> Report:
    """What the host enforces itself, whatever the kernel offers."""
    return {"wall_time": _ok("killed with its whole process group at the manifest timeout"),
            "environment": _ok("only PATH, LANG, HOME and TMPDIR (private)"),
            "private_dir": _ok("own temporary working directory, removed afterwards"),
            "broker": _ok("files, network and desktop reached only through checked, "
                          "audited capability calls")}


@cache
def enforcement_report() -> Report:
    """Each protection and whether a real worker process gets it on this machine: runs
    the runner in probe mode (it confines itself, then tries to escape)."""
    try:
        applied = probe_sandbox()
    except Exception as err:  # noqa: BLE001 - a report must never fail
        applied = {name: _no(f"the sandbox probe failed: {err}") for name in NOT_APPLIED}
    return {**parent_side_report(), **applied}


def probe_sandbox(timeout_s: float = 30.0) -> Report:
    """Start the runner in probe mode (it confines itself, then tries to escape) and
    return what held. For enforcement_report(). The probe is given unix sockets
    outside the sandbox to reach (watched here: anything arriving is a hole) and the
    desktop's own sockets to look for."""
    uid, gid = sandbox_ids(os.getpid() * 64)
    empty = Path(tempfile.mkdtemp(prefix="heron-probe-src-"))
    private: Path | None = None
    watched: _WatchedSockets | None = None
    try:  # everything made here goes again in `finally`, whatever fails half-way
        private = private_dir("probe", empty, uid, gid)
        watched = _WatchedSockets()
        plan = {"code_dir": str(private / "code"), "home_dir": str(private / "home"),
                "root_dir": str(private / "root"), "entry": "", "uid": uid, "gid": gid,
                "limits": SandboxLimits().to_dict(), "probe": True,
                "outside_sockets": watched.paths, "outside_paths": desktop_sockets()}
        out = subprocess.run(runner_command(plan), capture_output=True, timeout=timeout_s,
                             env=scrubbed_env(private / "home"), cwd=private / "home",
                             start_new_session=True, check=False)
        first = out.stdout.splitlines()[0] if out.stdout else b""
        if not first:
            raise RuntimeError(out.stderr.decode(errors="replace")[-300:] or "no output")
        applied = broker.decode(first)["params"]["applied"]
        reached = watched.reached()
        # abstract addresses belong to the network namespace, socket files to the root
        cut_by = "net_namespace" if reached.startswith("@") else "mount_namespace"
        if reached and applied.get(cut_by, {}).get("enforced"):
            applied[cut_by] = {"enforced": False, "detail": "the probe reached the unix "
                               f"socket {reached} outside the sandbox"}
        return applied
    finally:
        if watched is not None:
            watched.close()
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)


class _WatchedSockets:
    """A stream and a datagram unix socket in a directory any uid may enter, as a
    desktop's D-Bus, X11 or Heron socket would be, and an abstract one (X11 and D-Bus
    also listen on abstract addresses)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="heron-probe-sockets-"))
        self.socks: list[socket.socket] = []
        self.paths: list[str] = []
        try:  # a half-made set is closed here: the caller never gets it to close
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self.dir.chmod(0o755)
        # "@name": an abstract socket (it belongs to our network namespace, not a path)
        abstract = f"@heron-probe-{os.getpid()}-{self.dir.name}"
        for name, kind in ((str(self.dir / "stream.sock"), socket.SOCK_STREAM),
                           (str(self.dir / "dgram.sock"), socket.SOCK_DGRAM),
                           (abstract, socket.SOCK_DGRAM)):
            sock = socket.socket(socket.AF_UNIX, kind)
            self.socks.append(sock)
            sock.bind("\0" + name[1:] if name.startswith("@") else name)
            if kind == socket.SOCK_STREAM:
                sock.listen()
            sock.setblocking(False)
            if not name.startswith("@"):
                Path(name).chmod(0o777)
            self.paths.append(name)

    def reached(self) -> str:
        """The path of the first socket something arrived at, or ''."""
        return next((path for path, sock in zip(self.paths, self.socks, strict=True)
                     if something_arrived(sock)), "")

    def close(self) -> None:
        for sock in self.socks:
            sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def desktop_sockets() -> list[str]:
    """The unix sockets a worker must never see: the session and system D-Bus, X11."""
    found = []
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    for part in bus.split(";"):
        for item in part.removeprefix("unix:").split(","):
            if item.startswith("path="):
                found.append(item[len("path="):])
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    candidates = [f"{runtime}/bus" if runtime else "", "/run/dbus/system_bus_socket",
                  *(str(p) for p in Path("/tmp/.X11-unix").glob("X*"))]
    found += [p for p in candidates if p]
    return [p for p in dict.fromkeys(found) if os.path.exists(p)]


def something_arrived(sock: socket.socket) -> bool:
    """Whether a connection or datagram waits on a non-blocking listener (taken off it)."""
    try:
        if sock.type == socket.SOCK_STREAM:
            sock.accept()[0].close()
        else:
            sock.recv(64)
    except BlockingIOError:
        return False
    return True


def main() -> None:
    print(json.dumps(enforcement_report(), indent=2))


if __name__ == "__main__":
    main()
