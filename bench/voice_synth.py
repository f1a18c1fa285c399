"""Speech for the voice corpus from three engines, cached by content hash.

A voice is named "kokoro:<style>", "espeak:<voice>@<wpm>" or "piper:joe@<length_scale>".
Every result is 16 kHz int16 mono, trimmed to the speech (-40 dBFS) plus a short margin,
so the corpus controls all silences itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.file_source import to_internal
from audio.frames import SAMPLE_RATE_HZ
from bench import wake_corpus
from bench.augment import speech_span

MARGIN_S = 0.05
PIPER_NOISE = (0.667, 0.8)  # piper's noise_scale, noise_w_scale: its usual variation
SYNTH_VERSION = "1"  # part of every cache key: bump when synthesis changes


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).copy()


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = SAMPLE_RATE_HZ) -> None:
    """Write atomically (a concurrent reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(np.asarray(samples, np.int16).tobytes())
    tmp.replace(path)


def key(*parts: object) -> str:
    """A short content hash of `parts` (bytes as they are, anything else as text)."""
    data = b"\x1f".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)
    return hashlib.sha256(data).hexdigest()[:20]


def trim(samples: np.ndarray) -> np.ndarray:
    """The spoken part with MARGIN_S either side."""
    a, b = speech_span(samples)
    pad = int(MARGIN_S * SAMPLE_RATE_HZ)
    return samples[max(0, a - pad): b + pad].copy()


def espeak(text: str, voice: str, wpm: int) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="heron-espeak-") as tmp:
        return wake_corpus.espeak(text, voice, wpm, Path(tmp) / "said.wav")


@dataclass
class Voices:
    """The engines, loaded on first use, and the cache of what they said."""

    cache_dir: Path
    _kokoro: object = None
    _piper: dict = field(default_factory=dict)

    def speech(self, voice: str, text: str) -> np.ndarray:
        """`text` in `voice`, from the cache when it was said before."""
        path = self.cache_dir / "speech" / f"{key(SYNTH_VERSION, voice, text)}.wav"
        if path.is_file():
            return read_wav(path)
        samples = trim(self._say(voice, text))
        write_wav(path, samples)
        return samples

    def _say(self, voice: str, text: str) -> np.ndarray:
        engine, _, name = voice.partition(":")
        if engine == "kokoro":
            if self._kokoro is None:
                from bench.kokoro_voice import KokoroVoice

                self._kokoro = KokoroVoice(self.cache_dir / "models")
            return self._kokoro.speak(text, name)
        if engine == "espeak":
            who, _, wpm = name.partition("@")
            return espeak(text, who, int(wpm))
        if engine == "piper" and name.startswith("joe@"):
            return self._joe(float(name.partition("@")[2]), text)
        raise ValueError(f"unknown voice {voice!r}")

    def _joe(self, length_scale: float, text: str) -> np.ndarray:
        if length_scale not in self._piper:
            from audio.tts import PiperSynthesizer, TtsOptions
            from models.store import ModelStore

            options = TtsOptions(length_scale=length_scale, noise_scale=PIPER_NOISE[0],
                                 noise_w_scale=PIPER_NOISE[1])
            self._piper[length_scale] = PiperSynthesizer(
                options, ModelStore(self.cache_dir / "models"))
        tts = self._piper[length_scale]
        return to_internal(tts.synthesize_all(text), tts.sample_rate_hz)
