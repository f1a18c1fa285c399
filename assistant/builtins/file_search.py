"""How find_files looks for names: where to start (a glob's base folder, a folder said
by name mapped to the user's XDG folder), what matches (words or a glob), and the
bounded breadth-first walk that opens every folder beneath the one granted, listing
only hits the grant covers."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import stat
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.permissions.safe_open import open_beneath

if TYPE_CHECKING:
    from assistant.tools.capabilities import Capabilities

MAX_RESULTS = 20
MAX_VISITED = 50_000
SEARCH_BUDGET_S = 4.0
_GLOB_CHARS = re.compile(r"[*?\[]")

# Folder names as said → the XDG_<KEY>_DIR entry of user-dirs.dirs
_XDG_KEYS = {"desktop": "DESKTOP", "documents": "DOCUMENTS", "document": "DOCUMENTS",
             "downloads": "DOWNLOAD", "download": "DOWNLOAD", "music": "MUSIC",
             "pictures": "PICTURES", "photos": "PICTURES", "videos": "VIDEOS",
             "templates": "TEMPLATES", "public": "PUBLICSHARE"}
_USER_DIR = re.compile(r'^XDG_(\w+)_DIR="(.*)"$')


def named_folder(home: Path, given: Path) -> Path:
    """A folder said by name ("documents", "~/downloads") that is not there as
    written: the XDG user folder of that name (~/.config/user-dirs.dirs, so
    "documents" finds ~/Dokumente too), else a folder in `home` spelt the same in
    any case. `given` when neither exists."""
    if given.exists() or given.parent != home:
        return given
    name = given.name.lower()
    key = _XDG_KEYS.get(name)
    if key:
        mapped = user_dirs(home).get(key)
        if mapped is not None and mapped.is_dir():
            return mapped
    with contextlib.suppress(OSError):
        for child in sorted(home.iterdir()):
            if child.name.lower() == name and child.is_dir():
                return child
    return given


def user_dirs(home: Path) -> dict[str, Path]:
    """The user's folders from user-dirs.dirs (xdg-user-dirs), by key (DOCUMENTS …)."""
    config = os.environ.get("XDG_CONFIG_HOME") if home == Path.home() else None
    try:
        text = (Path(config or home / ".config") / "user-dirs.dirs").read_text(
            encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        found = _USER_DIR.match(line.strip())
        if found:
            value = found.group(2).replace("$HOME", str(home))
            if value.startswith("/") and Path(value) != home:
                out[found.group(1)] = Path(value)
    return out


def glob_base(glob: str) -> str:
    """The folder a glob starts in: "~/Documents/**" → "~/Documents"."""
    parts = []
    for part in glob.split("/"):
        if _GLOB_CHARS.search(part):
            break
        parts.append(part)
    return "/".join(parts) or "/"


def matcher(query: str):
    q = query.lower()
    if _GLOB_CHARS.search(q):
        return lambda name: fnmatch.fnmatchcase(name.lower(), q)
    q = re.sub(r"\s+dot\s+", ".", q)  # "report dot pdf" as heard
    words = re.split(r"[\s_\-]+", q)

    def match(name: str) -> bool:
        low = name.lower()
        return q in low or all(w in low for w in words if w)
    return match


def search_below(root_fd: int, root: str, match, include_hidden: bool,
                 caps: Capabilities) -> tuple[list[dict[str, Any]], bool]:
    """Breadth-first below the open folder `root_fd` (real path `root`): each folder is
    opened beneath it with no symlink followed, so a folder swapped for a link is
    skipped, not entered. Shallow hits first, then recent ones. A hit must be covered
    by the grant; a link is listed only when where it finally leads is.
    Stops at MAX_VISITED entries or SEARCH_BUDGET_S."""
    deadline = time.monotonic() + SEARCH_BUDGET_S
    queue, found, visited, complete = deque([""]), [], 0, True
    while queue:
        rel = queue.popleft()
        try:
            fd = open_beneath(root_fd, rel, os.O_RDONLY | os.O_DIRECTORY) if rel else \
                os.dup(root_fd)
        except OSError:
            continue
        folder = os.path.join(root, rel) if rel else root
        try:
            with os.scandir(fd) as it:
                entries = list(it)
            for entry in entries:
                visited += 1
                if not include_hidden and entry.name.startswith("."):
                    continue
                hit = _hit(folder, entry, caps) if match(entry.name) else None
                if hit is not None:
                    found.append((len(rel.split("/")) if rel else 0, hit))
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        queue.append(os.path.join(rel, entry.name) if rel else entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
        if visited >= MAX_VISITED or time.monotonic() > deadline:
            complete = not queue
            break
    found.sort(key=lambda h: (h[0], -h[1].get("modified", 0.0)))
    return [h for _, h in found[:MAX_RESULTS]], complete and len(found) <= MAX_RESULTS


def _hit(folder: str, entry: os.DirEntry, caps: Capabilities) -> dict[str, Any] | None:
    path = os.path.join(folder, entry.name)
    try:
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            # its text alone says nothing: a link to a link can lead out. Looked up the
            # way read_file would open it (no link followed by the kernel).
            if not caps.reaches(path, "read"):  # through every link to the end
                return None
        elif not caps.covers(path, "read"):
            return None
    except OSError:
        return None
    return {"path": path, "name": entry.name, "is_dir": stat.S_ISDIR(st.st_mode),
            "size_bytes": st.st_size, "modified": st.st_mtime}
