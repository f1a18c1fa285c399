"""fs.read/fs.write grants: which real paths a glob covers, and opening a path only if a
grant covers what is really opened (open first, then check, never the other way round).

A glob is split into its base (the literal folders it starts with, resolved once when
the grant is read) and the pattern below it. `**` is zero or more whole folders; every
other part matches exactly one path component, so `*` never crosses a `/`.

`open_granted` never lets the kernel follow a symlink (safe_open.py). It pins the base,
opens the parent folder beneath it, computes the real path from the pinned folder,
checks it against the grants, and only then opens (or creates) the last component
relative to that folder with O_NOFOLLOW. A symlink met on the way is read and its
target looked up again from the top, checked like any path a worker could have named:
so a link inside a grant still works, and a link (or a swap to one) that leads out is
refused with the real target named.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.permissions.safe_open import fd_path, find_symlink, open_beneath

GLOB_CHARS = re.compile(r"[*?\[]")
MAX_LINKS = 40  # as the kernel's own limit on symlinks in one lookup


def expand_glob(glob: str, home: Path | None = None) -> str | None:
    """The absolute pattern for `glob` (`~` expanded, `.`/`..` collapsed), or None when
    it is relative (a relative glob would mean "wherever Heron happens to run")."""
    home = home or Path.home()
    if glob == "~" or glob.startswith("~/"):
        glob = str(home) + glob[1:]
    if not glob.startswith("/"):
        return None
    return normalize(glob)


def normalize(path: str) -> str:
    """`.`, `..` and doubled slashes collapsed, as written (no symlink is looked at)."""
    path = os.path.normpath(path)
    return "/" + path.lstrip("/") if path.startswith("//") else path


def parts_match(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    """Path components against pattern components: `**` is any number of components
    (none too), any other part is one component (fnmatch, case-sensitive). Iterative:
    a path thousands of folders deep must not exhaust the stack."""
    reach = [True] + [False] * len(parts)  # reach[i]: the pattern so far matches parts[:i]
    for pat in pattern:
        if pat == "**":
            for i in range(1, len(reach)):
                reach[i] = reach[i] or reach[i - 1]
        else:
            reach = [False] + [reach[i] and fnmatch.fnmatchcase(parts[i], pat)
                               for i in range(len(parts))]
    return reach[-1]


def owner_trusted(uid: int) -> bool:
    """Whose symlinks a grant's base may go through: root's and our own."""
    return uid in (0, os.geteuid())


def resolve_trusted(path: str) -> tuple[str, str]:
    """(`path` with symlinks resolved, "") like os.path.realpath, but a link is followed
    only when root or we own it: anyone who can write in a folder on the way (another
    user in /tmp) could otherwise plant one and redirect a whole grant, and
    fs.protected_symlinks does not help since the kernel never follows it. Meeting any
    other link gives (`path` as written, that link)."""
    done, todo, links = "/", [p for p in path.split("/") if p], 0
    while todo:
        name = todo.pop(0)
        if name == ".":
            continue
        if name == "..":  # `done` has no link in it: its parent is exact
            done = os.path.dirname(done)
            continue
        step = os.path.join(done, name)
        try:
            st = os.lstat(step)
        except OSError:  # missing (or unreadable): nothing below it can be a link we see
            return normalize(os.path.join(step, *todo)), ""
        if not stat.S_ISLNK(st.st_mode):
            done = step
            continue
        links += 1
        if not owner_trusted(st.st_uid) or links > MAX_LINKS:
            return path, step
        target = os.readlink(step)
        todo = [p for p in target.split("/") if p] + todo
        if target.startswith("/"):
            done = "/"
    return done, ""


@dataclass(frozen=True)
class PathGrant:
    """One fs glob: `glob` as granted, `base` the literal folder it starts in (as
    written and with symlinks resolved), `rest` the pattern below it. `untrusted_link`:
    a symlink on the way to the base that another user owns; it is not followed and
    the grant covers nothing."""

    glob: str
    base: str
    base_real: str
    rest: tuple[str, ...]
    untrusted_link: str = ""

    @classmethod
    def parse(cls, glob: str, home: Path | None = None) -> PathGrant | None:
        pattern = expand_glob(glob, home)
        if pattern is None:
            return None
        parts = [p for p in pattern.split("/") if p]
        n = 0
        while n < len(parts) - 1 and not GLOB_CHARS.search(parts[n]):
            n += 1
        base = "/" + "/".join(parts[:n])
        base_real, link = resolve_trusted(base)
        return cls(glob, base, base_real, tuple(parts[n:]), link)

    def covers(self, real: str) -> bool:
        """Whether the real path `real` (absolute, normalized) falls under the glob."""
        if self.untrusted_link:
            return False
        rel = _below(real, self.base_real)
        return rel is not None and parts_match([p for p in rel.split("/") if p], self.rest)

    def relative(self, path: str) -> str | None:
        """`path` (normalized) relative to the base, as written or resolved, or None."""
        rel = _below(path, self.base)
        return rel if rel is not None else _below(path, self.base_real)


def _below(path: str, base: str) -> str | None:
    if path == base:
        return ""
    prefix = base.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


class Refused(Exception):
    """No grant covers what `target` really is (a real path, or the path as written
    when it was refused before anything was opened)."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"{why}: {target}")
        self.target = target
        self.why = why


@dataclass(frozen=True)
class Opened:
    fd: int
    path: str  # the real path that was opened
    grant: PathGrant  # the grant that covers it


def covering(real: str, grants: Sequence[PathGrant]) -> PathGrant | None:
    return next((g for g in grants if g.covers(real)), None)


def open_granted(path: str, grants: Sequence[PathGrant], flags: int, mode: int = 0o644,
                 use_openat2: bool | None = None) -> Opened:
    """Open the absolute `path` with os.open `flags` if a grant covers what it really is.
    Blocking: call it in a worker thread. Refused when nothing covers it; OSError for
    I/O failures (not found, permissions) of paths the grant does cover."""
    path = normalize(path)
    for _ in range(MAX_LINKS):
        located = next(((g, rel) for g in grants if (rel := g.relative(path)) is not None),
                       None)
        if located is None:
            raise Refused(path, "outside the grant")
        grant, rel = located
        try:
            return _open_once(grant, rel, grants, flags, mode, use_openat2)
        except _LinkMet as link:
            path = link.path_after(grant.base_real)
    raise Refused(path, "too many symbolic links")


class _LinkMet(Exception):
    def __init__(self, found: tuple[str, str, str] | None, rel: str) -> None:
        super().__init__(found)
        self.found, self.rel = found, rel

    def path_after(self, base_real: str) -> str:
        if self.found is None:  # swapped back meanwhile: look the same path up again
            return normalize(os.path.join(base_real, self.rel))
        folder, target, after = self.found
        return normalize(os.path.join(base_real, folder, target, after))


def _refuse_unless_covered(grant: PathGrant, rel: str, grants: Sequence[PathGrant]) -> None:
    """After a lookup failed (not found, not a folder, no access) before any link: every
    folder met was a real one, so `rel` as written is where the file would be. Refused
    unless that is covered, so a failure never tells what exists outside the grant."""
    wanted = normalize(os.path.join(grant.base_real, rel))
    if covering(wanted, grants) is None:
        raise Refused(wanted, "outside the grant") from None


def _open_once(grant: PathGrant, rel: str, grants: Sequence[PathGrant], flags: int,
               mode: int, use_openat2: bool | None) -> Opened:
    if grant.untrusted_link:
        raise Refused(normalize(os.path.join(grant.base, rel)),
                      f"{grant.untrusted_link} is a symbolic link another user owns")
    try:
        base_fd = os.open(grant.base_real, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        _refuse_unless_covered(grant, rel, grants)
        raise
    try:
        now = fd_path(base_fd)
        if now is not None and now != grant.base_real:
            raise Refused(now, f"{grant.base_real} was moved")
        folder, _, name = rel.rpartition("/")
        try:
            parent = open_beneath(base_fd, folder, os.O_PATH | os.O_DIRECTORY,
                                  use_openat2=use_openat2)
        except OSError as err:
            if err.errno != errno.ELOOP:
                _refuse_unless_covered(grant, rel, grants)
                raise
            raise _LinkMet(find_symlink(base_fd, rel), rel) from None
        try:
            parent_real = fd_path(parent) or os.path.join(grant.base_real, folder)
            real = normalize(os.path.join(parent_real, name)) if name else parent_real
            if covering(real, grants) is None:
                raise Refused(real, "outside the grant")
            try:
                fd = open_beneath(parent, name or ".", flags, mode, use_openat2=use_openat2)
            except OSError as err:
                if err.errno != errno.ELOOP:
                    raise
                raise _LinkMet(find_symlink(base_fd, rel), rel) from None
        finally:
            os.close(parent)
    finally:
        os.close(base_fd)
    try:  # what was opened, by the kernel's account (a rename may have raced us)
        opened = fd_path(fd) or real
        found = covering(opened, grants)
        if found is None:
            raise Refused(opened, "outside the grant")
    except BaseException:
        os.close(fd)
        raise
    return Opened(fd, opened, found)
