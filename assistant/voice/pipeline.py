"""One voice turn: wake → VAD/endpoint → ASR → agent → TTS, an event per stage,
StageError on failure, cleanup always (DESIGN.md §2). While the reply plays the
microphone is still heard (echo removed): the user can barge in."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from assistant.agent.agent import Agent, AgentReply
from assistant.bus import EventBus
from assistant.events import (
    CallSource,
    Interrupted,
    InterruptReason,
    Reply,
    Stage,
    StageError,
    Transcript,
    TurnFinished,
    WakeDetected,
)
from assistant.permissions.prompters import FanOutPrompter, VoicePrompter
from assistant.voice import barge_in
from assistant.voice.feed import FrameFeed
from assistant.voice.listener import Listener
from assistant.voice.ports import Synthesizer, TurnHandoff
from assistant.voice.speech_output import ReplySink, SpeechOutput, Spoken
from assistant.voice.stack import VoiceStack
from assistant.voice.state import StateOwner, TurnPhase
from audio.frames import FRAME_MS, AudioChunk
from models.errors import CodedError

MAX_WAKE_LATE_MS = 2000  # the most audio handed back after a late wake decision


class NoSpeech(CodedError):
    exit_code = 3


class TurnFailed(CodedError):
    """An unexpected error (a bug, not a coded failure) inside one stage of a turn. The
    original is its __cause__; whoever runs the turn records the traceback, publishes
    the StageError and goes on (the voice loop) or exits 1 (the CLI)."""

    exit_code = 1

    def __init__(self, stage: Stage, err: BaseException) -> None:
        text = str(err).strip().splitlines()
        detail = f"{type(err).__name__}: {text[0][:160]}" if text else type(err).__name__
        super().__init__("turn.failed", f"the {stage} stage failed ({detail})",
                         "Heron goes on; the details are in the last-error file")
        self.stage = stage


class TurnStatus(StrEnum):
    OK = "ok"
    NO_WAKE = "no_wake"
    NO_SPEECH = "no_speech"
    STOPPED = "stopped"  # "stop" after a barge-in: be quiet
    HANDED_OFF = "handed_off"  # another assistant answered it (TurnHandoff)


@dataclass
class TurnResult:
    status: TurnStatus = TurnStatus.OK
    wake: dict[str, Any] = field(default_factory=dict)
    transcript: str = ""
    language: str = ""
    reply: AgentReply | None = None
    reply_audio_ms: int = 0
    interrupted: InterruptReason | str = ""  # why the reply was cut short ("": it was not)
    reply_voice: str = ""  # the synthesizer that spoke it ("piper-joe-medium", "espeak-ng:de")
    timings_ms: dict[str, float] = field(default_factory=dict)
    # where the speech was in the input (ms since it began): start_ms and vad_end_ms as
    # the VAD framed it, true_end_ms the last sample at or above -40 dBFS (None: none was)
    speech: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "transcript": self.transcript, "language": self.language,
            "wake": self.wake,
            "understanding": getattr(self.reply, "understanding", None),
            "tool_calls": [o.to_dict() for o in self.reply.tool_calls] if self.reply else [],
            "response": self.reply.text if self.reply else "",
            "reply_voice": self.reply_voice,
            "reply_audio_ms": self.reply_audio_ms, "interrupted": self.interrupted,
            "timings_ms": self.timings_ms, "speech": self.speech,
        }


class _Stage:
    """Publishes StageError for a coded failure in `stage` and re-raises it; any other
    exception becomes TurnFailed(stage), so the caller knows where it happened."""

    def __init__(self, bus: EventBus, stage: Stage) -> None:
        self.bus, self.stage = bus, stage

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, CodedError) and not isinstance(exc, (NoSpeech, TurnFailed)):
            self.bus.publish(StageError(stage=self.stage, code=exc.code, message=exc.message,
                                        hint=exc.hint))
        elif isinstance(exc, Exception) and not isinstance(exc, CodedError):
            raise TurnFailed(self.stage, exc) from exc
        return False


class VoicePipeline:
    """Turns on one input. `output` is the speech output the replies go to (the
    running Heron's, shared with its announcements; its state owner is the pipeline's);
    a one-off pipeline (`heron listen`, benchmarks) leaves it out and passes each turn
    the sink its reply plays on."""

    def __init__(self, stack: VoiceStack, agent: Agent, bus: EventBus,
                 output: SpeechOutput | None = None, handoff: TurnHandoff | None = None
                 ) -> None:
        self.stack = stack
        self.handoff = handoff  # who answers the turns of some wake words, if anyone
        self.agent = agent
        self.bus = bus
        self.output = output
        self.state = output.state if output is not None else StateOwner(bus)
        self.listener = Listener(stack, bus, agent.understanding)
        # the command itself is being heard (not a spoken yes/no to an approval)
        self.hearing_command = False

    async def run_turn(self, frames: AsyncIterator[AudioChunk], use_wake: bool,
                       sink: ReplySink | None = None, barge_in_allowed: bool = False
                       ) -> TurnResult:
        """One turn. With `barge_in_allowed` (a live microphone) the user can interrupt
        the reply; the audio they started is kept in `frames` (a FrameFeed) for the
        next turn, which should then not wait for the wake word. `sink`: where the reply
        plays when this pipeline has no speech output of its own."""
        feed = frames if isinstance(frames, FrameFeed) else FrameFeed(frames)
        output = self.output or SpeechOutput(self.stack, self.bus, self.state, sink)
        result = TurnResult()
        try:
            if use_wake:
                self.state.set_phase(TurnPhase.WAITING)
                with _Stage(self.bus, Stage.WAKE):
                    result.wake = await self._wait_for_wake(feed)
                if not result.wake["detected"]:
                    result.status = TurnStatus.NO_WAKE
                    return result
                output.stop()  # the wake word over an announcement silences it
                if await self._handed_off(result, feed, output):
                    return result
            else:
                result.wake = {"detected": False, "enabled": False}
            self.state.set_phase(TurnPhase.LISTENING)
            self.hearing_command = True
            try:
                with _Stage(self.bus, Stage.ASR):
                    heard = await self.listener.listen(feed)
            finally:
                self.hearing_command = False
            if heard is None:
                result.status = TurnStatus.NO_SPEECH
                return result
            self.state.set_phase(TurnPhase.THINKING)
            utterance, asr, t_asr_done = heard.utterance, heard.final, heard.asr_done
            result.transcript, result.language = asr.text.strip(), asr.language
            if not result.transcript:
                result.status = TurnStatus.NO_SPEECH
                return result
            self.bus.publish(Transcript(text=result.transcript, language=asr.language))
            if barge_in.is_stop_request(result.transcript):
                output.stop(drop_queued=True)  # be quiet: announcements waiting too
                result.status = TurnStatus.STOPPED
                return result
            t_agent = time.perf_counter()
            with _Stage(self.bus, Stage.AGENT), self._voice_approvals(output, feed):
                result.reply = await self.agent.handle(
                    result.transcript, source=CallSource.VOICE,
                    language=asr.language or None)
            t_reply = time.perf_counter()
            with _Stage(self.bus, Stage.TTS):
                voice = self.stack.synthesizer_for(reply_language(result.reply, asr.language))
                result.reply_voice = voice.name
                played, cut = await self._speak(result.reply.text, output,
                                                feed if barge_in_allowed else None, use_wake,
                                                voice)
            result.reply_audio_ms = played.audio_ms
            result.interrupted = cut
            t = result.timings_ms
            if use_wake:
                t["wake"] = float(result.wake["audio_ms"])
            t["vad_end"] = _ms(utterance.end_wall, utterance.endpoint_wall)
            t["asr_final"] = _ms(utterance.endpoint_wall, t_asr_done)
            t["agent"] = _ms(t_agent, t_reply)
            t["tts_first_audio"] = _ms(t_reply, played.first)
            t["voice_to_voice"] = _ms(utterance.end_wall, played.first)
            t["speech_ms"] = float(utterance.end_ms - utterance.start_ms)
            t.update(utterance.true_end_timings(played.first))
            result.speech = utterance.positions_ms()
            self.bus.publish(TurnFinished(timings_ms=dict(t)))
            return result
        finally:
            self.state.set_phase(TurnPhase.WAITING)

    @contextlib.contextmanager
    def _voice_approvals(self, output: SpeechOutput, feed: FrameFeed) -> Iterator[None]:
        """While the agent works on a spoken request, a question that needs the user's
        approval is also asked aloud, and a spoken yes or no answers it (first answer
        from any surface wins)."""
        fan_out = self.agent.registry.prompter
        if not isinstance(fan_out, FanOutPrompter):
            yield
            return

        async def say(text: str) -> None:
            self.bus.publish(Reply(text=text))
            await output.say(text)

        async def listen() -> str | None:
            self.state.set_phase(TurnPhase.LISTENING)
            heard = await self.listener.listen(feed)
            text = heard.final.text.strip() if heard is not None else ""
            if text:
                self.bus.publish(Transcript(text=text, language=heard.final.language))
            self.state.set_phase(TurnPhase.THINKING)
            return text or None

        voice = VoicePrompter(say, listen)
        fan_out.attach(voice)
        try:
            yield
        finally:
            fan_out.detach(voice)

    async def _handed_off(self, result: TurnResult, feed: FrameFeed, output: SpeechOutput
                          ) -> bool:
        """The turn of a wake word someone else answers, if they can take it now."""
        word = result.wake["model"]
        if self.handoff is None or not self.handoff.takes(word):
            return False
        self.hearing_command = True  # the kill switch ends it, like a command heard here
        try:
            with _Stage(self.bus, Stage.SATELLITE):
                handed = await self.handoff.run(word, feed, output)
        finally:
            self.hearing_command = False
        if handed is None:  # it could not take it: Heron answers
            return False
        result.status = TurnStatus.HANDED_OFF
        result.transcript, result.reply_audio_ms = handed.transcript, handed.reply_audio_ms
        return True

    async def _wait_for_wake(self, feed: FrameFeed) -> dict[str, Any]:
        detector = self.stack.wake
        await self.stack.on_frames(detector.reset)
        best = 0.0
        recent: deque[AudioChunk] = deque(maxlen=MAX_WAKE_LATE_MS // FRAME_MS)
        async for frame in feed:
            recent.append(frame)
            decision = await self.stack.on_frames(detector.step, frame.samples)
            best = max(best, decision.score)
            if decision.fired is not None:
                # a remote detector says so a few frames after the word: those frames
                # are the start of the command, for the listener
                late = min(decision.late_ms // FRAME_MS, len(recent))
                if late:
                    feed.push_back(list(recent)[-late:])
                event = WakeDetected(model=decision.fired, score=round(decision.score, 4),
                                     audio_ms=frame.timestamp_ms + FRAME_MS - late * FRAME_MS)
                self.bus.publish(event)
                # each engine's own score for the word that fired (micro, oww)
                engines = decision.engine_scores.get(decision.fired, {})
                return {"detected": True, "model": decision.fired, "score": event.score,
                        "engines": {k: round(v, 4) for k, v in engines.items()},
                        "audio_ms": event.audio_ms}
        return {"detected": False, "model": detector.name, "score": round(best, 4)}

    async def _speak(self, text: str, output: SpeechOutput, feed: FrameFeed | None,
                     use_wake: bool, voice: Synthesizer | None = None
                     ) -> tuple[Spoken, str]:
        """Play the reply in `voice` (default: the English one); with a `feed`, listen
        for barge-in meanwhile. Returns what played and why it was cut short ("" when it
        was not)."""
        self.state.set_phase(TurnPhase.REPLYING)
        played = Spoken()
        speaking = asyncio.create_task(output.say(text, voice, played))
        if feed is None:
            await speaking
            return played, ""
        watcher = asyncio.create_task(barge_in.watch(
            self.stack, feed, use_wake, self.stack.config.endpoint.pre_roll_ms))
        try:
            await asyncio.wait({speaking, watcher}, return_when=asyncio.FIRST_COMPLETED)
            barged = watcher.result() if watcher.done() else None
            if barged is None or speaking.done() and not speaking.cancelled():
                await speaking  # finished (or failed: re-raise)
                return played, ""
            output.stop()  # silence first, then tidy up
            speaking.cancel()
            await asyncio.gather(speaking, return_exceptions=True)
            feed.push_back(list(barged.frames))
            self.bus.publish(Interrupted(reason=barged.reason, spoken_ms=played.audio_ms))
            return played, barged.reason
        finally:
            watcher.cancel()
            speaking.cancel()
            # both end before the turn does: the reply holds the speech output's turn
            await asyncio.gather(watcher, speaking, return_exceptions=True)


# Languages whose text is not written in Latin letters: a reply to them with none of
# their letters is the English fallback (a tool's own `speech`), for the English voice.
_OWN_SCRIPT = frozenset("ar fa ur he yi ru uk bg be mk sr el hy ka hi mr ne bn gu pa ta te "
                        "kn ml si th lo km my ja zh ko am".split())


def reply_language(reply: AgentReply, heard: str) -> str:
    """The language to speak `reply` in: the agent's word for it when it says
    (AgentReply.language), else the language heard, but English for a reply with no
    letter of the heard language's own script."""
    said = getattr(reply, "language", None)
    if said:
        return said
    if heard in _OWN_SCRIPT and not any(ch.isalpha() and ord(ch) > 0x24F
                                        for ch in reply.text):
        return "en"
    return heard


def _ms(t0: float, t1: float) -> float:
    return round(max(0.0, t1 - t0) * 1000, 1)
