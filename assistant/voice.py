"""The voice components (wake, VAD, ASR, TTS) built from config, loaded once, and
the executors they run on (DESIGN.md §3): one thread for the stateful wake/VAD
sessions, a bounded pool for ASR and TTS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from assistant.config import HeronConfig
from audio.asr import WhisperTranscriber
from audio.tts import PiperSynthesizer
from audio.vad import SileroVad
from audio.wake import WakeWordDetector
from models.store import ModelStore

T = TypeVar("T")
_DONE = object()


class VoiceStack:
    def __init__(self, config: HeronConfig, store: ModelStore,
                 wake_dir: Path | None = None) -> None:
        self.config = config
        self.store = store
        self.wake_dir = wake_dir  # enrolled wake words (`heron wake enroll`)
        self.frame_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-frames")
        self.work_executor = ThreadPoolExecutor(2, thread_name_prefix="heron-work")
        # Blocking speaker writes get their own thread so synthesis never waits on them.
        self.playback_executor = ThreadPoolExecutor(1, thread_name_prefix="heron-play")
        self.load_ms: dict[str, float] = {}

    @cached_property
    def wake(self) -> WakeWordDetector:
        return self._timed("wake", lambda: WakeWordDetector(self.config.wake, self.store,
                                                            enrolled_dir=self.wake_dir))

    @cached_property
    def vad(self) -> SileroVad:
        return self._timed("vad", lambda: SileroVad(self.config.vad, self.store))

    @cached_property
    def asr(self) -> WhisperTranscriber:
        return self._timed("asr", lambda: _warm(WhisperTranscriber(self.config.asr, self.store)))

    @cached_property
    def tts(self) -> PiperSynthesizer:
        return self._timed("tts", lambda: _warm(PiperSynthesizer(self.config.tts, self.store)))

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
