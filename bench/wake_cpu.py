"""CPU per 80 ms frame of each wake engine on "okay Nabu": while someone speaks (every
frame scored) and in a quiet room (the noise gate skips scoring; microWakeWord and
openWakeWord's mel spectrogram still run). Process CPU time, so threads a runtime may
start are counted too."""

from __future__ import annotations

import time

import numpy as np

from audio.file_source import iter_frames
from audio.wake import WakeOptions, WakeWordDetector

ENGINE_SETS = {"micro": ("micro",), "oww": ("oww",), "fused": ()}


def _per_frame_ms(detector: WakeWordDetector, samples: np.ndarray) -> float:
    detector.reset()
    frames = list(iter_frames(samples))
    t0 = time.process_time()
    for chunk in frames:
        detector.step(chunk.samples)
    return round((time.process_time() - t0) * 1000 / max(1, len(frames)), 3)


def engine_cpu(ctx, speech: np.ndarray) -> dict[str, dict[str, float]]:
    quiet = (np.random.default_rng(7).standard_normal(30 * 16000) * 30).astype(np.int16)
    out = {}
    for name, engines in ENGINE_SETS.items():
        detector = WakeWordDetector(WakeOptions(model="okay_nabu", engines=engines), ctx.store)
        _per_frame_ms(detector, speech[:16000])  # warm up
        out[name] = {"speech_ms": _per_frame_ms(detector, speech),
                     "quiet_ms": _per_frame_ms(detector, quiet)}
    return out
