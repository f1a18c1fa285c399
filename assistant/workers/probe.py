"""The runner's probe mode: once confined, try every way out and correct the report.

A protection is reported as enforced only if the route it closes is really closed in a
confined process on this machine, so `heron doctor` and `heron workers list` can never
say "enforced" while a route is open. The routes are the ones an attacker used: reading
outside files, the network, io_uring (sockets past the socket filter), netlink, vsock,
unix sockets (also by the x32 syscall numbers), a socketpair end re-aimed at a pathname
socket outside, new user namespaces, leftover capabilities, root, and forking past the
process limit.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
from typing import Any

from assistant.workers import limits
from assistant.workers.limits import _libc

SYS_IO_URING_SETUP = 425  # the same number on every architecture
SYS_CLONE = {"x86_64": 56, "aarch64": 220}
SYS_SOCKET_X86_64, X32_SYSCALL_BIT = 41, 0x40000000
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
SIOCGIFCONF = 0x8912
AF_VSOCK = 40
PROBE_DATAGRAM = b"heron sandbox probe"


def verify(report: limits.Report, plan: dict[str, Any]) -> limits.Report:
    """Downgrade every claimed protection whose route the probe found open. Plan keys:
    outside_file (a file to read), outside_sockets (sockets the prober owns and
    watches: datagrams may be sent there), outside_paths (other sockets on this
    machine, such as D-Bus or X11: only looked at)."""
    holes = {
        "landlock_fs": _reads(plan.get("outside_file", "/etc/passwd")),
        "net_namespace": _interfaces() or _send_datagrams(
            [p for p in plan.get("outside_sockets", []) if p.startswith("@")]),
        "uid_drop": "probe still runs as root" if os.getuid() == 0 else "",
        "capabilities": _capabilities(),
        "io_uring": _io_uring(),
        "socket_families": _socket_families(),
        "mount_namespace": _outside_sockets(
            [p for p in plan.get("outside_sockets", []) if not p.startswith("@")],
            plan.get("outside_paths", [])),
        "user_namespaces": _user_namespaces(),
        "processes": _processes(int(plan.get("limits", {}).get("processes", 0))),
    }
    for name, hole in holes.items():
        if hole and report.get(name, {}).get("enforced"):
            report[name] = limits._no(hole)
    return report


def _reads(path: str) -> str:
    """A file outside (absent when the worker has its own root) and the listing of its
    root directory, which exists but is not in the Landlock rules."""
    try:
        with open(path, "rb"):
            return f"probe could still read {path}"
    except OSError:
        pass
    try:
        os.listdir("/")
    except OSError:
        return ""
    return "probe could still list / (outside its Landlock rules)"


def _interfaces() -> str:
    """Interfaces with an address (SIOCGIFCONF: no netlink needed, seccomp refuses it).
    In the empty network namespace there is none: loopback is down."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as err:
        return f"probe cannot open an IPv4 socket to look: {err}"
    with sock:
        buf = ctypes.create_string_buffer(40 * 64)  # struct ifreq is 40 bytes
        ifc = struct.pack("iL", len(buf), ctypes.addressof(buf))
        ifc_buf = ctypes.create_string_buffer(ifc, len(ifc))
        if _libc().ioctl(sock.fileno(), SIOCGIFCONF, ifc_buf) != 0:
            return ""
        used = struct.unpack("i", ifc_buf.raw[:4])[0]
    names = [buf.raw[i:i + 16].split(b"\0")[0].decode() for i in range(0, used, 40)]
    return f"probe still sees interfaces {names}" if names else ""


def _capabilities() -> str:
    try:
        held = limits.capabilities_held()
    except OSError as err:
        return f"probe cannot read its capabilities: {err}"
    return f"probe still holds capabilities {held:#x}" if held else ""


def _io_uring() -> str:
    params = ctypes.create_string_buffer(120)  # struct io_uring_params
    fd = _libc().syscall(SYS_IO_URING_SETUP, ctypes.c_uint(1), params)
    if fd < 0:
        return ""
    os.close(fd)
    return "probe could still set up io_uring (it opens sockets past the socket filter)"


def _socket_families() -> str:
    opened = []
    for name, family, kind in (("unix stream", socket.AF_UNIX, socket.SOCK_STREAM),
                               ("unix datagram", socket.AF_UNIX, socket.SOCK_DGRAM),
                               ("netlink", socket.AF_NETLINK, socket.SOCK_RAW),
                               ("vsock", AF_VSOCK, socket.SOCK_STREAM)):
        try:
            socket.socket(family, kind).close()
        except OSError:
            continue
        opened.append(name)
    if _x32_unix_socket():
        opened.append("x32 unix")
    return f"probe could still open {', '.join(opened)} sockets" if opened else ""


def _x32_unix_socket() -> bool:
    """socket(AF_UNIX) by its x32 number (x86_64 only): a filter that checks the
    syscall number without the x32 bit would let it through. Refused (EPERM), or
    missing from the kernel (ENOSYS): fine; a descriptor is a hole."""
    if os.uname().machine != "x86_64":
        return False
    fd = _libc().syscall(ctypes.c_long(X32_SYSCALL_BIT | SYS_SOCKET_X86_64),
                         ctypes.c_long(socket.AF_UNIX), ctypes.c_long(socket.SOCK_STREAM),
                         ctypes.c_long(0))
    if fd < 0:
        return False
    os.close(fd)
    return True


def _outside_sockets(owned: list[str], others: list[str]) -> str:
    """Pathname unix sockets outside the sandbox must not even exist in its root; a
    datagram is sent through a socketpair end to the ones the prober watches."""
    seen = [p for p in [*owned, *others] if os.path.lexists(p)]
    return _send_datagrams(owned) or (
        f"probe can see the unix socket {seen[0]} outside the sandbox" if seen else "")


def _send_datagrams(targets: list[str]) -> str:
    """Send one datagram to each target through a socketpair end. A target "@name" is
    an abstract address: those belong to the network namespace (and Landlock's
    scoping), not to the filesystem."""
    for target in targets:
        address = "\0" + target[1:] if target.startswith("@") else target
        try:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        except OSError:
            continue
        with a, b:
            try:
                a.sendto(PROBE_DATAGRAM, address)
            except OSError:
                continue
        return f"probe reached the unix socket {target} outside the sandbox"
    return ""


def _processes(limit: int) -> str:
    """Fork children that wait, one more than the limit allows."""
    if limit <= 0:
        return ""
    read_end, write_end = os.pipe()
    pids: list[int] = []
    try:
        for _ in range(limit + 1):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                os.close(write_end)
                os.read(read_end, 1)  # until the parent closes the pipe
                os._exit(0)
            pids.append(pid)
    finally:
        os.close(write_end)
        os.close(read_end)
        for pid in pids:
            os.waitpid(pid, 0)
    return f"probe started {len(pids)} processes, over the limit of {limit}" \
        if len(pids) > limit else ""


def _user_namespaces() -> str:
    """unshare(CLONE_NEWUSER) and clone(CLONE_NEWUSER), each in a child: success would
    move the caller into the new namespace."""
    libc = _libc()
    opened = []
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(CLONE_NEWUSER) == 0 else 1)
    if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0:
        opened.append("unshare")
    nr = SYS_CLONE.get(os.uname().machine)
    if nr is not None:
        child = libc.syscall(ctypes.c_long(nr), ctypes.c_ulong(CLONE_NEWUSER | SIGCHLD),
                             None, None, None, None)
        if child == 0:  # the child of a raw clone: leave before touching anything
            os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            opened.append("clone")
    return f"probe could still create a user namespace ({', '.join(opened)})" if opened else ""
