"""Scripted voice stages for pipeline tests (Home Assistant's assist_pipeline tests do the
same): no microphone, no models. Frames carry their meaning in their samples — loud is
speech, a marker is the wake word — and the scripted transcriber says what it is told.
Everything else (listener, endpointer, hearing, agent, tools, speech output) is real."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import numpy as np

from assistant.bus import EventBus
from assistant.config import HeronConfig, from_dict
from assistant.events import Event
from assistant.voice.stack import VoiceStack, VoiceStages
from audio.asr import AsrResult
from audio.frames import FRAME_MS, FRAME_SAMPLES, AudioChunk
from audio.wake import WakeDecision
from models.store import ModelStore

SPEECH_LEVEL = 8000
WAKE_MARK = 12345  # the first sample of a frame that is the wake word
WAKE_NAME = "okay_nabu"
RATE_HZ = 16000
WORD_MS = 100  # audio the scripted voice makes per word


def config() -> HeronConfig:
    """Defaults, less what a scripted stage cannot stand in for: the second whisper
    model, the end-of-turn model, partial transcripts."""
    return from_dict({"asr": {"second_pass": ""}, "endpoint": {"turn_model": False},
                      "streaming": {"enabled": False}})


class ScriptedWake:
    name = WAKE_NAME
    threshold = 0.5

    def reset(self) -> None:
        pass

    def step(self, samples: np.ndarray) -> WakeDecision:
        score = 1.0 if int(samples[0]) == WAKE_MARK else 0.0
        return WakeDecision(WAKE_NAME if score else None, score, {WAKE_NAME: score},
                            {WAKE_NAME: {"micro": score}})


class LevelVad:
    """Voiced when the frame is loud."""

    def reset(self) -> None:
        pass

    def process(self, samples: np.ndarray) -> float:
        return 1.0 if float(np.abs(samples.astype(np.int32)).mean()) > 1000 else 0.0


class ScriptedTranscriber:
    """Hears `text` in any audio with speech in it (`fail`: raises instead)."""

    def __init__(self, text: str, fail: Exception | None = None) -> None:
        self.text, self.fail = text, fail
        self.heard_ms: list[int] = []  # the length of each piece of audio decoded

    def transcribe(self, samples: np.ndarray, *args, **kwargs) -> AsrResult:
        self.heard_ms.append(len(samples) * 1000 // RATE_HZ)
        if self.fail is not None:
            raise self.fail
        loud = len(samples) and float(np.abs(samples.astype(np.int32)).max()) > 1000
        return AsrResult(self.text if loud else "", "en", 1.0,
                         len(samples) * 1000 // RATE_HZ, 1)


class ScriptedVoice:
    """A synthesizer: `word_ms` of quiet tone per word; notes each piece it was asked."""

    name = "scripted"
    sample_rate_hz = RATE_HZ
    language = "en"

    def __init__(self, word_ms: int = WORD_MS) -> None:
        self.word_ms = word_ms
        self.pieces: list[str] = []

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.pieces.append(text)
        for _ in text.split():
            yield np.full(RATE_HZ * self.word_ms // 1000, 100, np.int16)


@dataclass
class RecordingSink:
    """A speaker that plays in real time (writes block for the audio's length) and
    notes what it was asked."""

    rate_hz: int = RATE_HZ
    calls: list[str] = field(default_factory=list)
    played_ms: int = 0

    def __post_init__(self) -> None:
        self._stopped = threading.Event()

    def write(self, samples: np.ndarray) -> bool:
        if self._stopped.is_set():
            return False
        self.calls.append("write")
        ms = len(samples) * 1000 // self.rate_hz
        self._stopped.wait(ms / 1000)
        self.played_ms += ms
        return True

    def drain(self) -> None:
        self.calls.append("drain")

    def stop(self) -> None:
        self.calls.append("stop")
        self._stopped.set()

    def close(self) -> None:
        self.calls.append("close")
        self._stopped.clear()

    def retune(self, rate_hz: int) -> None:
        self.rate_hz = rate_hz


def stack(tmp_path, transcriber: ScriptedTranscriber, voice: ScriptedVoice | None = None
          ) -> VoiceStack:
    return VoiceStack(config(), ModelStore(tmp_path / "models"), stages=VoiceStages(
        wake=ScriptedWake(), vad=LevelVad(), asr=transcriber, tts=voice or ScriptedVoice()))


def silence(ms: int) -> np.ndarray:
    return np.zeros(ms * RATE_HZ // 1000, np.int16)


def speech(ms: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-SPEECH_LEVEL, SPEECH_LEVEL, ms * RATE_HZ // 1000).astype(np.int16)


def wake_word() -> np.ndarray:
    frame = np.zeros(FRAME_SAMPLES, np.int16)
    frame[0] = WAKE_MARK
    return frame


async def frames(*parts: np.ndarray, realtime: bool = False) -> AsyncIterator[AudioChunk]:
    """The parts as 80 ms frames; with `realtime`, one frame per 80 ms."""
    audio = np.concatenate(parts)
    for n in range(len(audio) // FRAME_SAMPLES):
        await (asyncio.sleep(FRAME_MS / 1000) if realtime else asyncio.sleep(0))
        yield AudioChunk(audio[n * FRAME_SAMPLES:(n + 1) * FRAME_SAMPLES], n * FRAME_MS,
                         time.monotonic())


def recorder(bus: EventBus) -> list[Event]:
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return seen


def kinds(events: list[Event]) -> list[str]:
    """Event types in order, StateChanged as "state:<state>"."""
    return [f"state:{e.state}" if e.type == "StateChanged" else e.type for e in events]
