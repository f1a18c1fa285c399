"""Hearing one utterance: VAD → endpointer, partial transcripts while the user speaks,
and an early end when what was said is already a complete command (DESIGN.md §2).

Two kinds of decode run on the work executor:
- partials while the user speaks (StreamingTranscriber: words two passes agree on are
  committed), published as Transcript(is_final=False) — for display;
- as soon as the speech pauses, a decode of the whole utterance. If what it heard is a
  complete, confidently routed command, the endpoint needs only the short silence, and
  if no speech follows it is the final transcript: nothing is left to decode.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from assistant.agent.understanding import Understanding
from assistant.bus import EventBus
from assistant.events import SpeechEnded, SpeechStarted, Transcript
from assistant.feed import FrameFeed
from assistant.utterance import Utterance
from assistant.voice import VoiceStack
from audio.asr import AsrResult
from audio.endpointer import Endpointer, EndpointEvent
from audio.frames import FRAME_MS
from audio.streaming_asr import PartialTranscript, StreamingTranscriber

# A transcript understood at least this surely (intent templates or router), with every
# slot filled, is a complete command: the endpoint then waits only the short silence.
COMPLETE_SCORE = 0.75
PAUSE_DECODE_AFTER_MS = FRAME_MS  # silence before the whole-utterance decode starts


@dataclass(frozen=True)
class Heard:
    utterance: Utterance
    final: AsrResult
    asr_done: float  # perf_counter when the final text was ready


class Listener:
    def __init__(self, stack: VoiceStack, bus: EventBus, understanding: Understanding) -> None:
        self.stack = stack
        self.bus = bus
        # The agent's Understanding (agent.understanding), so the agent's own call for
        # the same text is free.
        self.understanding = understanding
        self._decoding = threading.Lock()  # one whole-utterance decode at a time

    def is_complete(self, text: str, language: str | None = None) -> bool:
        found = self.understanding.understand(text, language) if text.strip() else None
        if found is None or found.confidence < COMPLETE_SCORE:
            return False
        return found.route is None or not found.route.missing

    async def listen(self, feed: FrameFeed) -> Heard | None:
        cfg = self.stack.config
        vad = self.stack.vad
        await self.stack.on_frames(vad.reset)
        ep = Endpointer(cfg.endpoint, frame_ms=FRAME_MS)
        utt = Utterance(cfg.endpoint.pre_roll_ms)
        st = StreamingTranscriber(self.stack.asr, cfg.streaming) if cfg.streaming.enabled \
            else None
        partial: asyncio.Future[PartialTranscript] | None = None
        pause: tuple[int, asyncio.Future] | None = None  # (speech_end_ms, decode)
        event = None
        try:
            async for frame in feed:
                prob = await self.stack.on_frames(vad.process, frame.samples)
                voiced = feed.voiced(prob, cfg.vad.threshold)
                utt.add(frame, voiced)
                event = ep.process(voiced)
                if event == EndpointEvent.START:
                    utt.start_ms = ep.speech_start_ms
                    if st is not None:
                        utt.feed_from_start(st)
                    self.bus.publish(SpeechStarted(audio_ms=utt.abs_ms(ep.speech_start_ms)))
                elif st is not None and ep.speech_start_ms is not None:
                    st.add(frame.samples, voiced)
                if event == EndpointEvent.TIMEOUT:
                    return None
                if event in (EndpointEvent.END, EndpointEvent.MAX_LENGTH):
                    break
                if ep.speech_start_ms is None:
                    continue  # still waiting for speech
                if partial is not None and partial.done():
                    if not partial.cancelled() and partial.exception() is None:
                        self._publish_partial(partial.result())
                    partial = None
                if voiced:
                    if pause is not None:  # the pause was not the end
                        pause[1].cancel()
                        pause = None
                    if st is not None and partial is None and st.partial_due:
                        partial = asyncio.ensure_future(self.stack.on_work(st.partial))
                elif pause is None and ep.silence_ms >= PAUSE_DECODE_AFTER_MS:
                    pause = (ep.speech_end_ms, self._decode(utt, ep.speech_end_ms))
                if pause is not None and pause[1].done() and not pause[1].cancelled():
                    heard = pause[1].result()[0]
                    if ep.set_command_complete(self.is_complete(heard.text, heard.language
                                                                or None), pause[0]):
                        break  # END: it was a complete command and the user stopped
            else:
                if ep.speech_start_ms is None:
                    return None
        finally:
            if partial is not None:
                partial.cancel()  # the executor finishes it; the result is ignored
        utt.finish(ep.speech_end_ms or utt.length_ms)
        self.bus.publish(SpeechEnded(audio_ms=utt.abs_ms(utt.end_ms),
                                     duration_ms=utt.end_ms - utt.start_ms))
        if pause is None or pause[0] != utt.end_ms:
            if pause is not None:
                pause[1].cancel()
            pause = (utt.end_ms, self._decode(utt, utt.end_ms))
        final, done = await pause[1]
        return Heard(utt, final, done)

    def _decode(self, utt: Utterance, end_ms: int) -> asyncio.Future:
        """The whole utterance up to `end_ms`, decoded on the work executor. Cancelling
        the future before the decode begins skips it: the speech went on, and a stale
        decode would hold up the one for the real end (the executor cannot stop one
        that has begun, but at most one runs: they take turns on `_decoding`)."""
        audio = utt.audio(end_ms)
        asr = self.stack.asr
        wanted = threading.Event()
        wanted.set()

        def run() -> tuple[AsrResult, float] | None:
            with self._decoding:
                if not wanted.is_set():
                    return None
                return asr.transcribe(audio), time.perf_counter()

        future = asyncio.ensure_future(self.stack.on_work(run))
        future.add_done_callback(lambda f: wanted.clear() if f.cancelled() else None)
        return future

    def _publish_partial(self, p: PartialTranscript) -> None:
        if p.text:
            self.bus.publish(Transcript(text=p.text, is_final=False, language=p.language))
