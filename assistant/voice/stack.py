"""The voice stages (wake, VAD, ASR, TTS) built from config by name
(assistant/voice/factory.py), loaded once, and the executors they run on (DESIGN.md §3):
one thread for the stateful wake/VAD sessions, a bounded pool for ASR and TTS."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assistant.config import HeronConfig
from assistant.voice.factory import build_stage
from assistant.voice.ports import Synthesizer, Transcriber, VoiceActivity, WakeDetector
from audio.tts_espeak import INSTALL_HINT, EspeakSynthesizer, espeak_path
from models.store import ModelStore

T = TypeVar("T")
log = logging.getLogger(__name__)
_DONE = object()
_UNBUILT = object()


@dataclass(frozen=True)
class _Part:
    on_frames: bool = False  # stateful, per frame: built and run on the frame thread
    warm: bool = False  # warmed up when built: the first turn is not slow
    reported_as: str = ""  # its name in load_ms, when not its own


_PARTS = {"wake": _Part(on_frames=True), "vad": _Part(on_frames=True),
          "asr": _Part(warm=True), "second_asr": _Part(warm=True, reported_as="asr2"),
          "tts": _Part(warm=True)}


@dataclass(frozen=True)
class VoiceStages:
    """Stages to use instead of the ones [voice] names (None: built from the config),
    e.g. a test's scripted ones. Each is the stack's attribute of the same name."""

    wake: WakeDetector | None = None
    vad: VoiceActivity | None = None
    asr: Transcriber | None = None
    second_asr: Transcriber | None = None  # with a scripted `asr` alone: no second pass
    tts: Synthesizer | None = None


NO_STAGES = VoiceStages()  # every stage built from the config


class VoiceStack:
    def __init__(self, config: HeronConfig, store: ModelStore,
                 wake_dir: Path | None = None, stages: VoiceStages = NO_STAGES) -> None:
        self.config = config
        self.store = store
        self.wake_dir = wake_dir  # enrolled wake words (`heron wake enroll`)
        self.stages = stages
        self.frame_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-frames")
        self.work_executor = ThreadPoolExecutor(2, thread_name_prefix="heron-work")
        # Blocking speaker writes get their own thread so synthesis never waits on them.
        self.playback_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-play")
        self.load_ms: dict[str, float] = {}
        self._parts: dict[str, Any] = {}  # built stages by name ("wake", "asr", ...)
        # one lock per part: two threads asking for it build it once, while the other
        # parts (and the ones already built) are handed out meanwhile
        self._building = {part: threading.Lock() for part in _PARTS}
        self._espeak: dict[str, EspeakSynthesizer] = {}
        self._espeak_missing_told: set[str] = set()

    @property
    def wake(self) -> WakeDetector:
        return self._part("wake")

    @property
    def vad(self) -> VoiceActivity:
        return self._part("vad")

    @property
    def asr(self) -> Transcriber:
        return self._part("asr")

    @property
    def second_asr(self) -> Transcriber | None:
        """The model that decodes a command again when the first heard none
        ([asr] second_pass; assistant/voice/hearing.py); None when off (and with a
        scripted transcriber)."""
        return self._part("second_asr")

    @property
    def tts(self) -> Synthesizer:
        return self._part("tts")

    def loaded(self, part: str) -> bool:
        """Whether `part` ("wake", "vad", "asr", "second_asr", "tts") has been built."""
        return part in self._parts

    async def replace(self, part: str) -> None:
        """Build `part` again from `config` (it changed while Heron runs), off the
        loop, and swap it in (the old one is dropped). A part never built is left to be
        built from the new config on first use; when the new one fails to build, the
        working one stays and the error is raised."""
        if part not in self._parts:
            return
        run_on = self.on_frames if _PARTS[part].on_frames else self.on_work
        new = await run_on(self._make, part)
        old, self._parts[part] = self._parts[part], new
        if old is not getattr(self.stages, part, None):  # a scripted stage is the test's
            await run_on(_close, old)

    def _part(self, part: str) -> Any:
        built = self._parts.get(part, _UNBUILT)
        if built is not _UNBUILT:
            return built
        with self._building[part]:
            if part not in self._parts:
                self._parts[part] = self._make(part)
            return self._parts[part]

    def _make(self, part: str) -> Any:
        scripted = getattr(self.stages, part)
        if scripted is not None:
            return scripted
        if part == "second_asr" and self.stages.asr is not None:
            return None  # a scripted first pass: no model to decode it again
        return self._build(part)

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

    def _build(self, stage: str) -> Any:
        """The stage [voice] names, built (and warmed up) with its load time noted."""
        start = time.perf_counter()
        built = build_stage(stage, self.config, self.store, self.wake_dir)
        spec = _PARTS[stage]
        if spec.warm and built is not None:
            built.warm_up()
        self.load_ms[spec.reported_as or stage] = round((time.perf_counter() - start)
                                                        * 1000, 1)
        return built

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
        for part, built in list(self._parts.items()):
            if built is not getattr(self.stages, part, None):
                _close(built)  # a remote stage's connection and thread
        self.frame_executor.shutdown(wait=False, cancel_futures=True)
        self.work_executor.shutdown(wait=False, cancel_futures=True)
        self.playback_executor.shutdown(wait=False, cancel_futures=True)


def _close(part: Any) -> None:
    """End what a stage holds open beyond its memory (the remote wake word's stream)."""
    close = getattr(part, "close", None)
    if callable(close):
        close()
