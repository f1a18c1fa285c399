"""Wake word detection for Wyoming clients: Detect(names), AudioStart, AudioChunk…,
AudioStop → Detection(name, timestamp) each time a word fires, NotDetected at
AudioStop when none did.

A detector holds the stream's audio history, so each stream needs its own: a pool
keeps them, per set of words, built by the voice factory (assistant/voice/factory.py)
on the stack's frame thread, and reset when a stream gives one back."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from wyoming.audio import AudioChunk, AudioStart
from wyoming.event import Event
from wyoming.wake import Detect, Detection, NotDetected

from assistant.voice.factory import build_stage
from assistant.voice.ports import WakeDetector
from assistant.voice.stack import VoiceStack
from assistant.wyoming.audio_in import AudioIn
from assistant.wyoming.errors import RequestError
from audio.frames import AudioChunk as Frame
from models.catalog import specs_for_role

Send = Callable[[Event], Awaitable[None]]
MAX_IDLE = 8  # detectors kept for reuse, whatever words they listen for
IDLE_PER_WORDS = 4  # detectors kept per set of words once their streams end


def enrolled_words(wake_dir: Path | None) -> list[str]:
    """Words the user enrolled (`heron wake enroll`), by name."""
    if wake_dir is None or not wake_dir.is_dir():
        return []
    return sorted(p.stem for p in wake_dir.glob("*.npz"))


class WakePool:
    def __init__(self, stack: VoiceStack) -> None:
        self.stack = stack
        self.configured = tuple(stack.config.wake.model_names())
        self._idle: dict[tuple[str, ...], list[WakeDetector]] = {}

    def known(self) -> list[str]:
        """Every word a client may name: the configured ones (their names as the
        detector reports them), the built-in phrases and the enrolled words."""
        builtin = [s.id for s in specs_for_role("wake")]
        names = [*self.configured, *builtin, *enrolled_words(self.stack.wake_dir)]
        return list(dict.fromkeys(names))

    def words_for(self, names: Sequence[str] | None) -> tuple[str, ...]:
        """The words to listen for: the configured ones when the client names none."""
        if not names:
            return self.configured
        known = set(self.known())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise RequestError("wyoming.unknown_wake_word",
                               f"no wake word named {', '.join(map(repr, unknown))}",
                               "ask for one Describe lists (wake models)")
        return tuple(dict.fromkeys(names))

    async def acquire(self, words: tuple[str, ...]) -> WakeDetector:
        idle = self._idle.get(words)
        if idle:
            detector = idle.pop()
            if not idle:
                del self._idle[words]
            return detector
        return await self.stack.on_frames(self._build, words)

    async def release(self, words: tuple[str, ...], detector: WakeDetector) -> None:
        await self.stack.on_frames(detector.reset)
        # Bounded in all: a client naming ever other combinations of words must not
        # grow the memory without end.
        if sum(len(v) for v in self._idle.values()) >= MAX_IDLE:
            return
        idle = self._idle.setdefault(words, [])
        if len(idle) < IDLE_PER_WORDS:
            idle.append(detector)

    def _build(self, words: tuple[str, ...]) -> WakeDetector:
        config = self.stack.config
        if words != self.configured:
            wake = config.wake
            try:
                wake = replace(wake, model=words[0], models=words, tuning={
                    k: v for k, v in wake.tuning.items() if k in words})
            except ValueError as err:  # e.g. a word the configured engines do not know
                raise RequestError("wyoming.unknown_wake_word", str(err),
                                   "ask for another word, or change [wake] engines") from err
            config = replace(config, wake=wake)
        # Heron serving the wake word listens with its own models, even when it listens
        # through another server itself ([wake] backend)
        config = replace(config, wake=replace(config.wake, backend=""))
        return build_stage("wake", config, self.stack.store, self.stack.wake_dir)


class WakeSession:
    """One stream through one detector (taken from the pool at AudioStart)."""

    def __init__(self, pool: WakePool, words: tuple[str, ...], detector: WakeDetector,
                 audio: AudioIn) -> None:
        self.pool = pool
        self.words = words
        self.detector: WakeDetector | None = detector
        self.audio = audio
        self.detected = 0

    @classmethod
    async def open(cls, pool: WakePool, request: Detect, start: AudioStart) -> WakeSession:
        words = pool.words_for(request.names)
        # A satellite streams to its wake word for hours: nothing is kept, no length cap.
        # A bad format is refused before a detector is taken.
        audio = AudioIn(start, max_s=math.inf)
        return cls(pool, words, await pool.acquire(words), audio)

    async def push(self, chunk: AudioChunk, send: Send) -> None:
        await self._step(self.audio.push(chunk), send)

    async def finish(self, send: Send) -> None:
        """Score what is left, say NotDetected when nothing fired, and give the
        detector back."""
        try:
            await self._step(self.audio.flush(), send)
            if not self.detected:
                await send(NotDetected().event())
        finally:
            await self.close()

    async def close(self) -> None:
        detector, self.detector = self.detector, None
        if detector is not None:
            await self.pool.release(self.words, detector)

    async def _step(self, frames: list[Frame], send: Send) -> None:
        if not frames:
            return
        detector = self.detector
        fired = await self.pool.stack.on_frames(
            lambda: [(f, d.fired) for f in frames if (d := detector.step(f.samples)).fired])
        for frame, name in fired:
            self.detected += 1
            await send(Detection(name=name, timestamp=self.audio.timestamp_ms(frame)).event())
