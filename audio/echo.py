"""Echo suppression: Heron must not hear itself. The speaker records what it actually
plays (EchoReference); EchoCanceller finds that audio in each microphone frame (delay
by cross-correlation, gain by least squares) and subtracts it, so VAD and the wake word
see the user, not the reply — and barge-in still works."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from audio.frames import SAMPLE_RATE_HZ

_RATE = SAMPLE_RATE_HZ
_TAPS = 8  # echo path filter length in samples (0.5 ms)


class EchoReference:
    """A thread-safe record of the last few seconds of speaker output at 16 kHz, each
    block stamped with the monotonic time it was handed to the device."""

    def __init__(self, keep_s: float = 4.0) -> None:
        self._blocks: deque[tuple[float, np.ndarray, bool]] = deque()  # (start, audio, loud)
        self._lock = threading.Lock()
        self._keep_s = keep_s

    def add(self, samples: np.ndarray, rate_hz: int, t_start: float | None = None) -> None:
        """Called by the speaker for every block it outputs (PortAudio thread)."""
        t = time.monotonic() if t_start is None else t_start
        data = np.asarray(samples, dtype=np.float32).reshape(-1)
        if rate_hz != _RATE and len(data):
            n = max(1, round(len(data) * _RATE / rate_hz))
            data = np.interp(np.arange(n) * (rate_hz / _RATE), np.arange(len(data)), data)
        loud = bool(np.any(data))
        with self._lock:
            self._blocks.append((t, data.astype(np.float32), loud))
            while self._blocks and self._blocks[0][0] < t - self._keep_s:
                self._blocks.popleft()

    def played_between(self, t_from: float, t_to: float) -> bool:
        """Did the speaker make any sound between these monotonic times?"""
        with self._lock:
            return any(t < t_to and t + len(d) / _RATE > t_from and loud
                       for t, d, loud in self._blocks)

    def window(self, t_start: float, t_end: float) -> np.ndarray:
        """The speaker's output between two monotonic times (zeros where silent)."""
        n = max(0, int(round((t_end - t_start) * _RATE)))
        out = np.zeros(n, np.float32)
        with self._lock:
            blocks = list(self._blocks)
        for t, data, _loud in blocks:
            i = int(round((t - t_start) * _RATE))
            lo, hi = max(i, 0), min(i + len(data), n)
            if lo < hi:
                out[lo:hi] = data[lo - i:hi - i]
        return out


class EchoCanceller:
    """Per-frame echo removal against an EchoReference. Stateless apart from the
    capture-clock estimate and the last delay found; cheap when nothing played."""

    def __init__(self, reference: EchoReference, max_delay_ms: int = 500,
                 max_lead_ms: int = 500) -> None:
        # The echo can sit either side of the frame's clock time: the speaker's stamp
        # is a guess at its output latency, the frame's at the input latency.
        self.reference = reference
        self.max_delay_s = max_delay_ms / 1000
        self.max_lead_s = max_lead_ms / 1000
        self._clock_offset: float | None = None  # monotonic time of stream position 0
        self.last_echo_fraction = 0.0  # share of the frame's energy that was echo

    def process(self, frame: np.ndarray, position_ms: int, arrival: float | None = None
                ) -> np.ndarray:
        """The frame with the speaker's echo removed (int16). `position_ms` is the
        frame's start in the capture stream; `arrival` when it reached us."""
        arrival = time.monotonic() if arrival is None else arrival
        end_pos = (position_ms + len(frame) * 1000 / _RATE) / 1000
        # Frames can wait in a queue; the least-delayed one best ties stream to clock.
        offset = arrival - end_pos
        if self._clock_offset is None or offset < self._clock_offset:
            self._clock_offset = offset
        t_end = self._clock_offset + end_pos
        t_from, t_to = t_end - len(frame) / _RATE - self.max_delay_s, t_end + self.max_lead_s
        if not self.reference.played_between(t_from, t_to):
            self.last_echo_fraction = 0.0
            return frame
        mic = np.asarray(frame, dtype=np.float32)
        ref = self.reference.window(t_from, t_to)
        residual, fraction = cancel(mic, ref)
        self.last_echo_fraction = fraction
        return np.clip(residual, -32768, 32767).astype(np.int16)


def cancel(mic: np.ndarray, ref: np.ndarray, min_correlation: float = 0.3
           ) -> tuple[np.ndarray, float]:
    """Subtract the best-matching (delay, gain) segment of `ref` from `mic`.
    Returns (residual, fraction of mic energy removed)."""
    n = len(mic)
    if len(ref) < n or not np.any(ref):
        return mic, 0.0
    # Cross-correlate by FFT: score[k] = <mic, ref[k:k+n]>
    size = 1 << int(np.ceil(np.log2(len(ref) + n)))
    corr = np.fft.irfft(np.fft.rfft(ref, size) * np.conj(np.fft.rfft(mic, size)), size)
    corr = corr[:len(ref) - n + 1]
    cum = np.concatenate([[0.0], np.cumsum(ref.astype(np.float64) ** 2)])
    energy = cum[n:] - cum[:-n]  # energy of every n-sample segment of ref
    mic_energy = float(mic @ mic)
    if mic_energy <= 0:
        return mic, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(energy > 0, corr / np.sqrt(energy * mic_energy), 0.0)
    k = int(np.argmax(norm))
    if norm[k] < min_correlation:
        return mic, 0.0
    # A short least-squares filter around the best lag absorbs the fractional delay and
    # the difference between our resampling and the sound server's.
    lo, hi = max(0, k - _TAPS // 2), min(len(ref) - n, k + _TAPS // 2)
    basis = np.stack([ref[j:j + n] for j in range(lo, hi + 1)], axis=1)
    gram = basis.T @ basis
    gram += np.eye(len(gram)) * (1e-6 * np.trace(gram) + 1e-9)
    taps = np.linalg.solve(gram, basis.T @ mic)
    residual = mic - basis @ taps
    removed = 1.0 - float(residual @ residual) / mic_energy
    return residual, max(0.0, removed)

