"""What confines a worker process, applied by the runner to itself before worker code runs.

Each `apply_*` function returns a report: protection name -> {"enforced": bool, "detail":
str}. The runner sends its report to the host on start-up, so what `heron doctor` and
`heron workers list` show is what a real worker process got, never what we hoped for.

Protections (Linux):
- rlimits: CPU seconds (per host process), address space, open files, file size, core
  dumps off, number of processes (only meaningful under a uid of our own, or in a user
  namespace of our own on Linux >= 5.14: the kernel does not enforce RLIMIT_NPROC for
  root and otherwise counts every process of a shared uid).
- uid drop: when Heron runs as root the worker runs as a uid/gid of its own (no name in
  /etc/passwd), no supplementary groups, so it cannot signal or read other users' files.
- namespaces: a new network namespace (no interfaces but a down loopback: every connect
  fails; net grants are served by the parent broker, so it stays on always), a new PID
  namespace (the worker is PID 1 there; when it dies the kernel kills and reaps
  everything it forked, even processes that left its process group), IPC and UTS.
  As root the runner unshares directly; otherwise inside a new user namespace.
- Landlock: read/execute on the Python installation, the system libraries and the
  worker's code, read/write on the private home only; with ABI >= 4 all TCP bind/connect
  is denied too; with ABI >= 6 signals and abstract unix sockets are scoped to the
  sandbox.
- no_new_privs: set-uid programs cannot regain privileges.
- mount namespace (mountns.py): its own root holding only Python, the system libraries,
  its code and its home, so no pathname unix socket outside (D-Bus, X11, Heron's own)
  can be named: Landlock does not cover connect()/sendto() to a socket file.
- capabilities: none left, even inside its user namespace (non-root).
- seccomp (seccomp.py): only IPv4/IPv6 sockets, no io_uring, no new namespaces, no
  mounting.
The runner's probe mode (runner.verify) then tries each route out and reports what held.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Report = dict[str, dict[str, Any]]

# unshare(2) flags
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
# prctl(2)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on every
# architecture that has them.
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1_ALL = (1 << 13) - 1  # execute … make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR

SANDBOX_UID_BASE = 200_000  # uids 200000-265535: far above distribution ranges


@dataclass(frozen=True)
class SandboxLimits:
    """Per worker host process. CPU time accumulates over the calls one host serves; the
    host is recycled when it has used half of it."""

    cpu_s: int = 30
    memory_bytes: int = 1 << 30
    open_files: int = 64
    processes: int = 32  # threads count too
    file_size_bytes: int = 64 << 20

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _ok(detail: str) -> dict[str, Any]:
    return {"enforced": True, "detail": detail}


def _no(detail: str) -> dict[str, Any]:
    return {"enforced": False, "detail": detail}


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long  # syscall() returns a long: fds, -1
    return libc


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def sandbox_ids(seed: int) -> tuple[int, int]:
    """A uid/gid of the sandbox's own, so RLIMIT_NPROC counts only its processes."""
    n = SANDBOX_UID_BASE + seed % 65536
    return n, n


# -- rlimits -------------------------------------------------------------------------------
def apply_rlimits(lim: SandboxLimits, own_uid: bool,
                  own_user_namespace: bool = False) -> Report:
    out: Report = {}
    pairs = {"cpu": (resource.RLIMIT_CPU, lim.cpu_s, f"{lim.cpu_s} s of CPU"),
             "memory": (resource.RLIMIT_AS, lim.memory_bytes,
                        f"{lim.memory_bytes >> 20} MiB address space"),
             "open_files": (resource.RLIMIT_NOFILE, lim.open_files,
                            f"{lim.open_files} open files"),
             "file_size": (resource.RLIMIT_FSIZE, lim.file_size_bytes,
                           f"files up to {lim.file_size_bytes >> 20} MiB"),
             "core_dumps": (resource.RLIMIT_CORE, 0, "core dumps off")}
    for name, (which, value, detail) in pairs.items():
        try:
            # soft == hard: the worker cannot raise it again
            resource.setrlimit(which, (value, value))
            out[name] = _ok(detail)
        except (OSError, ValueError) as err:
            out[name] = _no(f"setrlimit failed: {err}")
    if own_uid or own_user_namespace:
        where = "own uid" if own_uid else "counted in its own user namespace"
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (lim.processes, lim.processes))
            out["processes"] = _ok(f"{lim.processes} processes/threads ({where}, PID namespace)")
        except (OSError, ValueError) as err:
            out["processes"] = _no(f"setrlimit failed: {err}")
    else:
        out["processes"] = _no("no uid or user namespace of its own: RLIMIT_NPROC would "
                               "count all your processes; only the PID namespace contains forks")
    return out


def nproc_counts_per_user_namespace() -> bool:
    """Since Linux 5.14 RLIMIT_NPROC counts the processes of a uid within one user
    namespace, so inside its own a worker is limited without touching your others."""
    try:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 14)


# -- namespaces ----------------------------------------------------------------------------
def enter_namespaces(as_root: bool) -> Report:
    """unshare net/pid/ipc/uts/mount (inside a user namespace when not root). The PID
    namespace applies to the next fork: the runner forks the worker right after this."""
    libc = _libc()
    flags = CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS
    uid, gid = os.getuid(), os.getgid()
    if not as_root:
        flags |= CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        why = os.strerror(ctypes.get_errno())
        if not as_root:
            why += (" (unprivileged user namespaces are disabled here: sysctl "
                    "kernel.unprivileged_userns_clone or, on Ubuntu, "
                    "kernel.apparmor_restrict_unprivileged_userns)")
        return {name: _no(f"unshare failed: {why}")
                for name in ("net_namespace", "pid_namespace", "mount_namespace")}
    if not as_root:  # map ourselves, so files keep their owner
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return {"net_namespace": _ok("own network namespace: no interfaces, every connect fails"),
            "pid_namespace": _ok("own PID namespace: all its processes die with it")}


def become_namespace_init() -> None:
    """In the forked PID-1 child: die with the runner that forked us."""
    import signal

    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# -- uid drop ------------------------------------------------------------------------------
def drop_privileges(uid: int, gid: int) -> Report:
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError as err:
        return {"uid_drop": _no(f"could not switch to uid {uid}: {err}")}
    # credential changes clear "dumpable", which would make /proc/self (our sys.path
    # directory handles) unreadable to ourselves; core dumps stay off by rlimit
    _libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    return {"uid_drop": _ok(f"runs as uid {uid} / gid {gid}, no supplementary groups")}


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> Report:
    """Without root the runner is "root" of its user namespace, with every capability
    there (mounting, raw sockets in its network namespace): give them all up."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    if _libc().capset(ctypes.byref(header), data) != 0:
        return {"capabilities": _no(f"capset failed: {os.strerror(ctypes.get_errno())}")}
    return {"capabilities": _ok("no capabilities left (not even inside its own namespaces)")}


def capabilities_held() -> int:
    """The effective capability bits of this process (0 when it holds none)."""
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc().capget(ctypes.byref(header), data), "capget")
    return data[0].effective | data[1].effective << 32


def set_no_new_privs() -> Report:
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return {"no_new_privs": _no(os.strerror(ctypes.get_errno()))}
    return {"no_new_privs": _ok("set-uid programs cannot raise privileges")}


# -- Landlock ------------------------------------------------------------------------------
def landlock_abi() -> tuple[int, str]:
    """(ABI version, "") or (0, why Landlock is not available)."""
    libc = _libc()
    abi = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if abi >= 1:
        return abi, ""
    err = ctypes.get_errno()
    if err == errno.ENOSYS:
        return 0, "the kernel has no Landlock (needs Linux 5.13+ built with it)"
    if err == errno.EOPNOTSUPP:
        return 0, "Landlock is built in but not enabled (add landlock to the lsm= boot option)"
    return 0, f"Landlock is not usable: {os.strerror(err)}"


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _fs_rights(abi: int) -> int:
    rights = FS_ABI1_ALL
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def build_landlock(read_paths: list[str], write_paths: list[str]) -> tuple[int, Report]:
    """A Landlock ruleset (its fd, or -1) allowing read (+execute) beneath `read_paths`
    and everything beneath `write_paths`, denying every other filesystem access, and
    with ABI >= 4 every TCP bind/connect. Built while the paths can still be opened (as
    root); `restrict_landlock` applies it after the uid drop."""
    abi, why = landlock_abi()
    if not abi:
        return -1, {"landlock_fs": _no(why), "landlock_net": _no(why),
                    "landlock_scope": _no(why)}
    libc = _libc()
    handled_fs = _fs_rights(abi)
    attr = [handled_fs]
    if abi >= 4:
        attr.append(NET_BIND_TCP | NET_CONNECT_TCP)
    if abi >= 6:
        attr.append(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    buf = (ctypes.c_uint64 * len(attr))(*attr)
    try:
        ruleset = _check(libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(buf),
                                      ctypes.c_size_t(ctypes.sizeof(buf)), ctypes.c_uint32(0)),
                         "landlock_create_ruleset")
        for paths, rights in ((read_paths, READ_RIGHTS), (write_paths, handled_fs)):
            for path in paths:
                _add_path_rule(libc, ruleset, path, rights & handled_fs)
    except OSError as err:
        return -1, {"landlock_fs": _no(str(err)), "landlock_net": _no(str(err)),
                    "landlock_scope": _no(str(err))}
    out = {"landlock_fs": _ok(f"ABI {abi}: reads only Python, system libraries and its own "
                              f"code; writes only its private directory")}
    out["landlock_net"] = (_ok("all TCP bind/connect denied") if abi >= 4 else
                           _no(f"ABI {abi} < 4 cannot restrict TCP (the network namespace "
                               "still applies)"))
    out["landlock_scope"] = (_ok("signals and abstract unix sockets confined to the sandbox")
                             if abi >= 6 else _no(f"ABI {abi} < 6 has no scoping"))
    return ruleset, out


def restrict_landlock(ruleset: int, report: Report) -> None:
    """Confine this process (and all it forks) to the ruleset; on failure the report
    says so instead of claiming the protection."""
    if ruleset < 0:
        return
    libc = _libc()
    try:
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        _check(libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)),
               "landlock_restrict_self")
    except OSError as err:
        for key in ("landlock_fs", "landlock_net", "landlock_scope"):
            report[key] = _no(str(err))
    finally:
        os.close(ruleset)


def _add_path_rule(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path that does not exist here needs no rule
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        _check(libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                            ctypes.byref(rule), ctypes.c_uint32(0)), f"landlock_add_rule {path}")
    finally:
        os.close(fd)


def python_read_paths() -> list[str]:
    """What a Python worker must read: the interpreter's installation, the system's
    shared libraries and the dynamic loader's cache."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache",
                  "/dev/urandom", "/dev/null"))
    return sorted(p for p in paths if p)
