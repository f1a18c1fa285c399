"""The audio of one utterance as it is heard, with arrival times for honest timings."""

from __future__ import annotations

import time

import numpy as np

from audio.frames import FRAME_MS, SAMPLE_RATE_HZ, AudioChunk

TAIL_PAD_MS = 160  # audio kept after the last voiced frame: whisper likes a little silence


class Utterance:
    def __init__(self, pre_roll_ms: int) -> None:
        self.pre_roll_ms = pre_roll_ms
        self.frames: list[np.ndarray] = []
        self.voiced: list[bool] = []
        self.arrivals: list[float] = []
        self.first_ms = -1  # stream position of frame 0
        self.start_ms = 0  # ms since listening began
        self.end_ms = 0
        self.end_wall = 0.0  # perf_counter when the last voiced frame arrived
        self.endpoint_wall = 0.0  # perf_counter when the end was decided

    def add(self, frame: AudioChunk, voiced: bool) -> None:
        if self.first_ms < 0:
            self.first_ms = frame.timestamp_ms
        self.frames.append(frame.samples)
        self.voiced.append(voiced)
        self.arrivals.append(time.perf_counter())

    @property
    def length_ms(self) -> int:
        return len(self.frames) * FRAME_MS

    def abs_ms(self, rel_ms: int) -> int:
        return self.first_ms + rel_ms

    def feed_from_start(self, sink) -> int:
        """Give `sink.add(samples, is_speech)` the audio from pre-roll before the start
        up to now; returns the ms (since listening began) of its first sample."""
        first = max(0, self.start_ms - self.pre_roll_ms) // FRAME_MS
        for samples, voiced in zip(self.frames[first:], self.voiced[first:], strict=True):
            sink.add(samples, voiced)
        return first * FRAME_MS

    def audio(self, end_ms: int) -> np.ndarray:
        """From pre-roll before the start to `end_ms` plus a little trailing silence."""
        start = max(0, self.start_ms - self.pre_roll_ms) // FRAME_MS
        stop = min(len(self.frames), (end_ms + TAIL_PAD_MS + FRAME_MS - 1) // FRAME_MS)
        if stop <= start:
            return np.zeros(SAMPLE_RATE_HZ // 10, np.int16)
        return np.concatenate(self.frames[start:stop])

    def finish(self, end_ms: int) -> None:
        self.end_ms = end_ms
        self.endpoint_wall = time.perf_counter()
        # The frame holding the last voiced audio arrived when that speech ended.
        idx = min(len(self.arrivals) - 1, max(0, end_ms // FRAME_MS - 1))
        self.end_wall = self.arrivals[idx]
