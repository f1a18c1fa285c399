"""Wake word detection (openWakeWord models run through models.onnx).

openWakeWord's streaming pipeline, reimplemented on our session factory: per 80 ms
frame, a melspectrogram of the frame plus 480 samples of context (8 new rows of 32),
one 96-dim speech embedding from the last 76 mel rows, and the wake model scores the
last 16 embeddings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.frames import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE_HZ
from models.catalog import get_spec, specs_for_role
from models.errors import ModelError
from models.onnx import SessionOptions, create_session
from models.store import ModelStore

MEL_CONTEXT_SAMPLES = 480  # 3 hops of 160: the 25 ms window needs earlier audio
MEL_WINDOW_ROWS = 76  # mel rows per embedding (775 ms)
MEL_BINS = 32
EMBEDDING_DIM = 96
_STARTUP_PREDICTIONS = 5  # openWakeWord zeroes the first 5 scores while buffers fill
_INIT_NOISE_SECONDS = 4


@dataclass(frozen=True)
class WakeOptions:
    """model: catalog id (hey_jarvis, alexa, hey_mycroft, hey_rhasspy) or a path to an
    openWakeWord-compatible .onnx file; a score >= threshold is a detection."""

    model: str = "hey_jarvis"
    threshold: float = 0.5
    cooldown_ms: int = 1500


def _reinstall_hint(model_id: str) -> str:
    return f"reinstall it: {get_spec(model_id).reinstall_command()}"


class WakeFeatures:
    """Streaming openWakeWord features: 16 kHz int16 frames in, speech embeddings out.

    Also used for few-shot enrolment (`embed_clip`). Not thread-safe: one thread.
    """

    def __init__(self, store: ModelStore, max_embeddings: int = 16) -> None:
        opts = SessionOptions(intra_op_threads=1, inter_op_threads=1)
        self._mel = create_session(store.path("oww-melspectrogram"), opts,
                                   model_id="oww-melspectrogram",
                                   reinstall_hint=_reinstall_hint("oww-melspectrogram"))
        self._emb = create_session(store.path("oww-embedding"), opts, model_id="oww-embedding",
                                   reinstall_hint=_reinstall_hint("oww-embedding"))
        self._mel_input = self._mel.get_inputs()[0].name
        self._emb_input = self._emb.get_inputs()[0].name
        self.max_embeddings = max_embeddings
        # openWakeWord starts its feature buffer with embeddings of random noise; we use
        # seeded noise so runs are reproducible.
        noise = np.random.default_rng(0).integers(
            -1000, 1000, SAMPLE_RATE_HZ * _INIT_NOISE_SECONDS).astype(np.int16)
        self._initial = self.embed_clip(noise)[-max_embeddings:]
        self.reset()

    def reset(self) -> None:
        """Forget all audio: back to the startup buffers."""
        self._raw_tail = np.zeros(0, np.int16)
        self._mel_rows = np.ones((MEL_WINDOW_ROWS, MEL_BINS), np.float32)
        self._embeddings: deque[np.ndarray] = deque(self._initial, maxlen=self.max_embeddings)

    def melspectrogram(self, samples: np.ndarray) -> np.ndarray:
        """Mel rows [n, 32] of int16 samples, scaled as openWakeWord does (x/10 + 2)."""
        x = np.asarray(samples, dtype=np.int16).astype(np.float32)[None, :]
        spec = self._mel.run(None, {self._mel_input: x})[0]
        return np.squeeze(spec).reshape(-1, MEL_BINS) / 10 + 2

    def _embed(self, windows: np.ndarray) -> np.ndarray:
        """[k, 76, 32] mel windows -> [k, 96] embeddings."""
        batch = windows[:, :, :, None].astype(np.float32)
        return self._emb.run(None, {self._emb_input: batch})[0].reshape(-1, EMBEDDING_DIM)

    def process(self, frame: np.ndarray) -> np.ndarray:
        """Add one 1280-sample frame; returns its 96-dim embedding."""
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"wake features need {FRAME_SAMPLES}-sample frames, got {len(frame)}")
        frame = np.asarray(frame, dtype=np.int16)
        audio = np.concatenate([self._raw_tail, frame])
        self._raw_tail = audio[-MEL_CONTEXT_SAMPLES:]
        rows = self.melspectrogram(audio)
        self._mel_rows = np.vstack([self._mel_rows, rows])[-MEL_WINDOW_ROWS:]
        embedding = self._embed(self._mel_rows[None])[0]
        self._embeddings.append(embedding)
        return embedding

    def embeddings(self, n: int | None = None) -> np.ndarray:
        """The last `n` (default all kept) embeddings, oldest first: [n, 96] float32."""
        kept = np.stack(self._embeddings).astype(np.float32)
        return kept if n is None else kept[-n:]

    def embed_clip(self, samples: np.ndarray) -> np.ndarray:
        """Embeddings of a whole clip (not streaming), one per 80 ms step: [k, 96]."""
        spec = self.melspectrogram(samples)
        starts = range(0, spec.shape[0] - MEL_WINDOW_ROWS + 1, 8)
        if not starts:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        return self._embed(np.stack([spec[i:i + MEL_WINDOW_ROWS] for i in starts]))


class OpenWakeWordDetector:
    """One openWakeWord model: `process(frame) -> score` in 0..1. Loads its models in
    the constructor (blocking, ~0.2 s); use from one thread."""

    def __init__(self, options: WakeOptions, store: ModelStore) -> None:
        self.options = options
        path, self.name, hint = _resolve_model(options.model, store)
        self._session = create_session(path, SessionOptions(), model_id=self.name,
                                       reinstall_hint=hint)
        inp = self._session.get_inputs()[0]
        self._input = inp.name
        n = inp.shape[1] if isinstance(inp.shape[1], int) else 16
        self.features = WakeFeatures(store, max_embeddings=n)
        self._n_embeddings = n
        self._predictions = 0

    @property
    def threshold(self) -> float:
        return self.options.threshold

    def process(self, frame: np.ndarray) -> float:
        """Score one 1280-sample int16 frame."""
        self.features.process(frame)
        x = self.features.embeddings(self._n_embeddings)[None]
        score = float(np.asarray(self._session.run(None, {self._input: x})[0]).reshape(-1)[0])
        self._predictions += 1
        return 0.0 if self._predictions <= _STARTUP_PREDICTIONS else score

    def reset(self) -> None:
        """Forget all audio (as after construction), e.g. after a detection."""
        self.features.reset()
        self._predictions = 0


def _resolve_model(model: str, store: ModelStore) -> tuple[Path, str, str]:
    """(path, name, reinstall hint) for a catalog id or a custom .onnx path."""
    wake_ids = [s.id for s in specs_for_role("wake")]
    if model in wake_ids:
        return store.path(model), model, _reinstall_hint(model)
    path = Path(model).expanduser()
    if path.suffix == ".onnx" or len(path.parts) > 1:
        if not path.is_file():
            raise ModelError("model.missing", f"wake word model {path} not found",
                             f"fix [wake] model in config.toml: a path to a .onnx file "
                             f"or one of {', '.join(wake_ids)}")
        return path, path.stem, "retrain or re-export the custom wake word model"
    raise ModelError("model.unknown", f"unknown wake word model {model!r}",
                     f"choose one of: {', '.join(wake_ids)}, or a path to a .onnx file")


class WakeCooldown:
    """Pure debounce: a score >= threshold is a detection unless one was reported
    within the last `cooldown_ms` of audio. Feed one score per frame."""

    def __init__(self, threshold: float, cooldown_ms: int, frame_ms: int = FRAME_MS) -> None:
        self.threshold = threshold
        self.cooldown_ms = cooldown_ms
        self.frame_ms = frame_ms
        self.reset()

    def reset(self) -> None:
        self._elapsed_ms = 0
        self._last_ms: int | None = None

    def update(self, score: float) -> bool:
        now = self._elapsed_ms
        self._elapsed_ms += self.frame_ms
        if score < self.threshold:
            return False
        if self._last_ms is not None and now - self._last_ms < self.cooldown_ms:
            return False
        self._last_ms = now
        return True
