"""The worker's own root filesystem (what bubblewrap does, without needing it installed).

In the runner's new mount namespace a tmpfs becomes the root, holding only what a
Python worker needs, each bound at its usual path: the Python installation and system
libraries read-only, the worker's code read-only, its private home read-write, and a few
/dev nodes. Nothing else exists there: no /tmp, /run or data dir, so no pathname unix
socket outside the sandbox (session D-Bus, X11, Heron's own socket) can be named, which
is what keeps an allowed socketpair end from being re-aimed at one (sendto/connect).
Abstract unix sockets belong to the network namespace, which is the worker's own.
Seccomp forbids mounting afterwards, so the worker cannot undo this.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Any

from assistant.workers.limits import _check, _libc

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 0x2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
SYS_MOUNT_SETATTR = 442
MOUNT_ATTR_RDONLY = 0x1
AT_RECURSIVE = 0x8000
DEV_NODES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
# statvfs flags a remount inside a user namespace must keep (the kernel locks them)
_LOCKED = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC}


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _mount(src: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _check(_libc().mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags),
                         enc(data)), f"mount {src or fstype} on {target}")


def _read_only(target: str) -> None:
    """Make a bind mount (and everything below it) read-only."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    libc = _libc()
    ret = libc.syscall(SYS_MOUNT_SETATTR, -100, target.encode(), AT_RECURSIVE,
                       ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
    if ret == 0:
        return
    # older kernels (< 5.12): the top mount only, keeping the flags the kernel locks
    keep = os.statvfs(target).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    flags |= sum(ms for st, ms in _LOCKED.items() if keep & st)
    _mount(None, target, None, flags)


def _covered(path: str, done: list[tuple[str, bool]], writable: bool) -> bool:
    """Already visible, with the same rights, through a bind of one of its parents."""
    return any(path.startswith(p.rstrip("/") + "/") and w == writable for p, w in done)


def build_root(new_root: str, read_paths: list[str], write_paths: list[str]) -> None:
    """Mount a tmpfs on `new_root`, bind the given paths into it at their own paths,
    pivot into it and drop the old root. Must run in a fresh mount namespace."""
    # the directories leading to each bind must be enterable by the sandbox's uid,
    # whatever umask Heron runs with
    old_umask = os.umask(0o022)
    try:
        _build_root(new_root, read_paths, write_paths)
    finally:
        os.umask(old_umask)


def _build_root(new_root: str, read_paths: list[str], write_paths: list[str]) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks out
    _mount("heron-worker", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    wanted = [(p, False) for p in {*read_paths, *DEV_NODES}] + [(p, True) for p in write_paths]
    done: list[tuple[str, bool]] = []
    for path, writable in sorted(wanted):
        if not os.path.exists(path) or _covered(path, done, writable):
            continue
        target = new_root + path
        if os.path.isdir(path):
            os.makedirs(target, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            if not os.path.exists(target):
                Path(target).touch(mode=0o644)
        _mount(path, target, None, MS_BIND | MS_REC)
        if not writable:
            _read_only(target)
        done.append((path, writable))
    old = os.path.join(new_root, ".old-root")
    os.mkdir(old, 0o700)
    _check(_libc().syscall(SYS_PIVOT_ROOT[os.uname().machine], new_root.encode(),
                           old.encode()), "pivot_root")
    os.chdir("/")
    _check(_libc().umount2(b"/.old-root", MNT_DETACH), "umount old root")
    os.rmdir("/.old-root")
    # the tmpfs itself, not what is bound on it: no new files at the top
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter_own_root(new_root: str, read_paths: list[str],
                   write_paths: list[str]) -> dict[str, dict[str, Any]]:
    """build_root, reported: {"mount_namespace": {...}}."""
    if os.uname().machine not in SYS_PIVOT_ROOT:
        return {"mount_namespace": {"enforced": False,
                                    "detail": f"no pivot_root number for {os.uname().machine}"}}
    try:
        build_root(new_root, read_paths, write_paths)
    except OSError as err:
        return {"mount_namespace": {"enforced": False, "detail": f"own root not built ({err}): "
                                    "pathname unix sockets outside stay visible"}}
    return {"mount_namespace": {"enforced": True, "detail": "own root: only Python, system "
                                "libraries, its code and its home; no outside socket path "
                                "(D-Bus, X11, Heron's own) exists there"}}
