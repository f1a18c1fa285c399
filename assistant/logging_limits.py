"""Log flood control: the same message from the same place, over and over (a client
hammering the instance socket, a resource that stays exhausted), is written a few
times and then summed up as "… (repeated N times)" instead of filling the disk."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_KINDS = 1024


@dataclass
class _Seen:
    window_start: float
    passed: int = 0
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """Lets `burst` identical records (same logger, level and rendered message) through
    per `interval_s`, drops the rest and says how many it dropped on the next one that
    passes. Different messages are never held back by each other."""

    def __init__(self, interval_s: float = 60.0, burst: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.burst = burst
        self._clock = clock
        self._seen: dict[tuple, _Seen] = {}
        self._lock = threading.Lock()  # handlers may be called from several threads

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        now = self._clock()
        with self._lock:
            if len(self._seen) >= MAX_KINDS:
                self._forget(now)
            seen = self._seen.get(key)
            if seen is None or now - seen.window_start >= self.interval_s:
                dropped = seen.suppressed if seen is not None else 0
                self._seen[key] = _Seen(window_start=now, passed=1)
                if dropped:
                    _append(record, f" (repeated {dropped} times)")
                return True
            if seen.passed < self.burst:
                seen.passed += 1
                return True
            if seen.passed == self.burst:  # say once that the rest is held back
                seen.passed += 1
                _append(record, f" (repeated; more like it are held back for "
                                f"{self.interval_s:g} s)")
                return True
            seen.suppressed += 1
            return False


    def _forget(self, now: float) -> None:
        """Bound the memory a stream of ever-different messages can take."""
        self._seen = {k: v for k, v in self._seen.items()
                      if now - v.window_start < self.interval_s and v.suppressed}
        if len(self._seen) >= MAX_KINDS:
            self._seen.clear()


def _append(record: logging.LogRecord, note: str) -> None:
    # Render the message now, so the note is never taken for a %-placeholder.
    record.msg = record.getMessage() + note
    record.args = ()


def limit_repeats(logger: logging.Logger | None = None, **options) -> RepeatFilter:
    """Install a RepeatFilter on `logger`'s handlers (the root logger's by default),
    where it sees records propagated from every module, and return it."""
    target = logger or logging.getLogger()
    flt = RepeatFilter(**options)
    for handler in target.handlers:
        handler.addFilter(flt)
    return flt
