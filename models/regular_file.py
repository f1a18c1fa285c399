"""Opening a file the user named, for reading, only if it is a regular file: shared by
the audio and image loaders, which turn the failures into their own coded errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


class NotRegularFile(OSError):
    """What was opened is a directory, a FIFO, a device or a socket (`mode` says which)."""

    def __init__(self, mode: int) -> None:
        super().__init__(f"not a regular file (mode {mode:o})")
        self.mode = mode


def open_regular(path: Path | str) -> tuple[BinaryIO, os.stat_result]:
    """The open file and its stat. O_NONBLOCK: opening a FIFO would otherwise wait
    forever for a writer; fstat after the open checks what was really opened, so a swap
    between a check and the open cannot slip past. OSError (NotRegularFile among them)
    when it cannot be opened or is not a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(st.st_mode)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise
