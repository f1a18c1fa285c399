"""Routes past a socket(2)-only filter, tried by the hostile worker in the real sandbox:
io_uring, netlink, vsock, new user namespaces, and pathname unix sockets outside the
sandbox reached through a socketpair end (sendto/connect). Each is refused, nothing
reaches the outside listeners, and what `heron doctor` reports matches what the worker
met. The probe itself is tested too: run unconfined, it must report every route open."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from helpers import REPO

from assistant.workers.sandbox_report import enforcement_report

if TYPE_CHECKING:
    from sandbox_harness import Heron, OutsideSockets

pytest_plugins = ["sandbox_harness"]

KERNEL_ROUTES = ("io_uring", "netlink", "vsock", "unshare_user", "clone_user",
                 "socketpair_netlink", "socketpair_inet")
X86_64 = os.uname().machine == "x86_64"


def refused(outcome: str) -> bool:
    return not outcome.startswith("ok")


def test_kernel_routes_past_the_socket_filter_are_refused(heron: Heron) -> None:
    async def scenario() -> None:
        out = await heron.call("hostile", mode="kernel_routes")
        assert out.status == "ok", out
        for route in KERNEL_ROUTES:  # refused by policy, not missing from the kernel
            assert out.result[route].startswith("PermissionError"), (route, out.result)
        assert out.result["socketpair_unix"].startswith("ok"), out.result  # asyncio's
        if X86_64:  # socket(AF_UNIX) by its x32 number: EPERM, EACCES or ENOSYS, no fd
            assert out.result["x32_socket"].startswith(
                ("PermissionError", "OSError: [Errno 38]")), out.result
        else:
            assert "x32_socket" not in out.result
        await heron.still_answers()

    heron.run(scenario)


def test_unix_sockets_outside_the_sandbox_cannot_be_named_or_reached(
        heron: Heron, outside_sockets: OutsideSockets) -> None:
    async def scenario() -> None:
        for stream in (outside_sockets.public_stream, outside_sockets.own_stream):
            out = await heron.call("hostile", mode="unix_routes", stream_path=str(stream),
                                   dgram_path=str(outside_sockets.dgram),
                                   abstract=outside_sockets.abstract)
            assert out.status == "ok", out
            for route in ("see_stream", "see_dgram"):  # they do not exist in its root
                assert out.result[route].startswith("FileNotFoundError"), (route, out.result)
            for route in ("stream", "dgram_sendto", "dgram_connect", "abstract"):
                assert refused(out.result[route]), (route, out.result)
        await heron.still_answers()

    heron.run(scenario)
    assert outside_sockets.received_nothing()


def test_the_report_matches_what_a_hostile_worker_meets(
        heron: Heron, outside_sockets: OutsideSockets) -> None:
    """As root and as a normal user: every protection the doctor calls enforced held,
    and every one it calls missing really is missing."""
    report = enforcement_report()
    met: dict[str, bool] = {}

    async def scenario() -> None:
        kernel = (await heron.call("hostile", mode="kernel_routes")).result
        unix = (await heron.call("hostile", mode="unix_routes",
                                 stream_path=str(outside_sockets.own_stream),
                                 dgram_path=str(outside_sockets.dgram),
                                 abstract=outside_sockets.abstract)).result
        net = (await heron.call("hostile", mode="socket", port=9,
                                unix_path=str(outside_sockets.public_stream))).result
        read = (await heron.call("hostile", mode="open_read", path="/etc/passwd")).result
        env = (await heron.call("hostile", mode="env")).result
        met["io_uring"] = refused(kernel["io_uring"])
        met["socket_families"] = all(refused(kernel[r]) for r in (
            "netlink", "vsock", "socketpair_netlink", "socketpair_inet")) \
            and refused(net["unix"]) and refused(kernel.get("x32_socket", "refused"))
        met["user_namespaces"] = refused(kernel["unshare_user"]) and refused(kernel["clone_user"])
        met["mount_namespace"] = all(refused(unix[r]) for r in
                                     ("see_stream", "see_dgram", "dgram_sendto"))
        met["net_namespace"] = refused(net["loopback"]) and refused(net["external"]) \
            and refused(unix["abstract"])
        met["landlock_fs"] = refused(read["open_read"])
        met["uid_drop"] = env["uid"] != os.getuid()

    heron.run(scenario)
    assert outside_sockets.received_nothing()
    claimed = {name: report[name]["enforced"] for name in met}
    assert claimed == met, {n: report[n]["detail"] for n in met}
    if os.geteuid() != 0:  # what a desktop install gets: said, not hidden
        assert not report["uid_drop"]["enforced"] and "root" in report["uid_drop"]["detail"]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _io_uring_works() -> bool:
    fd = _libc().syscall(425, ctypes.c_uint(1), ctypes.create_string_buffer(120))
    if fd >= 0:
        os.close(fd)
    return fd >= 0


def _user_namespace_works() -> bool:
    pid = os.fork()
    if pid == 0:  # in a child: unsharing changes the caller for good
        os._exit(0 if _libc().unshare(0x10000000) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


PROBE_UNCONFINED = """
import json, sys
from assistant.workers.probe import verify
claimed = {k: {"enforced": True, "detail": "claimed"} for k in
           ("io_uring", "socket_families", "user_namespaces", "mount_namespace",
            "net_namespace")}
print(json.dumps(verify(claimed, json.loads(sys.argv[1]))))
"""


def test_the_probe_reports_every_open_route(outside_sockets: OutsideSockets) -> None:
    """A process with none of the protections, claiming them all: the probe catches
    each claim, so the doctor can never say "enforced" over an open route."""
    plan = {"outside_sockets": [str(outside_sockets.public_stream),
                                str(outside_sockets.dgram), outside_sockets.abstract]}
    proc = subprocess.run([sys.executable, "-c", PROBE_UNCONFINED, json.dumps(plan)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # what this (unconfined) machine really allows, found independently of the probe
    open_here = {"io_uring": _io_uring_works(), "user_namespaces": _user_namespace_works(),
                 "socket_families": True, "mount_namespace": True, "net_namespace": True}
    for name, is_open in open_here.items():
        assert report[name]["enforced"] is not is_open, (name, report[name])
        if is_open:
            assert report[name]["detail"].startswith("probe "), report[name]
    # the probe's datagram reached the outside socket: that is how it knew
    assert not outside_sockets.received_nothing()
