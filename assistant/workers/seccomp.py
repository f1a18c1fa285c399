"""The worker's seccomp filter: the kernel interfaces a worker never needs, refused.

Installed last by the runner (after no_new_privs), inherited by everything it forks:
- socket(2) only for AF_INET/AF_INET6 (their connects fail in the empty network
  namespace; Landlock ABI >= 4 denies TCP too). Unix, netlink, vsock, packet, … are
  refused with EACCES. socketpair(2) only for AF_UNIX (asyncio needs one), EACCES for
  any other family; what keeps such a pair from being re-aimed at a pathname socket
  outside is the mount namespace (mountns.py): no outside socket path exists in the
  worker's root.
- io_uring_setup/enter/register: IORING_OP_SOCKET would open sockets behind the
  socket(2) check.
- new namespaces: unshare(2) and clone(2) with any CLONE_NEW* flag, setns(2); clone3(2)
  gets ENOSYS (its flags sit in memory seccomp cannot read; glibc then falls back to
  clone(2), which is checked).
- mounting (mount, umount2, pivot_root, chroot, the new mount API) and bpf,
  userfaultfd, perf_event_open, keyctl: kernel attack surface no worker needs.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from typing import Any

from assistant.workers.limits import _libc

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
CSIGNAL = 0xFF
CLONE_NEWTIME = 0x00000080  # unshare only: in clone(2) that bit is the exit signal
CLONE_NEW_ANY = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                 | 0x20000000 | 0x40000000)  # NEWNS CGROUP UTS IPC USER PID NET

# audit arch and the syscall numbers the filter looks at
_ARCH = {
    "x86_64": {"arch": 0xC000003E, "socket": 41, "socketpair": 53, "unshare": 272,
               "clone": 56, "clone3": 435,
               "deny": (425, 426, 427,  # io_uring_setup, _enter, _register
                        308,  # setns
                        165, 166, 155, 161,  # mount, umount2, pivot_root, chroot
                        428, 429, 430, 431, 432, 433, 442,  # open_tree … mount_setattr
                        321, 323, 298,  # bpf, userfaultfd, perf_event_open
                        248, 249, 250)},  # add_key, request_key, keyctl
    "aarch64": {"arch": 0xC00000B7, "socket": 198, "socketpair": 199, "unshare": 97,
                "clone": 220, "clone3": 435,
                "deny": (425, 426, 427, 268, 40, 39, 41, 51, 428, 429, 430, 431, 432, 433,
                         442, 280, 282, 241, 217, 218, 219)},
}

# classic BPF
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_NR, _ARCH_OFF, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (arg0's low half)


def _errno(err: int) -> int:
    return 0x00050000 | err  # SECCOMP_RET_ERRNO


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def build_filter(machine: str) -> list[tuple[int, int, int, int]]:
    """The BPF program for `machine`: (code, jt, jf, k) instructions. Jumps name labels
    while building; they are resolved into forward offsets at the end."""
    nrs = _ARCH[machine]
    prog: list[tuple[int, Any, Any, int]] = [
        (_LD_ABS, 0, 0, _ARCH_OFF),
        (_JEQ, 0, "eperm", nrs["arch"]),  # another ABI (i386, x32 entry points)
        (_LD_ABS, 0, 0, _NR),
        (_JGE, "eperm", 0, 0x40000000),  # x32 numbering
        (_JEQ, "socket", 0, nrs["socket"]),
        (_JEQ, "socketpair", 0, nrs["socketpair"]),
        (_JEQ, "unshare", 0, nrs["unshare"]),
        (_JEQ, "clone", 0, nrs["clone"]),
        (_JEQ, "enosys", 0, nrs["clone3"]),
    ]
    prog += [(_JEQ, "eperm", 0, nr) for nr in nrs["deny"]]
    prog += [
        (_RET, 0, 0, _ALLOW),
        ("socket:", 0, 0, 0),
        (_LD_ABS, 0, 0, _ARG0),
        (_JEQ, "allow", 0, AF_INET),
        (_JEQ, "allow", 0, AF_INET6),
        (_RET, 0, 0, _errno(errno.EACCES)),
        ("socketpair:", 0, 0, 0),
        (_LD_ABS, 0, 0, _ARG0),
        (_JEQ, "allow", 0, AF_UNIX),
        (_RET, 0, 0, _errno(errno.EACCES)),
        ("unshare:", 0, 0, 0),
        (_LD_ABS, 0, 0, _ARG0),
        (_JSET, "eperm", "allow", CLONE_NEW_ANY | CLONE_NEWTIME),
        ("clone:", 0, 0, 0),
        (_LD_ABS, 0, 0, _ARG0),
        (_JSET, "eperm", "allow", CLONE_NEW_ANY),
        ("allow:", 0, 0, 0),
        (_RET, 0, 0, _ALLOW),
        ("eperm:", 0, 0, 0),
        (_RET, 0, 0, _errno(errno.EPERM)),
        ("enosys:", 0, 0, 0),
        (_RET, 0, 0, _errno(errno.ENOSYS)),
    ]
    return _resolve(prog)


def _resolve(prog: list[tuple[Any, Any, Any, int]]) -> list[tuple[int, int, int, int]]:
    labels: dict[str, int] = {}
    code: list[tuple[Any, Any, Any, int]] = []
    for ins in prog:
        if isinstance(ins[0], str):
            labels[ins[0].rstrip(":")] = len(code)
        else:
            code.append(ins)

    def offset(at: int, target: Any) -> int:
        if isinstance(target, int):
            return target
        jump = labels[target] - at - 1
        if not 0 <= jump <= 255:
            raise ValueError(f"seccomp jump to {target} out of range")
        return jump

    return [(op, offset(i, jt), offset(i, jf), k) for i, (op, jt, jf, k) in enumerate(code)]


def install() -> dict[str, dict[str, Any]]:
    """Install the filter on this process (needs no_new_privs first). Returns the report
    entries it backs: socket_families, io_uring, user_namespaces."""
    keys = ("socket_families", "io_uring", "user_namespaces")
    machine = platform.machine()
    if machine not in _ARCH:
        why = f"no seccomp filter for {machine}"
        return {k: {"enforced": False, "detail": why} for k in keys}
    code = build_filter(machine)
    prog_filter = (_SockFilter * len(code))(*[_SockFilter(*c) for c in code])
    prog = _SockFprog(len(code), prog_filter)
    libc = _libc()
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        why = f"prctl(SECCOMP_MODE_FILTER): {os.strerror(ctypes.get_errno())}"
        return {k: {"enforced": False, "detail": why} for k in keys}
    return {
        "socket_families": {"enforced": True, "detail": "seccomp: only IPv4/IPv6 sockets "
                            "and unix socketpairs (unix, netlink, vsock and the rest "
                            "refused)"},
        "io_uring": {"enforced": True, "detail": "seccomp: io_uring refused (it could open "
                     "sockets past the socket filter)"},
        "user_namespaces": {"enforced": True, "detail": "seccomp: no new user or other "
                            "namespaces (unshare, clone, setns), no mounting"},
    }
