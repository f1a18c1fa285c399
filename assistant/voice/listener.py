"""Hearing one utterance: VAD → endpointer, partial transcripts while the user speaks,
and an early end when what was said is already a complete command (DESIGN.md §2).

Two kinds of decode run on the work executor:
- partials while the user speaks (StreamingTranscriber: words two passes agree on are
  committed), published as Transcript(is_final=False) — for display;
- as soon as the speech pauses, a decode of the whole utterance (with partials on, its
  text is published as one too: it shares the executor with the streaming passes, which
  wait behind it on a slow machine, and it hears the speech so far best). If what it
  heard is a complete, confidently routed command, the endpoint needs only the short
  silence, and if no speech follows it is the final transcript: nothing is left to
  decode.
When it is not a complete command, the end of turn is judged: words that cannot end a
request ("remind me to", "Turn the volume...") mean the speaker is mid-sentence; a known
command still missing a slot waits the long silence; otherwise the smart-turn model
listens to how the speech ended, and the endpointer waits a medium silence (surely
finished), the long one (unsure) or a longer one (mid-sentence). EndpointOptions has
the durations; bench/turn.py measures them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from assistant.agent.understanding import Understanding
from assistant.bus import EventBus
from assistant.events import SpeechEnded, SpeechStarted, Transcript
from assistant.voice.feed import FrameFeed
from assistant.voice.hearing import CommandHearing
from assistant.voice.stack import VoiceStack
from assistant.voice.turn_words import words_verdict
from assistant.voice.utterance import TRUE_END_LEVEL, Utterance
from audio.asr import AsrResult
from audio.endpointer import Endpointer, EndpointEvent
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ, rms
from audio.streaming_asr import PartialTranscript, StreamingTranscriber
from audio.turn_model import SmartTurn, turn_spec
from models.errors import ModelError

log = logging.getLogger(__name__)

# A transcript understood at least this surely (intent templates or router), with every
# slot filled, is a complete command: the endpoint then waits only the short silence.
# (The router also scores fragments such as "turn the volume" 0.86, but raising this
# to 0.9 sent real commands such as "what day is it" (0.895) to the long wait.)
COMPLETE_SCORE = 0.75
# A command understood this surely but missing a slot ("start a timer") is probably
# not finished: it waits the long silence without asking the turn model.
INCOMPLETE_SCORE = COMPLETE_SCORE
# One or two words the turn model calls finished are as often the start of a longer
# request ("can you ...", "remind me ..."): they wait the long silence instead.
FEWEST_WORDS_FINISHED = 3
PAUSE_DECODE_AFTER_MS = FRAME_MS  # silence before the whole-utterance decode starts
# ...or sooner: a voiced frame whose last 40 ms are this far below the loudest speech so
# far probably holds the end of speech (the VAD still calls it voiced for ~100 ms), so
# the decode starts one frame early. Wasted when speech goes on (about once per
# utterance in quiet rooms); never fires in steady noise.
QUIET_TAIL_MS, QUIET_TAIL_DB = 40, 30.0
# In a quiet room (nothing before the speech reached -40 dBFS) the level shows where the
# voice really stops. The VAD can call 240 ms silent around a 160 ms gap ("two minutes
# ... and thirty seconds"), so a complete command also needs that much quiet by level
# (TRUE_END_LEVEL: -40 dBFS, the level that marks the true end of speech).


@dataclass(frozen=True)
class Heard:
    utterance: Utterance
    final: AsrResult
    asr_done: float  # perf_counter when the final text was ready
    # what was decided at each pause: {"end_ms", "text", "verdict", "p_finished"}
    pauses: tuple[dict, ...] = ()


@dataclass
class _Pause:
    """The decode of the speech up to a pause, and the end-of-turn verdict on it."""

    end_ms: int
    decode: asyncio.Future
    judged: bool = False  # the decode's verdict went to the endpointer
    turn: asyncio.Future | None = None  # P(finished) from the turn model
    turn_told: bool = False
    text: str = ""
    verdict: str = ""  # complete | incomplete | unfinished | unknown (Listener.judge)
    p_finished: float | None = None

    def record(self) -> dict:
        p = None if self.p_finished is None else round(self.p_finished, 3)
        return {"end_ms": self.end_ms, "text": self.text, "verdict": self.verdict,
                "p_finished": p}

    def cancel(self) -> None:
        self.decode.cancel()
        if self.turn is not None:
            self.turn.cancel()


class Listener:
    def __init__(self, stack: VoiceStack, bus: EventBus, understanding: Understanding) -> None:
        self.stack = stack
        self.bus = bus
        # The agent's Understanding (agent.understanding), so the agent's own call for
        # the same text is free.
        self.understanding = understanding
        self.hearing = CommandHearing(stack, understanding)
        self._decoding = threading.Lock()  # one whole-utterance decode at a time
        self._turn_model: asyncio.Future[SmartTurn | None] | None = None

    def is_complete(self, text: str, language: str | None = None) -> bool:
        return self.judge(text, language) == "complete"

    def judge(self, text: str, language: str | None = None) -> str:
        """What the words say about the end of the turn: "unfinished" (whisper trailed
        off with "...", or English ends on a word no request ends on: "remind me to",
        "add eggs and"), "complete" (a confidently understood command with every slot),
        "incomplete" (such a command missing a slot: "start a timer"; it waits the long
        silence, the model is not asked) or "unknown" (the turn model decides)."""
        said = words_verdict(text, language)
        if said is not None:
            return "unknown" if said == "unsure" else said
        text = text.strip()
        found = self.understanding.understand(text, language) if text else None
        if found is None:
            return "unknown"
        if found.route is not None and found.route.missing:
            return "incomplete" if found.confidence >= INCOMPLETE_SCORE else "unknown"
        return "complete" if found.confidence >= COMPLETE_SCORE else "unknown"

    async def load(self) -> SmartTurn | None:
        """Load the end-of-turn model (once, off the loop); None when it is turned off
        or missing (then the endpoint waits the long silence, as before it existed)."""
        if not self.stack.config.endpoint.turn_model:
            return None
        return await asyncio.shield(self._start_loading())

    def _start_loading(self) -> asyncio.Future[SmartTurn | None]:
        """The end-of-turn model's loading, started once."""
        if self._turn_model is None:
            self._turn_model = asyncio.ensure_future(self.stack.on_work(self._load_turn))
        return self._turn_model

    def _load_turn(self) -> SmartTurn | None:
        try:
            model = SmartTurn(self.stack.store)
            model.warm_up()
            return model
        except ModelError as err:
            log.warning("turn.model_missing: %s; the end of an unrecognised sentence waits "
                        "the long silence. Fix: %s", err.message,
                        err.hint or turn_spec().reinstall_command())
            return None

    async def listen(self, feed: FrameFeed) -> Heard | None:
        cfg = self.stack.config
        vad = self.stack.vad
        await self.stack.on_frames(vad.reset)
        ep = Endpointer(cfg.endpoint, frame_ms=FRAME_MS)
        utt = Utterance(cfg.endpoint.pre_roll_ms)
        st = StreamingTranscriber(self.stack.asr, cfg.streaming) if cfg.streaming.enabled \
            else None
        partial: asyncio.Future[PartialTranscript] | None = None
        pause: _Pause | None = None
        pauses: list[_Pause] = []
        loudest = 0.0  # RMS of the loudest voiced frame so far
        if cfg.endpoint.turn_model:
            self._start_loading()  # ready by the first pause; `load()` makes it sooner
        event = None
        try:
            async for frame in feed:
                arrival = time.perf_counter()
                prob = await self.stack.on_frames(vad.process, frame.samples)
                voiced = feed.voiced(prob, cfg.vad.threshold)
                utt.add(frame, voiced, arrival)
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
                        pause.cancel()
                        pause = None
                    if st is not None and partial is None and st.partial_due:
                        partial = asyncio.ensure_future(self.stack.on_work(st.partial))
                    loudest = max(loudest, rms(frame.samples))
                    if _quiet_tail(frame.samples, loudest):  # the speech may end here
                        pause = _Pause(ep.speech_end_ms, self._decode(
                            utt, ep.speech_end_ms, show=st is not None))
                        pauses.append(pause)
                elif pause is None and ep.silence_ms >= PAUSE_DECODE_AFTER_MS:
                    pause = _Pause(ep.speech_end_ms, self._decode(
                        utt, ep.speech_end_ms, show=st is not None))
                    pauses.append(pause)
                if pause is not None and await self._judge(pause, ep, utt):
                    break  # END: the verdict on the speech so far ended it
            else:
                if ep.speech_start_ms is None:
                    return None
        finally:
            if partial is not None:
                partial.cancel()  # the executor finishes it; the result is ignored
            if pause is not None and pause.turn is not None:
                pause.turn.cancel()
        utt.finish(ep.speech_end_ms or utt.length_ms)
        self.bus.publish(SpeechEnded(audio_ms=utt.abs_ms(utt.end_ms),
                                     duration_ms=utt.end_ms - utt.start_ms))
        if pause is None or pause.end_ms != utt.end_ms:
            if pause is not None:
                pause.decode.cancel()
            pause = _Pause(utt.end_ms, self._decode(utt, utt.end_ms))
        final, done = await pause.decode
        return Heard(utt, final, done, tuple(p.record() for p in pauses if p.verdict))

    async def _judge(self, pause: _Pause, ep: Endpointer, utt: Utterance) -> bool:
        """Hand the endpointer what is known about the speech up to the pause; True
        when that ends the utterance. A verdict that could end it now is awaited rather
        than picked up at the next frame (up to 80 ms later); frames wait in the feed."""
        opts = ep.options
        if not pause.judged:
            if not pause.decode.done():
                if ep.silence_ms < opts.short_silence_ms:
                    return False
                await asyncio.wait({pause.decode})
            pause.judged = True
            heard: AsrResult = pause.decode.result()[0]
            # The decoder's own top text: a nearer command chosen from its other
            # hypotheses ("can you" → "cancel the timer") must not end a sentence early.
            pause.text = heard.heard or heard.text
            verdict = pause.verdict = self.judge(pause.text, heard.language or None)
            if verdict == "complete" and not _quiet_for(utt, opts.short_silence_ms):
                pause.judged = False  # asked again at the next frame
                return False
            if ep.set_command_complete(verdict == "complete", pause.end_ms):
                return True
            if verdict == "unfinished":
                return ep.set_turn_finished(0.0, pause.end_ms) is not None
        if pause.verdict == "unknown" and pause.turn is None:
            if ep.silence_ms < PAUSE_DECODE_AFTER_MS:
                return False  # decoded early: the model hears the pause, so wait for it
            model = self._ready_turn_model()
            if model is not None:
                pause.turn = asyncio.ensure_future(self.stack.on_work(
                    model.complete_probability, utt.audio(pause.end_ms)))
        if pause.turn is None or pause.turn_told:
            return False
        if not pause.turn.done():
            # awaited before the frame that could end the utterance without it
            if ep.silence_ms + ep.frame_ms < min(opts.turn_end_silence_ms,
                                                 opts.long_silence_ms):
                return False
            await asyncio.wait({pause.turn})
        pause.turn_told = True
        if pause.turn.cancelled() or pause.turn.exception() is not None:
            log.warning("turn: the end-of-turn model failed (%s); waiting the long silence",
                        "cancelled" if pause.turn.cancelled() else pause.turn.exception())
            return False
        pause.p_finished = pause.turn.result()
        if pause.p_finished >= opts.turn_finished_threshold and \
                len(pause.text.split()) < FEWEST_WORDS_FINISHED:
            return False
        return ep.set_turn_finished(pause.p_finished, pause.end_ms) is not None

    def _ready_turn_model(self) -> SmartTurn | None:
        """The turn model when it has loaded (a verdict that is not ready yet must not
        hold up the endpoint: then the long silence applies)."""
        loading = self._turn_model
        if loading is None or not loading.done() or loading.cancelled() or \
                loading.exception() is not None:
            return None
        return loading.result()

    def _decode(self, utt: Utterance, end_ms: int, show: bool = False) -> asyncio.Future:
        """The whole utterance up to `end_ms`, decoded on the work executor. Cancelling
        the future before the decode begins skips it: the speech went on, and a stale
        decode would hold up the one for the real end (the executor cannot stop one
        that has begun, but at most one runs: they take turns on `_decoding`).
        show: publish what it heard as a partial transcript (even when the speech went
        on meanwhile: it was heard before the end)."""
        audio = utt.audio(end_ms)
        language = None  # the configured one (auto: whisper detects it)
        wanted = threading.Event()
        wanted.set()
        loop = asyncio.get_running_loop()

        def run() -> tuple[AsrResult, float] | None:
            with self._decoding:
                if not wanted.is_set():
                    return None
                heard = self.hearing.hear(audio, language)
                said = (heard.heard or heard.text).strip()  # whisper's own top text
                if show and said:
                    loop.call_soon_threadsafe(self.bus.publish, Transcript(
                        text=said, is_final=False, language=heard.language))
                return heard, time.perf_counter()

        future = asyncio.ensure_future(self.stack.on_work(run))
        future.add_done_callback(lambda f: wanted.clear() if f.cancelled() else None)
        return future

    def _publish_partial(self, p: PartialTranscript) -> None:
        if p.text:
            self.bus.publish(Transcript(text=p.text, is_final=False, language=p.language))


def _quiet_tail(samples: np.ndarray, loudest_rms: float) -> bool:
    tail = samples[-QUIET_TAIL_MS * SAMPLE_RATE_HZ // 1000:]
    return rms(tail) <= loudest_rms * 10 ** (-QUIET_TAIL_DB / 20)


def _quiet_for(utt: Utterance, ms: int) -> bool:
    """Whether the last `ms` of audio held no sample at or above -40 dBFS; always True
    in a noisy room (the pre-roll was that loud) or without a pre-roll: there only the
    VAD can tell speech from noise."""
    start = utt.start_ms // FRAME_MS
    before = utt.frames[max(0, start - utt.pre_roll_ms // FRAME_MS):start]
    if not before or max(int(np.abs(f.astype(np.int32)).max()) for f in before) >= TRUE_END_LEVEL:
        return True
    recent = np.concatenate(utt.frames[-(ms // FRAME_MS + 1):])
    tail = recent[-ms * SAMPLE_RATE_HZ // 1000:]
    return int(np.abs(tail.astype(np.int32)).max()) < TRUE_END_LEVEL
