"""One Wyoming connection: its events dispatched to the sessions of the four programs.
The models and the agent are shared by every connection (Services); what a
connection started (an audio stream, a text stream) is its own.

A bad request gets an Error event and the connection stays open; a stream that went
wrong is skipped up to its AudioStop, so one mistake gives one Error. A request that
fails still gets the event its client waits for after the Error (Home Assistant reads
until it and ignores errors): an empty Transcript, NotDetected, AudioStop (and
SynthesizeStopped for streamed text), NotHandled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)
from wyoming.wake import Detect, NotDetected

from assistant.voice.stack import VoiceStack
from assistant.wyoming.asr_session import AsrSession
from assistant.wyoming.errors import RequestError
from assistant.wyoming.handle_session import AgentDesk
from assistant.wyoming.tts_session import SpeechStream, TextStream, choose_voice
from assistant.wyoming.wake_session import WakePool, WakeSession
from models.errors import CodedError

log = logging.getLogger(__name__)
NO_START = "wyoming.no_synthesize_start"


@dataclass(frozen=True)
class Services:
    """What every connection shares."""

    stack: VoiceStack
    wake: WakePool
    desk: AgentDesk
    describe: Callable[[], Info]  # asked each time: enrolled words come and go
    tts_lock: asyncio.Lock  # piper synthesizes one text at a time


class HeronEventHandler(AsyncEventHandler):
    def __init__(self, services: Services, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.services = services
        self._request: Transcribe | Detect | None = None  # what the next audio is for
        self._stream: AsrSession | WakeSession | None = None
        self._skipping = False  # a failed audio stream: drop its chunks until AudioStop
        self._text: TextStream | None = None
        self._text_failed = False  # a streamed text went wrong: ignore it up to its Stop

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except CodedError as err:  # a bad request, or a stage that failed
            await self._fail(event, err)
        except (KeyError, TypeError, ValueError) as err:  # fields missing or of wrong type
            await self._fail(event, RequestError(
                "wyoming.bad_event", f"malformed {event.type!r} event ({err!r})",
                "send events as the wyoming package writes them"))
        except Exception as err:  # a bug: the client hears of it, others go on
            log.exception("wyoming: %s event failed", event.type)
            await self._fail(event, CodedError("wyoming.internal",
                                               f"{event.type!r} failed: {err}"))
        return True

    async def disconnect(self) -> None:
        await self._end_stream()

    async def _dispatch(self, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            await self.write_event(self.services.describe().event())
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(kind):
            self._request = Transcribe.from_event(event)
        elif Detect.is_type(kind):
            self._request = Detect.from_event(event)
        elif AudioStart.is_type(kind):
            await self._audio_start(AudioStart.from_event(event))
        elif AudioChunk.is_type(kind):
            await self._audio_chunk(AudioChunk.from_event(event))
        elif AudioStop.is_type(kind):
            await self._audio_stop()
        elif Synthesize.is_type(kind):
            await self._synthesize(Synthesize.from_event(event))
        elif SynthesizeStart.is_type(kind):
            start = SynthesizeStart.from_event(event)
            self._text_failed = False
            self._text = TextStream(self._speech(start.voice))
        elif SynthesizeChunk.is_type(kind):
            if not self._text_failed:
                await self._text_stream().add(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(kind):
            if self._text_failed:  # its Error went out: end the stream the client awaits
                self._text_failed = False
                await self._end_speech(streamed=True)
                return
            text, self._text = self._text_stream(), None
            await text.finish(self.write_event)
        elif Transcript.is_type(kind):
            answer = await self.services.desk.answer(Transcript.from_event(event))
            await self.write_event(answer.event())
        else:  # the protocol's rule: servers drop events they do not know
            log.debug("wyoming: ignoring a %r event", kind)

    # -- audio in: speech to text, wake word ------------------------------------------
    async def _audio_start(self, start: AudioStart) -> None:
        await self._end_stream()
        self._skipping = True  # until this stream is open: a failure skips its chunks
        request = self._request
        if isinstance(request, Transcribe):
            self._stream = AsrSession(self.services.stack, request, start)
        elif isinstance(request, Detect):
            self._stream = await WakeSession.open(self.services.wake, request, start)
        else:
            raise RequestError("wyoming.no_request",
                               "audio came without a Transcribe or Detect before it",
                               "send Transcribe (speech to text) or Detect (wake word) "
                               "before AudioStart")
        self._skipping = False

    async def _audio_chunk(self, chunk: AudioChunk) -> None:
        if self._skipping:
            return
        stream = self._stream
        if stream is None:
            self._skipping = True
            raise RequestError("wyoming.no_audio_start", "an audio chunk came before "
                               "AudioStart", "send AudioStart, the chunks, then AudioStop")
        if isinstance(stream, WakeSession):
            await stream.push(chunk, self.write_event)
        else:
            stream.push(chunk)

    async def _audio_stop(self) -> None:
        stream, self._stream = self._stream, None
        request, self._request = self._request, None  # each stream is asked for again
        if self._skipping or stream is None:
            skipped, self._skipping = self._skipping, False
            if not skipped:
                raise RequestError("wyoming.no_audio_start", "AudioStop came before "
                                   "AudioStart", "send AudioStart, the chunks, then AudioStop")
            # The stream's Error went out: still the answer its client waits for.
            if isinstance(request, Transcribe):
                await self.write_event(Transcript(text="").event())
            elif isinstance(request, Detect):
                await self.write_event(NotDetected().event())
            return
        if isinstance(stream, WakeSession):
            await stream.finish(self.write_event)
        else:
            await self.write_event((await stream.finish()).event())

    async def _end_stream(self) -> None:
        stream, self._stream = self._stream, None
        if isinstance(stream, WakeSession):
            await stream.close()  # its detector goes back to the pool

    # -- text to speech ---------------------------------------------------------------
    def _speech(self, voice) -> SpeechStream:
        s = self.services
        return SpeechStream(s.stack, choose_voice(s.stack, voice), self.write_event,
                            s.tts_lock)

    async def _synthesize(self, request: Synthesize) -> None:
        if self._text is not None or self._text_failed:
            return  # the same text, sent for servers that do not stream: already spoken
        out = self._speech(request.voice)
        await out.speak(request.text)
        await out.close()

    def _text_stream(self) -> TextStream:
        if self._text is None:
            raise RequestError(NO_START, "text to synthesize came "
                               "before SynthesizeStart",
                               "send SynthesizeStart, the chunks, then SynthesizeStop")
        return self._text

    async def _fail(self, event: Event, err: CodedError) -> None:
        kind = event.type
        if AudioStart.is_type(kind) or AudioChunk.is_type(kind):
            self._skipping = True
            await self._end_stream()
        if SynthesizeStart.is_type(kind) or (SynthesizeChunk.is_type(kind)
                                             and self._text is not None):
            self._text, self._text_failed = None, True  # the rest of it is dropped
        log.info("wyoming: %s: %s", kind, err.message)
        await self.write_event(Error(text=err.sentence(), code=err.code).event())
        # A SynthesizeStop whose stream failed in finishing (not one without a start)
        stream_ended = SynthesizeStop.is_type(kind) and err.code != NO_START
        if Synthesize.is_type(kind) or stream_ended:
            await self._end_speech(streamed=stream_ended)
        elif Transcript.is_type(kind):
            await self.write_event(NotHandled(text=err.message).event())

    async def _end_speech(self, streamed: bool) -> None:
        """The end of an audio stream whose synthesis failed (the client waits for it)."""
        await self.write_event(AudioStop().event())
        if streamed:
            await self.write_event(SynthesizeStopped().event())
