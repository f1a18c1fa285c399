"""The room's PortAudio streams (16 kHz mono int16, 10 ms blocks) stamped on the sound
server's own clock: `Tap` records a sink's monitor, `Player` plays clips into a sink
from a stream that runs all along, so when a sound was in a sink is known to a few ms."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TAP_RATE_HZ = 16000
TAP_BLOCK = 160  # 10 ms: a block's time is the sound server's, so small blocks are cheap
# Below ~100 ms the ALSA→PulseAudio bridge starves (docs/architecture.md, Audio devices).
STREAM_LATENCY_S = 0.1
# A new stream first works through a backlog (for 2-3 s its blocks are up to ~0.6 s
# old, and the server's estimate of that age is off); its times are trusted once the
# last SETTLE_BLOCKS came at about real-time pace with a small lag.
SETTLE_BLOCKS = 50


def _server_time(now: float, stream_now: float, stream_at: float) -> float:
    """Map a PortAudio stream time (ADC/DAC time, on the stream's clock) onto
    time.monotonic(). Both come from the sound server's latency accounting, which is far
    steadier than when a callback happens to run (blocks arrive in bursts)."""
    if stream_at <= 0 or abs(stream_now - stream_at) > 1.0:
        return now  # no usable stream time: the callback's own moment
    return now + (stream_at - stream_now)


class _Stream:
    """A 16 kHz mono int16 PortAudio stream on one of the room's ALSA devices, whose
    callback stamps each block with the sound server's time for it."""

    def __init__(self, device: str, output: bool) -> None:
        import sounddevice as sd  # only once the room's server is reachable

        self.device = device
        self._recent: deque[tuple[float, float]] = deque(maxlen=SETTLE_BLOCKS)  # (now, lag)
        kind = sd.OutputStream if output else sd.InputStream
        self._stream = kind(device=device, samplerate=TAP_RATE_HZ, channels=1, dtype="int16",
                            blocksize=TAP_BLOCK, latency=STREAM_LATENCY_S,
                            callback=self._callback)
        self._stream.start()

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        raise NotImplementedError

    def _stamp(self, stream_now: float, stream_at: float) -> float:
        now = time.monotonic()
        at = _server_time(now, stream_now, stream_at)
        self._recent.append((now, abs(at - now)))
        return at

    def settled(self, max_lag_s: float) -> bool:
        """The last SETTLE_BLOCKS came at about real-time pace, each less than
        `max_lag_s` away from its time in the sink."""
        recent = list(self._recent)
        return (len(recent) == SETTLE_BLOCKS and max(lag for _, lag in recent) < max_lag_s
                and recent[-1][0] - recent[0][0] < 1.5 * SETTLE_BLOCKS * TAP_BLOCK
                / TAP_RATE_HZ)

    def close(self) -> None:
        from audio.devices import close_stream

        close_stream(self._stream)


class Tap(_Stream):
    """Records a sink's monitor at 16 kHz; each 10 ms block is stamped with the
    time.monotonic() at which its first sample was in the sink (PortAudio's
    inputBufferAdcTime), so a sound's time is known to a few ms, not to a callback burst."""

    def __init__(self, device: str) -> None:
        self.overflows = 0
        self._lock = threading.Lock()
        self._blocks: list[tuple[float, np.ndarray]] = []
        super().__init__(device, output=False)

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        if status:
            self.overflows += 1
        at = self._stamp(t.currentTime, t.inputBufferAdcTime)
        with self._lock:
            self._blocks.append((at, data[:, 0].copy()))

    def _snapshot(self) -> list[tuple[float, np.ndarray]]:
        with self._lock:
            return list(self._blocks)

    def sound_times(self, t_from: float, t_to: float, level: int) -> np.ndarray:
        """The times of every sample in [t_from, t_to] at or above `level` (|int16|)."""
        hits = []
        for at, block in self._snapshot():
            if at + len(block) / TAP_RATE_HZ < t_from or at > t_to:
                continue
            times = at + np.flatnonzero(np.abs(block.astype(np.int32)) >= level) / TAP_RATE_HZ
            hits.append(times[(times >= t_from) & (times <= t_to)])
        return np.concatenate(hits) if hits else np.zeros(0)

    def audio(self, t_from: float, t_to: float) -> np.ndarray:
        """What was recorded between two monotonic times (zeros where nothing was)."""
        out = np.zeros(max(0, round((t_to - t_from) * TAP_RATE_HZ)), np.int16)
        for at, block in self._snapshot():
            i = round((at - t_from) * TAP_RATE_HZ)
            lo, hi = max(i, 0), min(i + len(block), len(out))
            if lo < hi:
                out[lo:hi] = block[lo - i:hi - i]
        return out

    def forget_before(self, t: float) -> None:
        """Drop blocks older than `t` (a long benchmark need not keep every run)."""
        with self._lock:
            self._blocks = [b for b in self._blocks if b[0] >= t]


@dataclass
class Playing:
    samples: np.ndarray
    started_at: float | None = None  # monotonic time its first sample was in the sink
    done: threading.Event = field(default_factory=threading.Event)


class Player(_Stream):
    """Plays 16 kHz clips into a sink from a stream that runs all along (silence in
    between), so the time the first sample reaches the sink is PortAudio's
    outputBufferDacTime of a settled stream rather than a guess at start-up."""

    def __init__(self, device: str) -> None:
        self._pending: deque[Playing] = deque()
        self._current: Playing | None = None
        self._pos = 0
        super().__init__(device, output=True)

    def play(self, samples: np.ndarray) -> Playing:
        """Start playing at the next block; returns at once."""
        playing = Playing(np.asarray(samples, np.int16).reshape(-1))
        self._pending.append(playing)
        return playing

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        out = data[:, 0]
        out[:] = 0
        at = self._stamp(t.currentTime, t.outputBufferDacTime)
        if self._current is None and self._pending:
            self._current, self._pos = self._pending.popleft(), 0
            self._current.started_at = at
        cur = self._current
        if cur is not None:
            n = min(frames, len(cur.samples) - self._pos)
            out[:n] = cur.samples[self._pos:self._pos + n]
            self._pos += n
            if self._pos >= len(cur.samples):
                self._current = None
                cur.done.set()
