"""The worker's seccomp filter, installed in a child process of its own: socketpair(2)
only for unix sockets, and no syscall by its x32 number."""

from __future__ import annotations

import errno
import json
import platform
import subprocess
import sys

import pytest
from helpers import REPO

from assistant.workers import seccomp

CONFINED = """
import ctypes, json, os, socket
from assistant.workers import limits, seccomp

def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as err:
        return err.errno

def pair(family, kind):
    a, b = socket.socketpair(family, kind)
    a.close()
    b.close()

def x32_socket():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(ctypes.c_long(0x40000000 | 41), ctypes.c_long(socket.AF_UNIX),
                      ctypes.c_long(socket.SOCK_STREAM), ctypes.c_long(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "x32 socket")
    os.close(fd)

limits.set_no_new_privs()
report = seccomp.install()
print(json.dumps({
    "installed": report["socket_families"]["enforced"],
    "unix": attempt(lambda: pair(socket.AF_UNIX, socket.SOCK_STREAM)),
    "unix_dgram": attempt(lambda: pair(socket.AF_UNIX, socket.SOCK_DGRAM)),
    "inet": attempt(lambda: pair(socket.AF_INET, socket.SOCK_STREAM)),
    "netlink": attempt(lambda: pair(socket.AF_NETLINK, socket.SOCK_RAW)),
    "x32": attempt(x32_socket) if os.uname().machine == "x86_64" else None,
}))
"""


@pytest.fixture(scope="module")
def confined() -> dict:
    if platform.machine() not in seccomp._ARCH:
        pytest.fail(f"no seccomp filter for {platform.machine()}: the sandbox needs one")
    proc = subprocess.run([sys.executable, "-c", CONFINED], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["installed"], out
    return out


def test_a_socketpair_is_unix_only(confined: dict) -> None:
    assert confined["unix"] == confined["unix_dgram"] == "ok"  # asyncio needs one
    # EACCES: refused by the filter (the kernel itself would say EOPNOTSUPP)
    assert confined["inet"] == confined["netlink"] == errno.EACCES


def test_a_syscall_by_its_x32_number_never_gives_a_socket(confined: dict) -> None:
    if platform.machine() != "x86_64":
        assert confined["x32"] is None
        return
    assert confined["x32"] in (errno.EPERM, errno.EACCES, errno.ENOSYS), confined
