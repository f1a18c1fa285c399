"""Opening a path beneath a directory fd without the kernel ever following a symlink.

Checking a path and then opening it by name is a race: between the two, whoever can
write somewhere along the path can swap a component for a symlink, and the open lands
outside what was checked. Everything here pins directories as file descriptors and
opens each next step relative to the one before:

- `openat2(2)` with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where
  the kernel has it (Linux >= 5.6; a seccomp filter may hide it: ENOSYS/EPERM), called
  through ctypes because Python has no binding;
- otherwise a walk, one component at a time, with O_NOFOLLOW directory fds and `openat`.

Both refuse a symlink at any component (ELOOP) and a `..` that would climb above the
starting directory (EXDEV). Callers that want to honour a symlink read it with
`find_symlink` and look the target up again from the top, checked like any other path.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import stat

RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
_SYS_OPENAT2 = 437  # the same number on every architecture (asm-generic and x86)
_STRICT = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
# RESOLVE_BENEATH answers EAGAIN when a rename anywhere on the system may have moved a
# `..` it resolved; that is transient, so it is retried this many times
EAGAIN_RETRIES = 3


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def openat2(dirfd: int, path: str, flags: int, mode: int = 0, resolve: int = _STRICT) -> int:
    """The raw syscall; OSError (ENOSYS when the kernel or a seccomp filter lacks it)."""
    tmpfile = getattr(os, "O_TMPFILE", 0)  # includes O_DIRECTORY's bit: test it whole
    creates = flags & os.O_CREAT or (tmpfile and flags & tmpfile == tmpfile)
    how = _OpenHow(flags, mode if creates else 0, resolve)
    syscall = _libc().syscall
    syscall.restype = ctypes.c_long
    fd = syscall(ctypes.c_long(_SYS_OPENAT2), ctypes.c_int(dirfd), os.fsencode(path),
                 ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), path)
    return fd


@functools.cache
def openat2_works() -> bool:
    """Whether openat2 with the strict resolve flags is usable here (probed once)."""
    try:
        root = os.open("/", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.close(openat2(root, ".", os.O_PATH | os.O_CLOEXEC))
        return True
    except (OSError, AttributeError):  # ENOSYS, EPERM (seccomp), E2BIG/EINVAL (old ABI)
        return False
    finally:
        os.close(root)


def _parts(rel: str) -> list[str]:
    if rel.startswith("/"):
        raise OSError(errno.EXDEV, "an absolute path cannot be beneath a directory", rel)
    if "\x00" in rel:
        raise ValueError("embedded null byte")
    return [p for p in rel.split("/") if p not in ("", ".")]


def open_beneath(dirfd: int, rel: str, flags: int, mode: int = 0o644,
                 use_openat2: bool | None = None) -> int:
    """Open `rel` beneath the directory `dirfd`, following no symlink anywhere (ELOOP)
    and never climbing above `dirfd` (EXDEV). `flags` as for os.open; O_CLOEXEC is
    added. `use_openat2` None: whenever the kernel has it."""
    flags |= os.O_CLOEXEC
    parts = _parts(rel)
    if use_openat2 is None:
        use_openat2 = openat2_works()
    if use_openat2:
        if flags & os.O_PATH:  # O_PATH|O_NOFOLLOW would hand back the link itself
            flags &= ~os.O_NOFOLLOW
        for _ in range(EAGAIN_RETRIES):
            try:
                return openat2(dirfd, "/".join(parts) or ".", flags, mode)
            except BlockingIOError:  # EAGAIN: a rename raced a `..` lookup; try again
                continue
        return openat2(dirfd, "/".join(parts) or ".", flags, mode)
    return _walk_open(dirfd, parts, flags, mode)


def _open_dir_step(parent: int, name: str) -> int:
    """One directory component, no symlink followed: O_PATH so a folder we may only
    search (--x) can still be passed through."""
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        return fd
    os.close(fd)
    if stat.S_ISLNK(mode):
        raise OSError(errno.ELOOP, "a symbolic link is not followed", name)
    raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), name)


def _walk_open(dirfd: int, parts: list[str], flags: int, mode: int) -> int:
    """The fallback: a stack of pinned directory fds; `..` pops one, never the first."""
    stack = [os.dup(dirfd)]
    try:
        *dirs, last = parts or ["."]
        for name in dirs:
            if name == "..":
                if len(stack) == 1:
                    raise OSError(errno.EXDEV, "`..` would leave the directory", name)
                os.close(stack.pop())
            else:
                stack.append(_open_dir_step(stack[-1], name))
        if last == "..":
            if len(stack) == 1:
                raise OSError(errno.EXDEV, "`..` would leave the directory", last)
            os.close(stack.pop())
            last = "."
        if flags & os.O_PATH:  # O_PATH|O_NOFOLLOW opens a link itself: refuse it here
            fd = os.open(last, (flags | os.O_NOFOLLOW) & ~os.O_DIRECTORY, dir_fd=stack[-1])
            kind = os.fstat(fd).st_mode
            if stat.S_ISLNK(kind) or (flags & os.O_DIRECTORY and not stat.S_ISDIR(kind)):
                os.close(fd)
                code = errno.ELOOP if stat.S_ISLNK(kind) else errno.ENOTDIR
                raise OSError(code, os.strerror(code), last)
            return fd
        try:
            return os.open(last, flags | os.O_NOFOLLOW, mode, dir_fd=stack[-1])
        except NotADirectoryError:  # O_DIRECTORY met a link: say it was a link
            if stat.S_ISLNK(os.stat(last, dir_fd=stack[-1], follow_symlinks=False).st_mode):
                raise OSError(errno.ELOOP, "a symbolic link is not followed", last) from None
            raise
    finally:
        for fd in stack:
            os.close(fd)


def find_symlink(dirfd: int, rel: str) -> tuple[str, str, str] | None:
    """The first symlink met looking `rel` up beneath `dirfd`: (the folder holding it,
    relative to dirfd; its target as stored; what of `rel` comes after it), or None.
    Only reads links; nothing is followed. `..` is collapsed as the walk goes (every
    folder before the link is a real one, so that is exact)."""
    parts = _parts(rel)
    stack = [os.dup(dirfd)]
    names: list[str] = []
    try:
        for i, name in enumerate(parts):
            if name == "..":
                if len(stack) == 1:
                    raise OSError(errno.EXDEV, "`..` would leave the directory", name)
                os.close(stack.pop())
                names.pop()
                continue
            try:
                st = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = os.readlink(name, dir_fd=stack[-1])
                except OSError as err:  # EINVAL/ENOENT: no longer a link, swapped back
                    if err.errno in (errno.EINVAL, errno.ENOENT):
                        return None
                    raise
                return "/".join(names), target, "/".join(parts[i + 1:])
            if i == len(parts) - 1 or not stat.S_ISDIR(st.st_mode):
                return None
            try:
                stack.append(_open_dir_step(stack[-1], name))
            except OSError as err:  # changed since the stat: the caller looks again
                if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                    return None
                raise
            names.append(name)
        return None
    finally:
        for fd in stack:
            os.close(fd)


def fd_path(fd: int) -> str | None:
    """The path the kernel has for an open fd (/proc/self/fd), or None when /proc is
    missing. OSError(ENOENT) when the file was deleted after it was opened."""
    try:
        path = os.readlink(f"/proc/self/fd/{fd}")
    except FileNotFoundError:
        return None
    if not path.startswith("/"):  # pipe:[…], anon_inode:…
        return None
    if path.endswith(" (deleted)") and os.fstat(fd).st_nlink == 0:
        raise OSError(errno.ENOENT, "the file was deleted while it was opened", path)
    return path


def write_all(fd: int, data: bytes) -> None:
    """All of `data` to `fd` (os.write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_at_most(fd: int, limit: int) -> bytes:
    """Up to `limit` bytes from `fd`, in 64 KiB reads, stopping early at end of file."""
    chunks, left = [], limit
    while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
