"""microWakeWord (pymicro-wakeword's TFLite models and feature front end) behind our
80 ms frames.

Its front end makes one 40-bin feature row per 10 ms; the streaming model takes 3 rows
at a time (a probability every 30 ms) and averages the last 5 probabilities. Per frame
we report the highest probability produced during it (the last one when it produced
none). It costs ~0.2 ms per frame, so it runs on every frame, quiet or not: its
streaming state then never holds a gap (a skipped stretch would leave old audio in its
internal buffers, and a reset needs ~0.5 s of audio before it scores again).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio.frames import FRAME_SAMPLES
from audio.wake_options import micro_phrases, micro_spec_id
from models.catalog import get_spec
from models.errors import ModelError
from models.store import ModelStore


class MicroWakeEngine:
    """One microWakeWord phrase: `process(frame) -> probability` in 0..1. Not
    thread-safe: one thread. `cutoff` is the model author's own threshold."""

    def __init__(self, phrase: str, store: ModelStore) -> None:
        if phrase not in micro_phrases():
            raise ModelError("wake.engine_lacks_word",
                             f"microWakeWord has no model for {phrase!r}",
                             f"use one of {', '.join(micro_phrases())}, or set "
                             '[wake] engines = ["oww"]')
        spec_id = micro_spec_id(phrase)
        config = store.path(spec_id, f"{phrase}.json")
        store.path(spec_id, f"{phrase}.tflite")  # present and the right size
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures
        except ImportError as err:
            raise ModelError("model.runtime_missing",
                             "microWakeWord needs the pymicro-wakeword package",
                             f"install it: {get_spec(spec_id).reinstall_command()}") from err
        self.name = phrase
        self._model = MicroWakeWord.from_config(Path(config))
        self._features = MicroWakeWordFeatures()
        self.cutoff = float(self._model.probability_cutoff)
        self._last = 0.0

    def process(self, frame: np.ndarray) -> float:
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"wake features need {FRAME_SAMPLES}-sample frames, got {len(frame)}")
        data = np.asarray(frame, dtype=np.int16).tobytes()
        probs = [self._model.process_streaming_prob(f)
                 for f in self._features.process_streaming(data)]
        probs = [p for p in probs if p is not None]
        if probs:
            self._last = float(max(probs))
        return self._last

    def reset(self) -> None:
        """Forget all audio (the model's streaming state too)."""
        self._model.reset()
        self._features.reset()
        self._last = 0.0
