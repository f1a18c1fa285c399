"""The voice stages as the core uses them: small Protocols any implementation fits
(the local models in audio/, a scripted test stage, later a remote or GPU one). The
stack picks implementations by name (assistant/voice/factory.py); the pipeline, the
listener and barge-in see only these."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from audio.asr import AsrResult
from audio.wake import WakeDecision

if TYPE_CHECKING:
    from assistant.voice.feed import FrameFeed
    from assistant.voice.speech_output import SpeechOutput


class WakeDetector(Protocol):
    """80 ms frames in, one decision per frame: which word fired (if any) and the
    scores behind it. `name` is the word that fired last (before any, the first one)."""

    name: str
    threshold: float  # the lowest threshold among the words (for reports)

    def step(self, frame: np.ndarray) -> WakeDecision: ...

    def reset(self) -> None:
        """Forget the audio heard, patience runs and cooldowns."""


class VoiceActivity(Protocol):
    """80 ms frames in, the probability each holds speech."""

    def process(self, frame: np.ndarray) -> float: ...

    def reset(self) -> None: ...


class Transcriber(Protocol):
    """An utterance (16 kHz int16) in, its text out; the same call decodes a partial
    text of the speech so far (audio/streaming_asr.py). Blocking: run on the work
    executor."""

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None = None, *,
                   word_timestamps: bool = False, hotwords: str | None = None,
                   language: str | None = None, full_window: bool = False,
                   n_best: int = 0, accept: Callable[[str], bool] | None = None,
                   n_best_prompt: str | Callable[[str], str] | None = None) -> AsrResult: ...


class Synthesizer(Protocol):
    """Text in, audio chunks out as they are made (int16 at `sample_rate_hz`)."""

    name: str

    @property
    def sample_rate_hz(self) -> int: ...

    @property
    def language(self) -> str: ...

    def synthesize(self, text: str) -> Iterator[Any]: ...


class TurnHandoff(Protocol):
    """Someone else answers the turns begun with certain wake words: Home Assistant,
    when Heron is its voice satellite (assistant/wyoming/satellite.py). After such a
    word the pipeline hands it the microphone's frames and the speech output; it
    returns what was said and answered, or None when it could not take the turn (then
    the frames it read are handed back and Heron answers itself)."""

    def takes(self, wake_word: str) -> bool: ...

    async def run(self, wake_word: str, feed: FrameFeed, output: SpeechOutput
                  ) -> HandedOff | None: ...


@dataclass
class HandedOff:
    """A turn another assistant answered: what it heard and what it replied."""

    transcript: str = ""
    reply: str = ""
    reply_audio_ms: int = 0
    error: str = ""  # its error code, when it failed the turn
