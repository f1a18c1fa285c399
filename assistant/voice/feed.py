"""The microphone (or file) as the pipeline reads it: echo removed, and frames a
stage heard but did not use handed back to the next one (pre-roll after barge-in)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace

from audio.echo import EchoCanceller
from audio.frames import AudioChunk, rms

log = logging.getLogger(__name__)


# A frame whose energy was mostly Heron's own voice is not the user speaking, even if
# the VAD still finds speech in what is left of it.
ECHO_DOMINATED = 0.8


class FrameFeed:
    def __init__(self, frames: AsyncIterator[AudioChunk], echo: EchoCanceller | None = None
                 ) -> None:
        self._frames = frames
        self._echo = echo
        self._pushed: list[AudioChunk] = []
        self.echo_fraction = 0.0  # share of the last frame's energy that was echo

    def voiced(self, speech_probability: float, threshold: float) -> bool:
        """Is the last frame the user's speech (not the echo of a reply)?"""
        return speech_probability >= threshold and self.echo_fraction < ECHO_DOMINATED

    def drop_pushed(self) -> None:
        """Forget the frames handed back (the microphone was muted: never use them)."""
        self._pushed.clear()

    def push_back(self, chunks: list[AudioChunk]) -> None:
        """Hand already-read (already echo-cancelled) frames back, oldest first."""
        self._pushed[:0] = chunks

    def __aiter__(self) -> FrameFeed:
        return self

    async def __anext__(self) -> AudioChunk:
        if self._pushed:
            self.echo_fraction = 0.0
            return self._pushed.pop(0)
        chunk = await self._frames.__anext__()
        if self._echo is None:
            return chunk
        # ~1 ms of numpy per frame: cheap enough to stay on the loop thread.
        # when the device delivered it, not when we got round to it: a busy loop must not
        # skew the capture clock the echo is looked up by
        arrival = chunk.captured_at if chunk.captured_at is not None else time.monotonic()
        clean = self._echo.process(chunk.samples, chunk.timestamp_ms, arrival)
        self.echo_fraction = self._echo.last_echo_fraction
        if clean is not chunk.samples and log.isEnabledFor(logging.DEBUG):
            log.debug("echo: mic rms %.0f → %.0f (%.0f%% removed)",
                      rms(chunk.samples), rms(clean), 100 * self._echo.last_echo_fraction)
        return chunk if clean is chunk.samples else replace(chunk, samples=clean)

