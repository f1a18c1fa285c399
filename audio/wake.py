"""Wake word detection (openWakeWord models run through models.onnx).

openWakeWord's streaming pipeline, reimplemented on our session factory: per 80 ms
frame, a melspectrogram of the frame plus 480 samples of context (8 new rows of 32),
one 96-dim speech embedding from the last 76 mel rows, and the wake model scores the
last 16 embeddings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.enroll import EnrolledWakeWord
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


@dataclass(frozen=True)
class WakeTuning:
    """A per-model override of the [wake] defaults; unset fields use the defaults."""

    threshold: float | None = None
    patience: int | None = None
    cooldown_ms: int | None = None


@dataclass(frozen=True)
class WakeOptions:
    """Wake word settings ([wake] in config.toml).

    model: one wake word — a catalog id (hey_jarvis, alexa, hey_mycroft, hey_rhasspy),
        the name of an enrolled word (`heron wake enroll NAME`), or a path to an
        openWakeWord-compatible .onnx file (input [1, N, 96] embeddings, output a score).
    models: several wake words at once (same kinds of names); when set, `model` is
        ignored. Whichever fires first wins; the detector's `name` says which.
    threshold: a score >= threshold counts; patience: that many consecutive frames
        (80 ms each) must count before the word fires; cooldown_ms: after firing, the
        same word cannot fire again for this much audio.
    noise_gate_db: a frame less than this many dB above the room's noise floor (the
        20th percentile of the last 5 s of 80 ms frame levels) is the room, not a voice.
        While the last GATE_FRAMES frames (800 ms) were all the room, no wake word can
        be ending and nothing is scored: only the cheap mel spectrogram runs, and the
        embeddings are caught up when a sound comes. That is most of the idle CPU.
        0 scores every frame.
    tuning: per-model overrides, keyed by the name as written in model/models::

        [wake]
        models = ["hey_jarvis", "alexa", "hey_heron"]
        threshold = 0.5
        patience = 1
        cooldown_ms = 1500

        [wake.tuning.alexa]
        threshold = 0.6
        patience = 2
    """

    model: str = "hey_jarvis"
    models: tuple[str, ...] = ()
    threshold: float = 0.5
    patience: int = 1
    cooldown_ms: int = 1500
    noise_gate_db: float = 8.0
    tuning: dict[str, WakeTuning] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise_gate_db <= 40.0:
            raise ValueError("wake.noise_gate_db must be in 0..40 dB (0 turns the gate off), "
                             f"got {self.noise_gate_db}")
        resolved = [(n, self.tuning_for(n)) for n in self.tuning]
        for name, t in [("", self._defaults()), *resolved]:
            where = f"wake.tuning.{name}" if name else "wake"
            if not 0.0 < t.threshold <= 1.0:
                raise ValueError(f"{where}.threshold must be in (0, 1], got {t.threshold}")
            if t.patience < 1:
                raise ValueError(f"{where}.patience must be >= 1, got {t.patience}")
            if t.cooldown_ms < 0:
                raise ValueError(f"{where}.cooldown_ms must be >= 0, got {t.cooldown_ms}")
        unknown = set(self.tuning) - set(self.model_names())
        if unknown:
            raise ValueError(f"wake.tuning names models not in use: {', '.join(sorted(unknown))}")

    def model_names(self) -> tuple[str, ...]:
        return tuple(self.models) if self.models else (self.model,)

    def _defaults(self) -> ResolvedTuning:
        return ResolvedTuning(self.threshold, self.patience, self.cooldown_ms)

    def tuning_for(self, model: str) -> ResolvedTuning:
        """Threshold, patience and cooldown for one entry of model_names()."""
        t, d = self.tuning.get(model, WakeTuning()), self._defaults()
        return ResolvedTuning(
            d.threshold if t.threshold is None else t.threshold,
            d.patience if t.patience is None else t.patience,
            d.cooldown_ms if t.cooldown_ms is None else t.cooldown_ms)


@dataclass(frozen=True)
class ResolvedTuning:
    threshold: float
    patience: int
    cooldown_ms: int


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


WakeModel = OnnxWakeModel | EnrolledWakeWord  # both: name, window, score(features)


def load_wake_model(model: str, store: ModelStore, enrolled_dir: Path | None) -> WakeModel:
    """A catalog id, an enrolled name (in enrolled_dir) or a path to a .onnx file."""
    wake_ids = [s.id for s in specs_for_role("wake")]
    if model in wake_ids:
        return OnnxWakeModel(store.path(model), model, _reinstall_hint(model))
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
        return self.options.threshold

    def process(self, frame: np.ndarray) -> float:
        """Score one 1280-sample int16 frame."""
        self.features.process(frame)
        score = self.model.score(self.features)
        self._predictions += 1
        return 0.0 if self._predictions <= _STARTUP_PREDICTIONS else score

    def reset(self) -> None:
        """Forget all audio (as after construction), e.g. after a detection."""
        self.features.reset()
        self._predictions = 0


@dataclass(frozen=True)
class WakeDecision:
    """One frame's outcome: `fired` names the model that fired (or None)."""

    fired: str | None
    score: float  # the fired model's score, else the best score this frame
    scores: dict[str, float]


class WakeWordDetector:
    """Every configured wake word on one shared feature stream, each behind its own
    threshold/patience/cooldown gate. The interface the pipeline uses:

    - `process(frame) -> score`: >= `threshold` exactly when a word fired this frame
      (its raw score); otherwise a value below `threshold`.
    - `name`: the word that fired last (before any, the first configured word).
    - `reset()`: forget audio, patience runs and cooldowns.
    - `step(frame) -> WakeDecision` gives the full picture (every model's score).
    """

    def __init__(self, options: WakeOptions, store: ModelStore,
                 enrolled_dir: Path | None = None) -> None:
        self.options = options
        names = options.model_names()
        self.models = [load_wake_model(m, store, enrolled_dir) for m in names]
        seen = [m.name for m in self.models]
        if len(set(seen)) != len(seen):
            raise ModelError("model.duplicate", f"the same wake word is configured twice: {seen}",
                             "list each wake word once in [wake] models")
        self.gates = [WakeGate.from_tuning(options.tuning_for(m)) for m in names]
        self.threshold = min(g.threshold for g in self.gates)
        self.name = self.models[0].name
        self.features = WakeFeatures(store, max_embeddings=max(m.window for m in self.models))
        self._predictions = 0
        self._levels: deque[float] = deque(maxlen=NOISE_FLOOR_FRAMES)
        self._loud_frames_ago = 0  # frames since one above the noise gate
        self.skipped_frames = 0  # frames not scored: only the room's noise was heard

    def step(self, frame: np.ndarray) -> WakeDecision:
        self.features.process(frame)
        self._predictions += 1
        level = self.features.level_dbfs
        self._levels.append(level)
        margin = self.options.noise_gate_db
        if margin <= 0 or level >= self._noise_floor() + margin:
            self._loud_frames_ago = 0
        else:
            self._loud_frames_ago += 1
        warm = self._predictions > _STARTUP_PREDICTIONS
        heard = self._loud_frames_ago < GATE_FRAMES
        if warm and not heard:
            self.skipped_frames += 1
        scores = {m.name: (m.score(self.features) if warm and heard else 0.0)
                  for m in self.models}
        fired = None
        for model, gate in zip(self.models, self.gates, strict=True):
            if gate.update(scores[model.name]) and fired is None:
                fired = model.name
        if fired is not None:
            self.name = fired
            return WakeDecision(fired, scores[fired], scores)
        return WakeDecision(None, max(scores.values()), scores)

    def _noise_floor(self) -> float:
        levels = sorted(self._levels)  # 62 floats: cheaper than np.percentile's 0.2 ms
        return levels[len(levels) * NOISE_FLOOR_PERCENTILE // 100]

    def process(self, frame: np.ndarray) -> float:
        """Score one 1280-sample frame (see the class docstring)."""
        decision = self.step(frame)
        if decision.fired is not None:
            return decision.score
        return min(decision.score, float(np.nextafter(self.threshold, 0.0)))

    def reset(self) -> None:
        self.features.reset()
        self._predictions = 0
        self._loud_frames_ago = 0  # score from the start; the noise floor is kept
        for gate in self.gates:
            gate.reset()


class WakeGate:
    """Pure per-frame logic: fires when `patience` consecutive scores are >= threshold,
    then not again until `cooldown_ms` of audio has passed (frames inside the cooldown
    do not count towards patience). Feed one score per frame."""

    def __init__(self, threshold: float, patience: int = 1, cooldown_ms: int = 0,
                 frame_ms: int = FRAME_MS) -> None:
        self.threshold = threshold
        self.patience = patience
        self.cooldown_ms = cooldown_ms
        self.frame_ms = frame_ms
        self.reset()

    @classmethod
    def from_tuning(cls, tuning: ResolvedTuning) -> WakeGate:
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
