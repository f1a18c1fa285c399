"""One turn Home Assistant answers, on Heron as its satellite: the wake word was heard
here; Detection and RunPipeline(asr → tts) go to Home Assistant, the microphone is
streamed until it has heard the command (VoiceStopped, Transcript) or `listen_s`
passes, then its reply (Synthesize's text, then the audio between AudioStart and
AudioStop) plays through the speech output as it arrives, and Played goes back.

Home Assistant gone before it answered: the frames streamed so far are handed back and
Heron answers the command itself (the turn is not lost). Paused meanwhile: the turn
ends. An Error from its pipeline (nothing recognised, no intent matched) is said
briefly, as Home Assistant's own satellites would show it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from wyoming.asr import Transcript as WyTranscript
from wyoming.audio import AudioChunk as WyChunk
from wyoming.audio import AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStopped
from wyoming.wake import Detection

from assistant.bus import EventBus
from assistant.events import Reply, Stage, StageError, Transcript
from assistant.voice.feed import FrameFeed
from assistant.voice.ports import HandedOff
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import TurnPhase
from assistant.wyoming.satellite_link import SatelliteLink, mono16, queued_audio
from assistant.wyoming.satellite_options import SatelliteOptions
from audio.frames import SAMPLE_RATE_HZ, AudioChunk

log = logging.getLogger(__name__)

# What Heron says when Home Assistant's pipeline fails, by its error code.
SAID_FOR_ERROR = {
    "stt-no-text-recognized": "Home Assistant didn't catch that.",
    "stt-stream-failed": "Home Assistant didn't catch that.",
    "wake-word-timeout": "",
}
SAID_FOR_OTHER_ERROR = "Home Assistant could not do that."
SAID_NO_ANSWER = "Home Assistant did not answer."
TRANSCRIBE = "transcribe"  # Home Assistant's first event of a run (its STT starts)
AUDIO_AFTER_TEXT_S = 5.0  # after the reply's text, how long its audio may take to start


class _Gone(Exception):
    """Home Assistant disconnected (or was replaced) during the turn."""


class _Paused(Exception):
    """Home Assistant paused the satellite during the turn."""


class SatelliteTurn:
    def __init__(self, link: SatelliteLink, options: SatelliteOptions, bus: EventBus
                 ) -> None:
        self.link = link
        self.options = options
        self.bus = bus
        self.heard = ""  # Home Assistant's transcript
        self.said = ""  # the text of its reply
        self._held: Event | None = None  # read while listening, for the reply's part
        self._started = False  # Home Assistant began this run's speech-to-text

    async def run(self, wake_word: str, feed: FrameFeed, output: SpeechOutput
                  ) -> HandedOff | None:
        sent: list[AudioChunk] = []
        with self.link.turn() as inbox:
            try:
                await self.link.send(Detection(name=wake_word,
                                               timestamp=int(time.time() * 1000)).event())
                await self.link.send(RunPipeline(start_stage=PipelineStage.ASR,
                                                 end_stage=PipelineStage.TTS,
                                                 wake_word_name=wake_word).event())
                output.state.set_phase(TurnPhase.LISTENING)
                await self._stream(feed, inbox, sent)
                output.state.set_phase(TurnPhase.THINKING)
                played_ms = await self._reply(inbox, output)
            except asyncio.CancelledError:  # push-to-talk, the kill switch, shutdown
                self.link.abandon(self.options.reply_s)
                raise
            except (_Gone, ConnectionError, OSError):
                if self.heard or self.said:  # it may have acted on it: never twice
                    return HandedOff(self.heard, self.said, 0, "satellite.disconnected")
                log.warning("satellite: Home Assistant went away during the turn; Heron "
                            "answers it")
                feed.push_back(sent)  # Heron's own listener hears it from the start
                return None
            except _Paused:
                return HandedOff(self.heard, self.said, 0, "satellite.paused")
        return HandedOff(self.heard, self.said, played_ms)

    async def _stream(self, feed: FrameFeed, inbox: asyncio.Queue[Event],
                      sent: list[AudioChunk]) -> None:
        """Stream the microphone until Home Assistant has heard the command."""
        async def stream() -> None:
            async for frame in feed:
                sent.append(frame)
                await self.link.send(WyChunk(rate=SAMPLE_RATE_HZ, width=2, channels=1,
                                             audio=frame.samples.tobytes(),
                                             timestamp=frame.timestamp_ms).event())

        streaming = asyncio.create_task(stream())
        try:
            deadline = time.monotonic() + self.options.listen_s
            while True:
                event = await self._next(inbox, deadline - time.monotonic(),
                                         also=streaming)
                if event is None:  # listened long enough (or the input ended)
                    with contextlib.suppress(ConnectionError, OSError):
                        await self.link.send(AudioStop().event())  # ends its STT
                    return
                if event.type == TRANSCRIBE:  # this run's speech-to-text has begun
                    self._started = True
                elif not self._started and not Error.is_type(event.type):
                    continue  # left over from a run given up on: not this command's
                if VoiceStopped.is_type(event.type):
                    return
                if self._handled(event):
                    return
        finally:
            streaming.cancel()
            await asyncio.gather(streaming, return_exceptions=True)

    async def _reply(self, inbox: asyncio.Queue[Event], output: SpeechOutput) -> int:
        """Wait for the reply and play it; the audio played, in ms."""
        deadline = time.monotonic() + self.options.reply_s
        while True:
            if self.said:  # its text came: audio follows at once, or never (no TTS)
                deadline = min(deadline, time.monotonic() + AUDIO_AFTER_TEXT_S)
            event = await self._next(inbox, deadline - time.monotonic())
            if event is None and self.said:
                self.link.abandon(self.options.reply_s)
                return 0  # answered in words only (its pipeline has no speech)
            if event is None:
                self.link.abandon(self.options.reply_s)
                return await self._say_problem(output, "satellite.no_answer",
                                               "Home Assistant did not answer in "
                                               f"{self.options.reply_s:g} s", SAID_NO_ANSWER)
            if Error.is_type(event.type):
                error = Error.from_event(event)
                said = SAID_FOR_ERROR.get(error.code or "", SAID_FOR_OTHER_ERROR)
                return await self._say_problem(output, "satellite.ha_error",
                                               f"Home Assistant: {error.text}", said)
            if AudioStart.is_type(event.type):
                return await self._play(AudioStart.from_event(event).rate, inbox, output)
            self._handled(event)

    def _handled(self, event: Event) -> bool:
        """Note what Home Assistant tells along the way; True when it has the text."""
        if WyTranscript.is_type(event.type):
            self.heard = WyTranscript.from_event(event).text.strip()
            if self.heard:
                self.bus.publish(Transcript(text=self.heard))
            return True
        if Synthesize.is_type(event.type):
            self.said = Synthesize.from_event(event).text
            self.bus.publish(Reply(text=self.said))
        elif Error.is_type(event.type):
            self._held = event  # the reply's part ends the turn with it
            return True
        return False

    async def _play(self, rate: int, inbox: asyncio.Queue[Event], output: SpeechOutput
                    ) -> int:
        """Play the reply's audio as it arrives; Played when it has."""
        audio: asyncio.Queue[bytes | None] = asyncio.Queue()

        async def receive() -> None:
            deadline = time.monotonic() + self.options.reply_s
            try:
                while (event := await self._next(inbox, deadline - time.monotonic())):
                    if AudioStop.is_type(event.type) or Error.is_type(event.type):
                        return
                    if WyChunk.is_type(event.type):
                        audio.put_nowait(mono16(WyChunk.from_event(event), rate))
                    elif not AudioStart.is_type(event.type):
                        self._handled(event)  # streamed TTS: its text comes after
            finally:
                audio.put_nowait(None)

        receiving = asyncio.create_task(receive())
        try:
            output.state.set_phase(TurnPhase.REPLYING)
            played = await output.play(self.said, rate, queued_audio(audio))
        finally:
            receiving.cancel()
            await asyncio.gather(receiving, return_exceptions=True)
        with contextlib.suppress(ConnectionError, OSError):
            await self.link.send(Played().event())
        return played.audio_ms

    async def _say_problem(self, output: SpeechOutput, code: str, message: str,
                           said: str) -> int:
        self.bus.publish(StageError(stage=Stage.SATELLITE, code=code, message=message,
                                    hint="check Home Assistant's Assist pipeline for "
                                         "this satellite"))
        if not said:
            return 0
        self.said = said
        self.bus.publish(Reply(text=said))
        output.state.set_phase(TurnPhase.REPLYING)
        return (await output.say(said)).audio_ms

    async def _next(self, inbox: asyncio.Queue[Event], timeout_s: float,
                    also: asyncio.Task | None = None) -> Event | None:
        """The next event from Home Assistant; None after `timeout_s` (or when `also`
        ends first). Raises _Gone / _Paused."""
        if self._held is not None:
            event, self._held = self._held, None
            return event
        if self.link.gone.is_set():
            raise _Gone()
        if self.link.paused.is_set():
            raise _Paused()
        if not inbox.empty():
            return inbox.get_nowait()
        getting = asyncio.create_task(inbox.get())
        gone = asyncio.create_task(self.link.gone.wait())
        paused = asyncio.create_task(self.link.paused.wait())
        waits = {getting, gone, paused} | ({also} if also is not None else set())
        try:
            done, _ = await asyncio.wait(waits, timeout=max(0.0, timeout_s),
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (getting, gone, paused):
                task.cancel()
        if getting in done:
            return getting.result()
        if gone in done:
            raise _Gone()
        if paused in done:
            raise _Paused()
        if also is not None and also in done and not also.cancelled() \
                and also.exception() is not None:
            raise also.exception()
        return None
