"""End of turn from the sound of speech: the smart-turn v3.2 model (BSD-2, the ONNX file
inside the pipecat-ai wheel; pipecat itself is never imported) says how likely it is
that a speaker has finished, from intonation and rhythm rather than words.

Input: the last 8 s of 16 kHz audio (silence in front when shorter), normalised to zero
mean and unit variance, as an 80 × 800 whisper log-mel computed with faster-whisper's own
FeatureExtractor. Output: P(turn complete) in 0..1.
"""

from __future__ import annotations

import threading

import numpy as np

from audio.frames import SAMPLE_RATE_HZ
from models.catalog import ModelSpec, get_spec
from models.errors import ModelError
from models.onnx import SessionOptions, create_session
from models.store import ModelStore

MODEL_ID = "smart-turn-v3.2"
WINDOW_S = 8  # the model sees exactly this much audio
_N_MELS, _N_FRAMES = 80, 800


def turn_spec() -> ModelSpec:
    """The catalog's record of the model (file, sha256, licence, reinstall command)."""
    return get_spec(MODEL_ID)


class SmartTurn:
    """`complete_probability(samples)`: how likely the speaker has finished their turn.
    Thread-safe (one inference at a time); load it off the event loop."""

    def __init__(self, store: ModelStore, threads: int = 1) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        spec = turn_spec()
        path = store.model_dir(spec) / spec.files[0].name  # model.missing / model.corrupt
        # The "-cpu" build is quantised for the CPU: a GPU provider would gain nothing.
        self._session = create_session(
            path, SessionOptions(intra_op_threads=threads, prefer_gpu=False),
            model_id=MODEL_ID, reinstall_hint=f"reinstall it: {spec.reinstall_command()}")
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != [_N_MELS, _N_FRAMES]:
            raise ModelError("model.corrupt",
                             f"{MODEL_ID}: unexpected inputs "
                             f"{[(i.name, i.shape) for i in inputs]}",
                             f"reinstall it: {spec.reinstall_command()}")
        self._input = inputs[0].name
        self._features = FeatureExtractor(feature_size=_N_MELS, chunk_length=WINDOW_S)
        self._lock = threading.Lock()

    def features(self, samples: np.ndarray) -> np.ndarray:
        """The model's input for int16 16 kHz `samples`: shape (1, 80, 800)."""
        n = WINDOW_S * SAMPLE_RATE_HZ
        audio = np.asarray(samples, dtype=np.int16)[-n:].astype(np.float32) / 32768.0
        audio = np.concatenate([np.zeros(n - len(audio), np.float32), audio])
        # The model was trained on waveforms scaled to zero mean and unit variance.
        audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
        mel = self._features(audio, padding=0)  # 800 frames: the STFT's last is dropped
        return np.asarray(mel[:, :_N_FRAMES], dtype=np.float32)[None]

    def complete_probability(self, samples: np.ndarray) -> float:
        """P(the turn is complete) for the speech so far (int16, 16 kHz, mono)."""
        x = self.features(samples)
        with self._lock:
            out = self._session.run(None, {self._input: x})[0]
        return float(np.clip(np.asarray(out).reshape(-1)[0], 0.0, 1.0))

    def warm_up(self) -> None:
        self.complete_probability(np.zeros(SAMPLE_RATE_HZ, np.int16))
