"""The audio of one utterance as it is heard, with arrival times for honest timings.

Two ends of speech are kept: the VAD's (the last frame it judged voiced, whole 80 ms
frames, so it lags the voice) and the true one, independent of any model: the last
sample at or above -40 dBFS before the endpoint, timed to the sample."""

from __future__ import annotations

import time

import numpy as np

from audio.frames import FRAME_MS, SAMPLE_RATE_HZ, AudioChunk

TAIL_PAD_MS = 160  # audio kept after the last voiced frame: whisper likes a little silence
# -40 dBFS of int16 full scale (32768 * 10 ** (-40 / 20) = 327.7): quieter is not speech
# for the true end (a voice in a quiet room; room noise above it moves the end with it).
TRUE_END_LEVEL = 328


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
        # The last sample at or above TRUE_END_LEVEL before the endpoint: its end in ms
        # since listening began (None when nothing was that loud), and when it arrived.
        self.true_end_ms: float | None = None
        self.true_end_wall = 0.0

    def add(self, frame: AudioChunk, voiced: bool, arrival: float | None = None) -> None:
        """Keep `frame`; `arrival` is the perf_counter when it arrived (default: now)."""
        if self.first_ms < 0:
            self.first_ms = frame.timestamp_ms
        self.frames.append(frame.samples)
        self.voiced.append(voiced)
        self.arrivals.append(time.perf_counter() if arrival is None else arrival)

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
        self.true_end_ms, self.true_end_wall = self._true_end()

    def _true_end(self) -> tuple[float | None, float]:
        """The last sample at or above -40 dBFS from the pre-roll before the start up to
        the endpoint: where it ends (ms since listening began) and when it arrived (its
        frame's arrival minus the samples after it in that frame)."""
        first = max(0, self.start_ms - self.pre_roll_ms) // FRAME_MS
        for i in range(len(self.frames) - 1, first - 1, -1):
            frame = self.frames[i]
            loud = np.flatnonzero(np.abs(frame.astype(np.int32)) >= TRUE_END_LEVEL)
            if loud.size:
                after = len(frame) - 1 - int(loud[-1])
                end_ms = i * FRAME_MS + (int(loud[-1]) + 1) * 1000 / SAMPLE_RATE_HZ
                return end_ms, self.arrivals[i] - after / SAMPLE_RATE_HZ
        return None, 0.0

    def positions_ms(self) -> dict[str, float | None]:
        """Where the speech was in the input, in ms since it began: start and end as the
        VAD framed them, and the true end (None when nothing reached -40 dBFS)."""
        true_end = None if self.true_end_ms is None else round(self.first_ms
                                                                + self.true_end_ms, 1)
        return {"start_ms": float(self.abs_ms(self.start_ms)),
                "vad_end_ms": float(self.abs_ms(self.end_ms)), "true_end_ms": true_end}

    def true_end_timings(self, first_audio: float) -> dict[str, float]:
        """Timings from the true end, beside the VAD's (ms): how much later the VAD put
        the end (negative when sound above -40 dBFS, room noise say, went on past its
        last voiced frame), and the true end → `first_audio` (a perf_counter)."""
        if self.true_end_ms is None:
            return {}
        return {"true_end_to_vad_end": round((self.end_wall - self.true_end_wall) * 1000, 1),
                "voice_to_voice_true": round(max(0.0, first_audio - self.true_end_wall)
                                             * 1000, 1)}
