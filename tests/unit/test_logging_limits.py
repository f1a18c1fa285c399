"""A message repeated thousands of times (a flood on the instance socket, a resource that
stays exhausted) takes a few lines of the log, not gigabytes."""

from __future__ import annotations

import io
import logging

from assistant.logging_limits import RepeatFilter, limit_repeats


def logger_writing_to(stream: io.StringIO, name: str, flt: RepeatFilter) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(flt)
    logger.handlers = [handler]
    return logger


def test_a_flood_of_one_message_is_summed_up():
    now = [0.0]
    out = io.StringIO()
    log = logger_writing_to(out, "test.flood", RepeatFilter(60, burst=3, clock=lambda: now[0]))
    for _ in range(10_000):
        log.warning("cannot accept: %s", "too many open files")
        now[0] += 0.001  # 10 s in all: one window
    now[0] = 61.0
    log.warning("cannot accept: %s", "too many open files")
    lines = out.getvalue().splitlines()
    assert len(lines) == 5  # the burst, the note that more are held back, the summary
    assert "held back for 60 s" in lines[3]
    assert lines[4] == "WARNING cannot accept: too many open files (repeated 9996 times)"


def test_different_messages_are_not_held_back():
    out = io.StringIO()
    log = logger_writing_to(out, "test.distinct", RepeatFilter(60, burst=1))
    for _ in range(3):
        for what in ("mic", "speaker", "screen"):
            log.warning("no %s", what)
    assert out.getvalue().splitlines() == [
        "WARNING no mic", "WARNING no speaker", "WARNING no screen",
        "WARNING no mic (repeated; more like it are held back for 60 s)",
        "WARNING no speaker (repeated; more like it are held back for 60 s)",
        "WARNING no screen (repeated; more like it are held back for 60 s)"]


def test_ever_different_messages_do_not_grow_memory():
    flt = RepeatFilter(60, burst=1)
    log = logger_writing_to(io.StringIO(), "test.growth", flt)
    for n in range(20_000):
        log.warning("request %d", n)
    assert len(flt._seen) <= 1024


def test_it_guards_every_module_through_the_root_handlers():
    root = logging.getLogger()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    saved = root.handlers
    root.handlers = [handler]
    try:
        limit_repeats(interval_s=60, burst=2)
        for _ in range(1000):
            logging.getLogger("assistant.somewhere").error("socket %s failed", "x")
    finally:
        root.handlers = saved
    assert len(out.getvalue().splitlines()) == 3
