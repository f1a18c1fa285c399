"""The voice components (wake, VAD, ASR, TTS) built from config, loaded once, and
the executors they run on (DESIGN.md §3): one thread for the stateful wake/VAD
sessions, a bounded pool for ASR and TTS."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar

from assistant.config import HeronConfig
from audio.asr import WhisperTranscriber
from audio.tts import PiperSynthesizer
from audio.tts_espeak import INSTALL_HINT, EspeakSynthesizer, espeak_path
from audio.vad import SileroVad
from audio.wake import WakeWordDetector
from models.store import ModelStore

T = TypeVar("T")
log = logging.getLogger(__name__)
_DONE = object()


class Synthesizer(Protocol):
    """What speaks a reply: PiperSynthesizer, EspeakSynthesizer."""

    name: str

    @property
    def sample_rate_hz(self) -> int: ...

    @property
    def language(self) -> str: ...

    def synthesize(self, text: str) -> Iterator[Any]: ...


@dataclass(frozen=True)
class VoiceStages:
    """Stages to use instead of the ones the config names (None: built from it), e.g.
    a test's scripted ones. Each is the stack's attribute of the same name."""

    wake: Any = None
    vad: Any = None
    asr: Any = None
    tts: Any = None


class VoiceStack:
    def __init__(self, config: HeronConfig, store: ModelStore,
                 wake_dir: Path | None = None, stages: VoiceStages = VoiceStages()) -> None:
        self.config = config
        self.store = store
        self.wake_dir = wake_dir  # enrolled wake words (`heron wake enroll`)
        self.stages = stages
        self.frame_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-frames")
        self.work_executor = ThreadPoolExecutor(2, thread_name_prefix="heron-work")
        # Blocking speaker writes get their own thread so synthesis never waits on them.
        self.playback_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-play")
        self.load_ms: dict[str, float] = {}
        self._espeak: dict[str, EspeakSynthesizer] = {}
        self._espeak_missing_told: set[str] = set()

    @cached_property
    def wake(self) -> WakeWordDetector:
        return self.stages.wake or self._timed(
            "wake", lambda: WakeWordDetector(self.config.wake, self.store,
                                             enrolled_dir=self.wake_dir))

    @cached_property
    def vad(self) -> SileroVad:
        return self.stages.vad or self._timed("vad", lambda: SileroVad(self.config.vad,
                                                                       self.store))

    @cached_property
    def asr(self) -> WhisperTranscriber:
        return self.stages.asr or self._timed(
            "asr", lambda: _warm(WhisperTranscriber(self.config.asr, self.store)))

    @cached_property
    def second_asr(self) -> WhisperTranscriber | None:
        """The model that decodes a command again when the first heard none
        ([asr] second_pass; assistant/voice/hearing.py); None when off."""
        model = self.config.asr.second_pass
        if not model or model == self.config.asr.model_id:
            return None
        options = replace(self.config.asr, model=model)
        return self._timed("asr2", lambda: _warm(WhisperTranscriber(options, self.store)))

    @cached_property
    def tts(self) -> PiperSynthesizer:
        return self.stages.tts or self._timed(
            "tts", lambda: _warm(PiperSynthesizer(self.config.tts, self.store)))

    def synthesizer_for(self, language: str | None) -> Synthesizer:
        """The voice for a reply in `language`: the bundled piper voice for its own
        language (English) or when the language is unknown; espeak-ng for the others,
        at the piper voice's rate so the same speaker plays both."""
        code = (language or "").replace("_", "-").split("-")[0].lower()
        if not code or code == self.tts.language or not self.tts.language:
            return self.tts
        if espeak_path() is None:
            # Said with the wrong accent beats not said at all; `heron doctor` warns.
            if code not in self._espeak_missing_told:
                self._espeak_missing_told.add(code)
                log.warning("voice: espeak-ng is missing, so a %r reply is spoken by the "
                            "English voice; %s", code, INSTALL_HINT)
            return self.tts
        voice = self._espeak.get(code)
        # rebuilt when the [tts] settings changed (speed) since it was made
        if voice is None or voice.options != self.config.tts:
            voice = self._espeak[code] = EspeakSynthesizer(
                code, self.config.tts, rate_hz=self.tts.sample_rate_hz)
        return voice

    def _timed(self, name: str, build: Callable[[], T]) -> T:
        start = time.perf_counter()
        obj = build()
        self.load_ms[name] = round((time.perf_counter() - start) * 1000, 1)
        return obj

    async def load(self, wake: bool = True, asr: bool = True, tts: bool = True) -> None:
        """Load (and warm up) what a turn will need, concurrently, off the loop."""
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(self.frame_executor, lambda: self.vad)]
        if wake:
            jobs.append(loop.run_in_executor(self.frame_executor, lambda: self.wake))
        if asr:
            jobs.append(loop.run_in_executor(self.work_executor, lambda: self.asr))
        if tts:
            jobs.append(loop.run_in_executor(self.work_executor, lambda: self.tts))
        await asyncio.gather(*jobs)

    async def load_second_asr(self) -> None:
        """Load the second-pass model ([asr] second_pass) off the loop. Not part of
        load(): it is needed on few turns, and loading it costs a second or two and
        ~150 MB, so the first turn that needs it loads it (benchmarks call this first)."""
        await asyncio.get_running_loop().run_in_executor(self.work_executor,
                                                         lambda: self.second_asr)

    async def on_frames(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.frame_executor, fn, *args)

    async def on_work(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.work_executor, fn, *args)

    async def on_playback(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.playback_executor, fn, *args)

    async def iterate_on_work(self, make: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
        """Consume a blocking generator inside the work executor (never on the loop)."""
        loop = asyncio.get_running_loop()
        iterator = await loop.run_in_executor(self.work_executor, make)
        while True:
            item = await loop.run_in_executor(self.work_executor, next, iterator, _DONE)
            if item is _DONE:
                return
            yield item

    def close(self) -> None:
        self.frame_executor.shutdown(wait=False, cancel_futures=True)
        self.work_executor.shutdown(wait=False, cancel_futures=True)
        self.playback_executor.shutdown(wait=False, cancel_futures=True)


def _warm(component: T) -> T:
    component.warm_up()  # type: ignore[attr-defined]
    return component
