"""The microphone (or file) as the pipeline reads it: echo removed, and frames a
stage heard but did not use handed back to the next one (pre-roll after barge-in)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace

from audio.echo import EchoCanceller
from audio.frames import AudioChunk


class FrameFeed:
    def __init__(self, frames: AsyncIterator[AudioChunk], echo: EchoCanceller | None = None
                 ) -> None:
        self._frames = frames
        self._echo = echo
        self._pushed: list[AudioChunk] = []

    def push_back(self, chunks: list[AudioChunk]) -> None:
        """Hand already-read (already echo-cancelled) frames back, oldest first."""
        self._pushed[:0] = chunks

    def __aiter__(self) -> FrameFeed:
        return self

    async def __anext__(self) -> AudioChunk:
        if self._pushed:
            return self._pushed.pop(0)
        chunk = await self._frames.__anext__()
        if self._echo is None:
            return chunk
        clean = self._echo.process(chunk.samples, chunk.timestamp_ms, time.monotonic())
        return chunk if clean is chunk.samples else replace(chunk, samples=clean)
