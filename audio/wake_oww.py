"""openWakeWord on our session factory, and its okay_nabu model through
pyopen-wakeword's TFLite runtime.

openWakeWord's streaming pipeline, reimplemented: per 80 ms frame, a melspectrogram of
the frame plus 480 samples of context (8 new rows of 32), one 96-dim speech embedding
from the last 76 mel rows, and the wake model scores the last 16 embeddings. The
okay_nabu classifier ships only as .tflite (pyopen-wakeword): it scores the same ONNX
embeddings, so the costly features are shared by every word (its scores match
pyopen-wakeword's own TFLite front end within 0.01 at the peak, and are ~1 frame earlier).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from audio.enroll import EnrolledWakeWord
from audio.frames import FRAME_SAMPLES, SAMPLE_RATE_HZ
from audio.wake_gate import SILENCE_DBFS, frame_dbfs
from audio.wake_options import OWW_THRESHOLD, WakeOptions, oww_phrases
from models.catalog import get_spec
from models.errors import ModelError
from models.onnx import SessionOptions, create_session
from models.store import ModelStore

MEL_CONTEXT_SAMPLES = 480  # 3 hops of 160: the 25 ms window needs earlier audio
MEL_WINDOW_ROWS = 76  # mel rows per embedding (775 ms)
MEL_BINS = 32
EMBEDDING_DIM = 96
STARTUP_PREDICTIONS = 5  # openWakeWord zeroes the first 5 scores while buffers fill
_INIT_NOISE_SECONDS = 4


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
        self._embeddings: deque[np.ndarray | None] = deque(self._initial,
                                                            maxlen=self.max_embeddings)
        self._pending: deque[np.ndarray] = deque(maxlen=self.max_embeddings)  # mel windows
        self.level_dbfs = SILENCE_DBFS

    def melspectrogram(self, samples: np.ndarray) -> np.ndarray:
        """Mel rows [n, 32] of int16 samples, scaled as openWakeWord does (x/10 + 2)."""
        x = np.asarray(samples, dtype=np.int16).astype(np.float32)[None, :]
        spec = self._mel.run(None, {self._mel_input: x})[0]
        return np.squeeze(spec).reshape(-1, MEL_BINS) / 10 + 2

    def _embed(self, windows: np.ndarray) -> np.ndarray:
        """[k, 76, 32] mel windows -> [k, 96] embeddings."""
        batch = windows[:, :, :, None].astype(np.float32)
        return self._emb.run(None, {self._emb_input: batch})[0].reshape(-1, EMBEDDING_DIM)

    def process(self, frame: np.ndarray) -> None:
        """Add one 1280-sample frame. Its mel rows are computed now; its embedding (the
        costly part, ~2 ms) only when `embeddings` is next asked for, so frames nobody
        scores (a quiet room, see WakeWordDetector) cost only the mel spectrogram."""
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"wake features need {FRAME_SAMPLES}-sample frames, got {len(frame)}")
        frame = np.asarray(frame, dtype=np.int16)
        self.level_dbfs = frame_dbfs(frame)
        audio = np.concatenate([self._raw_tail, frame])
        self._raw_tail = audio[-MEL_CONTEXT_SAMPLES:]
        rows = self.melspectrogram(audio)
        self._mel_rows = np.vstack([self._mel_rows, rows])[-MEL_WINDOW_ROWS:]
        self._pending.append(self._mel_rows)  # maxlen: older ones would fall out anyway
        self._embeddings.append(None)

    def embeddings(self, n: int | None = None) -> np.ndarray:
        """The last `n` (default all kept) embeddings, oldest first: [n, 96] float32."""
        if self._pending:  # the newest entries are None: embed them in one batch
            done = self._embed(np.stack(self._pending))
            first = len(self._embeddings) - len(done)
            for i, vector in enumerate(done):
                self._embeddings[first + i] = vector
            self._pending.clear()
        kept = np.stack(self._embeddings).astype(np.float32)
        return kept if n is None else kept[-n:]

    def embed_clip(self, samples: np.ndarray) -> np.ndarray:
        """Embeddings of a whole clip (not streaming), one per 80 ms step: [k, 96]."""
        spec = self.melspectrogram(samples)
        starts = range(0, spec.shape[0] - MEL_WINDOW_ROWS + 1, 8)
        if not starts:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        return self._embed(np.stack([spec[i:i + MEL_WINDOW_ROWS] for i in starts]))


class OnnxWakeModel:
    """An openWakeWord model: scores the last N embeddings ([1, N, 96] -> [1, 1])."""

    def __init__(self, path: Path, name: str, hint: str) -> None:
        self.name = name
        self._session = create_session(path, SessionOptions(), model_id=name,
                                       reinstall_hint=hint)
        inp = self._session.get_inputs()[0]
        shape = list(inp.shape)
        if len(shape) != 3 or (isinstance(shape[2], int) and shape[2] != EMBEDDING_DIM):
            raise ModelError("model.bad_shape",
                             f"wake word model {name} takes input {shape}, not openWakeWord "
                             f"embeddings [1, N, {EMBEDDING_DIM}]",
                             "use a model exported by openWakeWord's training notebook, or "
                             "enroll your own word: heron wake enroll NAME")
        self._input = inp.name
        self.window = shape[1] if isinstance(shape[1], int) else 16

    def score(self, features: WakeFeatures) -> float:
        x = features.embeddings(self.window)[None]
        return float(np.asarray(self._session.run(None, {self._input: x})[0]).reshape(-1)[0])


class TfliteWakeModel:
    """An openWakeWord classifier shipped as .tflite (pyopen-wakeword's okay_nabu), run by
    that package's own TFLite runtime on our embeddings ([1, N, 96] -> score)."""

    def __init__(self, path: Path, name: str) -> None:
        try:
            from pyopen_wakeword import OpenWakeWord
        except ImportError as err:
            raise ModelError("model.runtime_missing",
                             f"wake word {name} needs the pyopen-wakeword package",
                             f"install it: {get_spec(name).reinstall_command()}") from err
        self.name = name
        self._model = OpenWakeWord.from_model(path)
        self.window = self._model.input_windows

    def score(self, features: WakeFeatures) -> float:
        # Its streaming buffer scores every new embedding; we hand it exactly one window.
        self._model.reset()
        x = features.embeddings(self.window)[None, None]
        return float(list(self._model.process_streaming(x))[-1])


WakeModel = OnnxWakeModel | TfliteWakeModel | EnrolledWakeWord  # name, window, score()


def load_wake_model(model: str, store: ModelStore, enrolled_dir: Path | None) -> WakeModel:
    """A built-in phrase, an enrolled name (in enrolled_dir) or a path to a .onnx file."""
    wake_ids = list(oww_phrases())
    if model in wake_ids:
        path = store.path(model)
        if path.suffix == ".tflite":
            return TfliteWakeModel(path, model)
        return OnnxWakeModel(path, model, _reinstall_hint(model))
    if enrolled_dir is not None and (enrolled_dir / f"{model}.npz").is_file():
        return EnrolledWakeWord.load(enrolled_dir, model)
    path = Path(model).expanduser()
    if path.suffix == ".onnx" or len(path.parts) > 1:
        if not path.is_file():
            raise ModelError("model.missing", f"wake word model {path} not found",
                             f"fix [wake] model in config.toml: a path to a .onnx file, "
                             f"an enrolled word or one of {', '.join(wake_ids)}")
        return OnnxWakeModel(path, path.stem, "retrain or re-export the custom wake word model")
    raise ModelError("model.unknown", f"unknown wake word model {model!r}",
                     f"choose one of: {', '.join(wake_ids)}, a word you enrolled "
                     "(`heron wake list`), or a path to a .onnx file")


class OpenWakeWordDetector:
    """One model's raw score per frame (no threshold logic): `process(frame) -> score`
    in 0..1. Loads in the constructor (blocking, ~0.2 s); use from one thread."""

    def __init__(self, options: WakeOptions, store: ModelStore,
                 enrolled_dir: Path | None = None) -> None:
        self.options = options
        self.model = load_wake_model(options.model, store, enrolled_dir)
        self.name = self.model.name
        self.features = WakeFeatures(store, max_embeddings=max(16, self.model.window))
        self._predictions = 0

    @property
    def threshold(self) -> float:
        t = self.options.threshold  # openWakeWord alone, whatever engines [wake] names
        return OWW_THRESHOLD if t is None else t

    def process(self, frame: np.ndarray) -> float:
        """Score one 1280-sample int16 frame."""
        self.features.process(frame)
        score = self.model.score(self.features)
        self._predictions += 1
        return 0.0 if self._predictions <= STARTUP_PREDICTIONS else score

    def reset(self) -> None:
        """Forget all audio (as after construction), e.g. after a detection."""
        self.features.reset()
        self._predictions = 0


