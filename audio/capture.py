"""Live capture's pure parts: the one conversion from device blocks to Heron frames, the
retry backoff and the stall rule. No PortAudio here, so all of it is unit-tested."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from audio.frames import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE_HZ, AudioChunk


@dataclass(frozen=True)
class CaptureTiming:
    """How a live microphone decides it is lost and how it retries.

    startup_s: a freshly opened PortAudio→PulseAudio stream delivers nothing for ~0.7-2 s,
    so silence is only a loss after this long. stall_s: once audio flowed, no callback
    for this long means the device went away. retry_*: the reopen backoff (doubling)."""

    startup_s: float = 5.0
    stall_s: float = 1.5
    retry_first_s: float = 0.5
    retry_max_s: float = 4.0
    poll_s: float = 0.25  # how often the watchdog looks


def backoff_delays(first_s: float, max_s: float) -> Iterator[float]:
    """0.5, 1, 2, 4, 4, … (doubling from first_s, capped at max_s), forever."""
    delay = first_s
    while True:
        yield delay
        delay = min(delay * 2, max_s)


def stalled(timing: CaptureTiming, now_s: float, opened_at_s: float,
            last_block_at_s: float | None) -> bool:
    """True when an open stream has gone quiet for longer than it is allowed to."""
    if last_block_at_s is None:
        return now_s - opened_at_s > timing.startup_s
    return now_s - last_block_at_s > timing.stall_s


class FrameConverter:
    """Device-rate int16 mono blocks → 16 kHz 80 ms `AudioChunk`s.

    The clock (`timestamp_ms`) counts 16 kHz samples since the source began *plus* any
    gaps: after a mute or a lost device, `skip(gap_s)` advances it by the gap in whole
    frames, so the first frame after a gap jumps ahead (no silence is invented)."""

    def __init__(self) -> None:
        self._resampler = None
        self._rate_hz = SAMPLE_RATE_HZ
        self._pending = np.zeros(0, np.int16)
        self._clock = 0  # in 16 kHz samples

    @property
    def next_timestamp_ms(self) -> int:
        return self._clock * 1000 // SAMPLE_RATE_HZ

    def start(self, rate_hz: int) -> None:
        """A new stream (maybe at another rate): fresh resampler, partial frame dropped."""
        self._rate_hz = rate_hz
        self._pending = np.zeros(0, np.int16)
        if rate_hz == SAMPLE_RATE_HZ:
            self._resampler = None  # blocks pass straight through
            return
        import av

        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE_HZ)

    def skip(self, gap_s: float) -> None:
        """Advance the clock over a gap without audio, rounded down to whole frames."""
        self._clock += max(0, int(gap_s * 1000) // FRAME_MS) * FRAME_SAMPLES

    def push(self, block: np.ndarray) -> list[AudioChunk]:
        """Convert one block; whole frames come out, the remainder waits for the next."""

        if self._rate_hz == SAMPLE_RATE_HZ:  # already 16 kHz: no resampler, no copies
            converted = [block.reshape(-1).astype(np.int16, copy=False)]
        else:
            import av

            if self._resampler is None:
                self.start(self._rate_hz)
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16",
                                               layout="mono")
            frame.sample_rate = self._rate_hz
            converted = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        self._pending = np.concatenate([self._pending, *converted])
        chunks = []
        while len(self._pending) >= FRAME_SAMPLES:
            samples, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
            chunks.append(AudioChunk(samples.astype(np.int16, copy=False),
                                     self.next_timestamp_ms))
            self._clock += FRAME_SAMPLES
        return chunks
