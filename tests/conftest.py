"""Shared test helpers: real speech made with the bundled piper voice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.store import ModelStore

SpeakFn = Callable[..., np.ndarray]


@pytest.fixture(scope="session")
def speech_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    """A ModelStore with its own (temporary) models dir, shared by the session."""
    return ModelStore(Path(tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def speak(speech_store: ModelStore) -> SpeakFn:
    """speak(text, lead_ms=1000, tail_ms=1000) -> 16 kHz int16 mono speech by piper,
    with digital silence around it, the same on every run. Cached per text."""
    from audio.file_source import to_internal
    from audio.tts import PiperSynthesizer, TtsOptions

    # No random variation: the same text is the same audio on every run.
    tts = PiperSynthesizer(TtsOptions(noise_scale=0.0, noise_w_scale=0.0), speech_store)
    cache: dict[str, np.ndarray] = {}

    def _speak(text: str, lead_ms: int = 1000, tail_ms: int = 1000) -> np.ndarray:
        if text not in cache:
            cache[text] = to_internal(tts.synthesize_all(text), tts.sample_rate_hz)
        pad = lambda ms: np.zeros(ms * 16, np.int16)  # noqa: E731
        return np.concatenate([pad(lead_ms), cache[text], pad(tail_ms)])

    return _speak


@pytest.fixture
def pulse(tmp_path_factory: pytest.TempPathFactory):
    """A private PulseAudio server (null sink + its monitor as the microphone)."""
    from helpers import PulseServer

    server = PulseServer(Path(tmp_path_factory.mktemp("pulse"))).start()
    yield server
    server.stop()
