"""Heron's one internal audio format: 16 kHz, int16, mono, 80 ms frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE_HZ = 16000
FRAME_SAMPLES = 1280
FRAME_MS = 80


def rms(samples: np.ndarray) -> float:
    """Root mean square of int16 samples (in sample units)."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


@dataclass(frozen=True)
class AudioChunk:
    """One frame of internal audio; `timestamp_ms` is the start of the frame, in ms of
    audio since its source began."""

    samples: np.ndarray  # int16, shape (FRAME_SAMPLES,)
    timestamp_ms: int
    # time.monotonic() when the device handed over the block holding this frame (live
    # capture only): unlike the time it is read, it does not depend on a busy consumer
    captured_at: float | None = None

    @property
    def duration_ms(self) -> int:
        return len(self.samples) * 1000 // SAMPLE_RATE_HZ
