"""One voice turn: wake → VAD/endpoint → ASR → agent → TTS, an event per stage,
StageError on failure, cleanup always (DESIGN.md §2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.agent.agent import Agent, AgentReply
from assistant.bus import EventBus
from assistant.events import (
    SpeechEnded,
    SpeechOutFinished,
    SpeechOutStarted,
    SpeechStarted,
    StageError,
    StateChanged,
    Transcript,
    TurnFinished,
    WakeDetected,
)
from assistant.sentences import split_for_speech
from assistant.voice import VoiceStack
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ, AudioChunk
from audio.segmenter import UtteranceSegmenter
from models.errors import CodedError

# Silence after speech before a speculative decode starts: if the endpoint then
# confirms, the transcript is already (nearly) ready.
SPECULATIVE_AFTER_MS = 160
TAIL_PAD_MS = 160  # audio kept after the last voiced frame: whisper likes a little silence


class ReplySink(Protocol):
    rate_hz: int

    def write(self, samples: np.ndarray) -> object: ...

    def drain(self) -> None:
        """Block until everything written has been played."""


class NoSpeech(CodedError):
    exit_code = 3


@dataclass
class TurnResult:
    status: str = "ok"  # ok | no_wake | no_speech
    wake: dict[str, Any] = field(default_factory=dict)
    transcript: str = ""
    language: str = ""
    reply: AgentReply | None = None
    reply_audio_ms: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "transcript": self.transcript, "language": self.language,
            "wake": self.wake,
            "tool_calls": [o.to_dict() for o in self.reply.tool_calls] if self.reply else [],
            "response": self.reply.text if self.reply else "",
            "reply_audio_ms": self.reply_audio_ms, "timings_ms": self.timings_ms,
        }


class _Stage:
    """Publishes StageError for a coded failure in `stage` and re-raises it."""

    def __init__(self, bus: EventBus, stage: str) -> None:
        self.bus, self.stage = bus, stage

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, CodedError) and not isinstance(exc, NoSpeech):
            self.bus.publish(StageError(stage=self.stage, code=exc.code, message=exc.message,
                                        hint=exc.hint))
        return False


class VoicePipeline:
    def __init__(self, stack: VoiceStack, agent: Agent, bus: EventBus) -> None:
        self.stack = stack
        self.agent = agent
        self.bus = bus

    async def run_turn(self, frames: AsyncIterator[AudioChunk], use_wake: bool,
                       sink: ReplySink | None) -> TurnResult:
        result = TurnResult()
        try:
            if use_wake:
                self.bus.publish(StateChanged(state="idle"))
                with _Stage(self.bus, "wake"):
                    result.wake = await self._wait_for_wake(frames)
                if not result.wake["detected"]:
                    result.status = "no_wake"
                    return result
            else:
                result.wake = {"detected": False, "enabled": False}
            self.bus.publish(StateChanged(state="listening"))
            with _Stage(self.bus, "vad"):
                utterance = await self._listen(frames)
            if utterance is None:
                result.status = "no_speech"
                return result
            self.bus.publish(StateChanged(state="thinking"))
            with _Stage(self.bus, "asr"):
                asr, t_asr_done = await utterance.transcript()
            result.transcript, result.language = asr.text.strip(), asr.language
            if not result.transcript:
                result.status = "no_speech"
                return result
            self.bus.publish(Transcript(text=result.transcript, language=asr.language))
            t_agent = time.perf_counter()
            with _Stage(self.bus, "agent"):
                result.reply = await self.agent.handle(result.transcript, source="voice")
            t_reply = time.perf_counter()
            with _Stage(self.bus, "tts"):
                first, audio_ms = await self._speak(result.reply.text, sink)
            result.reply_audio_ms = audio_ms
            t = result.timings_ms
            if use_wake:
                t["wake"] = float(result.wake["audio_ms"])
            t["vad_end"] = _ms(utterance.end_wall, utterance.endpoint_wall)
            t["asr_final"] = _ms(utterance.endpoint_wall, t_asr_done)
            t["agent"] = _ms(t_agent, t_reply)
            t["tts_first_audio"] = _ms(t_reply, first)
            t["voice_to_voice"] = _ms(utterance.end_wall, first)
            t["speech_ms"] = float(utterance.end_ms - utterance.start_ms)
            self.bus.publish(TurnFinished(timings_ms=dict(t)))
            return result
        finally:
            self.bus.publish(StateChanged(state="idle"))

    async def _wait_for_wake(self, frames: AsyncIterator[AudioChunk]) -> dict[str, Any]:
        detector = self.stack.wake
        await self.stack.on_frames(detector.reset)
        best = 0.0
        async for frame in frames:
            score = float(await self.stack.on_frames(detector.process, frame.samples))
            best = max(best, score)
            if score >= detector.threshold:
                event = WakeDetected(model=detector.name, score=round(score, 4),
                                     audio_ms=frame.timestamp_ms + FRAME_MS)
                self.bus.publish(event)
                return {"detected": True, "model": detector.name, "score": event.score,
                        "audio_ms": event.audio_ms}
        return {"detected": False, "model": detector.name, "score": round(best, 4)}

    async def _listen(self, frames: AsyncIterator[AudioChunk]) -> _Utterance | None:
        vad, options = self.stack.vad, self.stack.config
        await self.stack.on_frames(vad.reset)
        seg = UtteranceSegmenter(options.segmenter, frame_ms=FRAME_MS)
        utt = _Utterance(self.stack, options.segmenter.pre_roll_ms)
        started = False
        async for frame in frames:
            prob = await self.stack.on_frames(vad.process, frame.samples)
            voiced = prob >= options.vad.threshold
            utt.add(frame, voiced)
            event = _event_name(seg.process(voiced))
            if event == "start":
                started = True
                utt.start_ms = seg.speech_start_ms
                self.bus.publish(SpeechStarted(audio_ms=utt.abs_ms(seg.speech_start_ms)))
            elif event == "timeout":
                return None
            elif event in ("end", "max_length"):
                utt.finish(seg.speech_end_ms)
                break
            elif started and voiced:
                utt.drop_speculation()
            elif started and utt.silence_ms >= SPECULATIVE_AFTER_MS:
                utt.speculate(seg.speech_end_ms)
        else:
            if not started:
                return None
            utt.finish(seg.speech_end_ms if seg.speech_end_ms else utt.length_ms)
        self.bus.publish(SpeechEnded(audio_ms=utt.abs_ms(utt.end_ms),
                                     duration_ms=utt.end_ms - utt.start_ms))
        return utt

    async def _speak(self, text: str, sink: ReplySink | None) -> tuple[float, int]:
        """Synthesize piece by piece while earlier pieces play; return (time of the
        first audio sample, reply length in ms)."""
        self.bus.publish(StateChanged(state="speaking"))
        tts = self.stack.tts
        queue: asyncio.Queue = asyncio.Queue()

        async def produce() -> None:
            try:
                for piece in split_for_speech(text):
                    async for chunk in self.stack.iterate_on_work(
                            lambda p=piece: tts.synthesize(p)):
                        await queue.put(chunk)
            finally:
                await queue.put(None)

        producer = asyncio.create_task(produce())
        first, samples = 0.0, 0
        try:
            while (chunk := await queue.get()) is not None:
                if not first:
                    first = time.perf_counter()
                    self.bus.publish(SpeechOutStarted(text=text))
                samples += len(chunk)
                if sink is not None:
                    await self.stack.on_playback(sink.write, chunk)
            await producer  # re-raise a synthesis error
            if sink is not None:
                await self.stack.on_playback(sink.drain)
        finally:
            producer.cancel()
        audio_ms = int(samples * 1000 / tts.sample_rate_hz)
        self.bus.publish(SpeechOutFinished(audio_ms=audio_ms))
        return first or time.perf_counter(), audio_ms


class _Utterance:
    """Frames heard since listening began, with their arrival times, and at most one
    speculative transcription of the audio so far."""

    def __init__(self, stack: VoiceStack, pre_roll_ms: int) -> None:
        self.stack = stack
        self.pre_roll_ms = pre_roll_ms
        self.frames: list[np.ndarray] = []
        self.arrivals: list[float] = []
        self.first_ms = -1  # stream position of frame 0
        self.start_ms = 0
        self.end_ms = 0
        self.silence_ms = 0
        self.end_wall = 0.0
        self.endpoint_wall = 0.0
        self._spec: tuple[int, asyncio.Future] | None = None

    def add(self, frame: AudioChunk, voiced: bool) -> None:
        if self.first_ms < 0:
            self.first_ms = frame.timestamp_ms
        self.frames.append(frame.samples)
        self.arrivals.append(time.perf_counter())
        self.silence_ms = 0 if voiced else self.silence_ms + FRAME_MS

    @property
    def length_ms(self) -> int:
        return len(self.frames) * FRAME_MS

    def abs_ms(self, rel_ms: int) -> int:
        return self.first_ms + rel_ms

    def _audio(self, end_ms: int) -> np.ndarray:
        start = max(0, self.start_ms - self.pre_roll_ms) // FRAME_MS
        stop = min(len(self.frames), (end_ms + TAIL_PAD_MS + FRAME_MS - 1) // FRAME_MS)
        return np.concatenate(self.frames[start:stop]) if stop > start else np.zeros(
            SAMPLE_RATE_HZ // 10, np.int16)

    def _decode(self, end_ms: int) -> asyncio.Future:
        audio = self._audio(end_ms)
        asr = self.stack.asr

        def run():
            return asr.transcribe(audio), time.perf_counter()

        return asyncio.ensure_future(self.stack.on_work(run))

    def speculate(self, end_ms: int) -> None:
        if self._spec is None:
            self._spec = (end_ms, self._decode(end_ms))

    def drop_speculation(self) -> None:
        if self._spec is not None:
            self._spec[1].cancel()  # the executor finishes it; the result is ignored
            self._spec = None

    def finish(self, end_ms: int) -> None:
        self.end_ms = end_ms
        self.endpoint_wall = time.perf_counter()
        # The frame holding the last voiced audio arrived when that speech ended.
        idx = min(len(self.arrivals) - 1, max(0, end_ms // FRAME_MS - 1))
        self.end_wall = self.arrivals[idx]

    async def transcript(self):
        if self._spec is not None and self._spec[0] == self.end_ms:
            return await self._spec[1]
        self.drop_speculation()
        return await self._decode(self.end_ms)


def _event_name(event: Any) -> str | None:
    if event is None:
        return None
    return getattr(event, "value", event)


def _ms(t0: float, t1: float) -> float:
    return round(max(0.0, t1 - t0) * 1000, 1)
