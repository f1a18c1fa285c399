"""Pure per-frame wake logic: the threshold/patience/cooldown gate of a word, and the
noise gate that tells a quiet room (nothing to score) from a voice."""

from __future__ import annotations

from collections import deque

import numpy as np

from audio.frames import FRAME_MS

SILENCE_DBFS = -120.0  # the level of a frame of digital silence
# A frame is scored when any of the last this many frames (itself included) was above
# the noise gate. The score lags the word: each embedding sees 775 ms of mel rows, and
# on the wake benchmark's 80 clips (10 dB SNR) 6 frames missed 13 words, 10 none at
# a gate of 6 or 8 dB (10 dB missed one).
GATE_FRAMES = 10  # 800 ms
NOISE_FLOOR_FRAMES = 62  # the noise floor: a low percentile of the last 5 s of frames
NOISE_FLOOR_PERCENTILE = 20  # (the minimum is an outlier: 80 ms levels of room noise
# spread over ~10 dB, and each frame above the gate would open it for 800 ms)


def frame_dbfs(frame: np.ndarray) -> float:
    """RMS level of int16 samples in dB below full scale (SILENCE_DBFS for zeros)."""
    rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
    return max(SILENCE_DBFS, 20 * np.log10(rms / 32768)) if rms > 0 else SILENCE_DBFS


class NoiseGate:
    """`update(level_dbfs) -> heard`: False while the last GATE_FRAMES frames were all
    less than `margin_db` above the room's noise floor (margin 0: always heard)."""

    def __init__(self, margin_db: float) -> None:
        self.margin_db = margin_db
        self._levels: deque[float] = deque(maxlen=NOISE_FLOOR_FRAMES)
        self._loud_frames_ago = 0  # frames since one above the noise gate

    def update(self, level_dbfs: float) -> bool:
        self._levels.append(level_dbfs)
        if self.margin_db <= 0 or level_dbfs >= self._noise_floor() + self.margin_db:
            self._loud_frames_ago = 0
        else:
            self._loud_frames_ago += 1
        return self._loud_frames_ago < GATE_FRAMES

    def _noise_floor(self) -> float:
        levels = sorted(self._levels)  # 62 floats: cheaper than np.percentile's 0.2 ms
        return levels[len(levels) * NOISE_FLOOR_PERCENTILE // 100]

    def reopen(self) -> None:
        """Score from the next frame on; the noise floor is kept."""
        self._loud_frames_ago = 0


class WakeGate:
    """Fires when `patience` consecutive scores are >= threshold, then not again until
    `cooldown_ms` of audio has passed (frames inside the cooldown do not count towards
    patience). Feed one score per frame."""

    def __init__(self, threshold: float, patience: int = 1, cooldown_ms: int = 0,
                 frame_ms: int = FRAME_MS) -> None:
        self.threshold = threshold
        self.patience = patience
        self.cooldown_ms = cooldown_ms
        self.frame_ms = frame_ms
        self.reset()

    @classmethod
    def from_tuning(cls, tuning) -> WakeGate:
        """From a ResolvedTuning (threshold, patience, cooldown_ms)."""
        return cls(tuning.threshold, tuning.patience, tuning.cooldown_ms)

    def reset(self) -> None:
        self._elapsed_ms = 0
        self._run = 0
        self._last_ms: int | None = None

    def update(self, score: float) -> bool:
        now = self._elapsed_ms
        self._elapsed_ms += self.frame_ms
        cooling = self._last_ms is not None and now - self._last_ms < self.cooldown_ms
        if score < self.threshold or cooling:
            self._run = 0
            return False
        self._run += 1
        if self._run < self.patience:
            return False
        self._run = 0
        self._last_ms = now
        return True
