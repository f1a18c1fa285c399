"""Finding music by name for media_play: the audio files and folders below the music
folder (walked through an open folder fd, no symlink followed), and the one whose name
best answers what was asked, without case or accents and forgiving small slips."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

from assistant.permissions.safe_open import open_beneath

AUDIO = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wav", ".wma",
                   ".aiff", ".aif", ".ape", ".mka", ".mpc", ".wv", ".m3u", ".m3u8", ".pls"})
MAX_ENTRIES = 20_000
SEARCH_BUDGET_S = 3.0
MIN_WORD_SCORE = 0.75  # each word asked for must be (nearly) in the name or its folders
# Words people put around a title ("play some music by Queen") that no title needs.
_FILLER = frozenset({"a", "an", "the", "by", "from", "some", "my", "song", "track", "album",
                     "music", "playlist", "please"})


def walk_music(root_fd: int, reachable: Callable[[str], bool]) -> list[tuple[str, bool]]:
    """(relative path, is folder) of the audio files and folders below the open folder:
    each folder opened beneath it with no symlink followed (a linked file is kept when
    `reachable(rel)`); dot-names left out."""
    deadline = time.monotonic() + SEARCH_BUDGET_S
    queue, out = [""], []
    while queue and len(out) < MAX_ENTRIES and time.monotonic() < deadline:
        rel = queue.pop(0)
        try:
            fd = open_beneath(root_fd, rel, os.O_RDONLY | os.O_DIRECTORY) if rel else \
                os.dup(root_fd)
        except OSError:
            continue
        try:
            with os.scandir(fd) as it:
                entries = list(it)
        except OSError:
            entries = []
        finally:
            os.close(fd)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = f"{rel}/{entry.name}" if rel else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    queue.append(path)
                    out.append((path, True))
                elif Path(entry.name).suffix.lower() in AUDIO and (
                        not entry.is_symlink() or reachable(path)):
                    out.append((path, False))
            except OSError:
                continue
    return out


def words(text: str) -> list[str]:
    """Lower-case words without accents: "Beyoncé - Halo_(live)" → beyonce halo live."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.findall(r"[^\W_]+", plain)


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) >= 3 and b.startswith(a):
        return 0.9
    if min(len(a), len(b)) < 4:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def score(query: list[str], name: list[str], folders: list[str]) -> float:
    """How well a file or folder answers `query` (0: not at all). Each query word must
    be (nearly) in the name, or in a folder above it (the artist, the album); a name
    that is all query words scores highest."""
    if not query or not name:
        return 0.0
    total = 0.0
    used = set()
    for word in query:
        in_name = max(((_similar(word, w), i) for i, w in enumerate(name)), default=(0.0, -1))
        in_folder = max((_similar(word, w) for w in folders), default=0.0) * 0.9
        best = max(in_name[0], in_folder)
        if best < MIN_WORD_SCORE:
            return 0.0
        if in_name[0] >= in_folder:
            used.add(in_name[1])
        total += best
    coverage = len(used) / len(name)  # "alpha" prefers "Alpha" to "Alpha (live remix)"
    return total / len(query) + 0.2 * coverage


def best_match(query: str, entries: list[tuple[str, bool]]) -> tuple[str, bool] | None:
    """The entry (relative path, is folder) whose name answers `query` best, or None."""
    asked = words(query)
    asked = [w for w in asked if w not in _FILLER] or asked
    best, best_score = None, 0.0
    for rel, is_dir in entries:
        parts = rel.split("/")
        stem = parts[-1] if is_dir else Path(parts[-1]).stem
        name = words(stem)
        if len(name) > 1 and name[0].isdigit() and not any(w.isdigit() for w in asked):
            name = name[1:]  # "01 - Intro": the track number is not part of the title
        folders = [w for part in parts[:-1] for w in words(part)]
        s = score(asked, name, folders) - 0.01 * len(parts)  # ties: the shallower one
        if s > best_score:
            best, best_score = (rel, is_dir), s
    return best
