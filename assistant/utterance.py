"""The audio of one utterance as it is heard, with arrival times for honest timings
and at most one speculative transcription of the audio so far."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from assistant.voice import VoiceStack
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ, AudioChunk

TAIL_PAD_MS = 160  # audio kept after the last voiced frame: whisper likes a little silence


class Utterance:
    def __init__(self, stack: VoiceStack, pre_roll_ms: int) -> None:
        self.stack = stack
        self.pre_roll_ms = pre_roll_ms
        self.frames: list[np.ndarray] = []
        self.arrivals: list[float] = []
        self.first_ms = -1  # stream position of frame 0
        self.start_ms = 0
        self.end_ms = 0
        self.silence_ms = 0
        self.end_wall = 0.0
        self.endpoint_wall = 0.0
        self._spec: tuple[int, asyncio.Future] | None = None

    def add(self, frame: AudioChunk, voiced: bool) -> None:
        if self.first_ms < 0:
            self.first_ms = frame.timestamp_ms
        self.frames.append(frame.samples)
        self.arrivals.append(time.perf_counter())
        self.silence_ms = 0 if voiced else self.silence_ms + FRAME_MS

    @property
    def length_ms(self) -> int:
        return len(self.frames) * FRAME_MS

    def abs_ms(self, rel_ms: int) -> int:
        return self.first_ms + rel_ms

    def audio(self, end_ms: int) -> np.ndarray:
        start = max(0, self.start_ms - self.pre_roll_ms) // FRAME_MS
        stop = min(len(self.frames), (end_ms + TAIL_PAD_MS + FRAME_MS - 1) // FRAME_MS)
        if stop <= start:
            return np.zeros(SAMPLE_RATE_HZ // 10, np.int16)
        return np.concatenate(self.frames[start:stop])

    def _decode(self, end_ms: int) -> asyncio.Future:
        audio = self.audio(end_ms)
        asr = self.stack.asr

        def run():
            return asr.transcribe(audio), time.perf_counter()

        return asyncio.ensure_future(self.stack.on_work(run))

    def speculate(self, end_ms: int) -> None:
        """Start decoding the audio up to `end_ms` while the endpoint is undecided."""
        if self._spec is None:
            self._spec = (end_ms, self._decode(end_ms))

    def speculation(self) -> tuple[int, asyncio.Future] | None:
        return self._spec

    def drop_speculation(self) -> None:
        if self._spec is not None:
            self._spec[1].cancel()  # the executor finishes it; the result is ignored
            self._spec = None

    def finish(self, end_ms: int) -> None:
        self.end_ms = end_ms
        self.endpoint_wall = time.perf_counter()
        # The frame holding the last voiced audio arrived when that speech ended.
        idx = min(len(self.arrivals) - 1, max(0, end_ms // FRAME_MS - 1))
        self.end_wall = self.arrivals[idx]

    async def transcript(self):
        """(AsrResult, time it was ready): the speculative one when it covers the end."""
        if self._spec is not None and self._spec[0] == self.end_ms:
            return await self._spec[1]
        self.drop_speculation()
        return await self._decode(self.end_ms)
