"""The last unexpected error's traceback, kept for a bug report: one private (0600) file
in the cache dir, overwritten by each new error. The user sees a coded message naming it."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import traceback
from pathlib import Path

log = logging.getLogger(__name__)
FILE_NAME = "last-error.txt"


def last_error_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / FILE_NAME


def record_last_error(cache_dir: Path, err: BaseException, context: str = "") -> Path | None:
    """Write `err`'s traceback (its causes included) to the last-error file; the path,
    or None when it cannot be written (a full or read-only disk must not turn one
    error into two). Blocking: call it off the event loop."""
    path = last_error_path(cache_dir)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{threading.get_ident()}")
    try:
        text = (f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} {context}\n"
                + "".join(traceback.format_exception(err)))
        path.parent.mkdir(parents=True, exist_ok=True)
        # A fresh private file replaces the old one: another user never reads it, and a
        # symlink planted at the temporary name is not followed.
        tmp.unlink(missing_ok=True)  # left by a crashed writer with the same ids
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600)
        # A non-UTF-8 file name reaches the text as lone surrogates, which strict
        # UTF-8 refuses: keep them as \udcXX escapes instead.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write %s: %s", path, exc)
        return None
    except Exception as exc:  # its callers are the last line of defence: never raise
        log.error("cannot record the last error in %s: %s: %s", path,
                  type(exc).__name__, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return None
    return path

