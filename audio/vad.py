"""Voice activity detection with Silero VAD (ONNX through models.onnx)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audio.frames import SAMPLE_RATE_HZ
from models.catalog import get_spec
from models.onnx import SessionOptions, create_session
from models.store import ModelStore

WINDOW_SAMPLES = 512  # 32 ms: the only window Silero takes at 16 kHz
CONTEXT_SAMPLES = 64


@dataclass(frozen=True)
class VadOptions:
    """A frame is speech when its Silero probability >= threshold."""

    threshold: float = field(default=0.5, metadata={"range": (0.0, 1.0)})


class SileroVad:
    """`process(frame) -> probability` of speech in 0..1. Stateful; use from one thread."""

    model_id = "silero-vad"

    def __init__(self, options: VadOptions, store: ModelStore) -> None:
        self.options = options
        self._session = create_session(
            store.path(self.model_id), SessionOptions(), model_id=self.model_id,
            reinstall_hint=f"reinstall it: {get_spec(self.model_id).reinstall_command()}")
        names = {i.name for i in self._session.get_inputs()}
        if not {"input", "state", "sr"} <= names:  # silero v5/v6 interface
            raise ValueError(f"unexpected Silero VAD inputs: {sorted(names)}")
        self._sr = np.array(SAMPLE_RATE_HZ, dtype=np.int64)
        self.reset()

    @property
    def threshold(self) -> float:
        return self.options.threshold

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._last = 0.0

    def process(self, frame: np.ndarray) -> float:
        """Max speech probability over the 512-sample windows this frame completes
        (samples left over wait for the next frame)."""
        audio = np.asarray(frame, dtype=np.int16).astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, audio])
        best: float | None = None
        while len(self._pending) >= WINDOW_SAMPLES:
            window, self._pending = (self._pending[:WINDOW_SAMPLES],
                                     self._pending[WINDOW_SAMPLES:])
            p = self._run(window)
            best = p if best is None else max(best, p)
        if best is not None:
            self._last = best
        return self._last

    def is_speech(self, frame: np.ndarray) -> bool:
        return self.process(frame) >= self.options.threshold

    def _run(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, window])[None, :]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = x[0, -CONTEXT_SAMPLES:]
        return float(np.asarray(out).reshape(-1)[0])
