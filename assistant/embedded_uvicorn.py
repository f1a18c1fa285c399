"""uvicorn embedded in a caller's event loop: no signal handlers of its own (the
process that embeds it owns SIGINT/SIGTERM and stops it with `should_exit`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
