"""The last unexpected error's traceback, kept for a bug report: one private (0600) file
in the cache dir, overwritten by each new error. The user sees a coded message naming it."""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

from assistant.secrets import write_private

log = logging.getLogger(__name__)
FILE_NAME = "last-error.txt"


def record_last_error(cache_dir: Path, err: BaseException, context: str = "") -> Path | None:
    """Write `err`'s traceback (its causes included) to the last-error file; the path,
    or None when it cannot be written (a full or read-only disk must not turn one
    error into two). Blocking: call it off the event loop."""
    path = Path(cache_dir) / FILE_NAME
    try:
        text = (f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} {context}\n"
                + "".join(traceback.format_exception(err)))
        # A non-UTF-8 file name reaches the text as lone surrogates, which strict
        # UTF-8 refuses: keep them as \udcXX escapes instead.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, text, sync=False)  # atomic, 0600: another user never reads it
    except OSError as exc:
        log.warning("cannot write %s: %s", path, exc)
        return None
    except Exception as exc:  # its callers are the last line of defence: never raise
        log.error("cannot record the last error in %s: %s: %s", path,
                  type(exc).__name__, exc)
        return None
    return path
