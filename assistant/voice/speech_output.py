"""The one speech output: everything Heron says — a turn's reply, an approval question,
a timer's announcement — is spoken here, one utterance at a time in the order asked,
split into sentences that are synthesized while the ones before them play, with
SpeechOutStarted / SpeechOutFinished around each, and the state "speaking" from the
moment it is asked until it has played (StateOwner). `stop()` silences what plays now
(barge-in, the wake word over an announcement) and, for "stop", drops what was queued.
The speaker it owns plays with the echo reference, so the microphone hears none of it,
announcements included."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.bus import EventBus
from assistant.events import SpeechOutFinished, SpeechOutStarted
from assistant.voice.ports import Synthesizer
from assistant.voice.sentences import split_for_speech
from assistant.voice.stack import VoiceStack
from assistant.voice.state import StateOwner


class ReplySink(Protocol):
    """Where speech plays: ReplySpeaker (the speaker), WavSink (a file); audio/sink.py."""

    rate_hz: int

    def write(self, samples: np.ndarray) -> object: ...

    def drain(self) -> None:
        """Block until everything written has been played."""

    def stop(self) -> None:
        """Silence at once (barge-in); writes are dropped until close()."""

    def close(self) -> None:
        """Release the device; the next write opens it again."""

    def retune(self, rate_hz: int) -> None:
        """What is written from now on comes at `rate_hz` (each utterance's voice may
        differ: another language's, or a voice changed while Heron runs)."""


@dataclass
class Spoken:
    """What one utterance played: when its first sample went out (perf_counter; the
    end of synthesis when nothing played) and how many samples at `rate_hz`."""

    first: float = 0.0
    samples: int = 0
    rate_hz: int = 0
    stopped: bool = False  # cut short by stop(), or dropped from the queue by it

    @property
    def audio_ms(self) -> int:
        return int(self.samples * 1000 / self.rate_hz) if self.rate_hz else 0


class SpeechOutput:
    """Owns the speaker (`sink`, None: speech is synthesized and timed, not played)."""

    def __init__(self, stack: VoiceStack, bus: EventBus, state: StateOwner,
                 sink: ReplySink | None) -> None:
        self.stack = stack
        self.bus = bus
        self.state = state
        self.sink = sink
        self._turns = asyncio.Lock()  # FIFO: utterances play in the order asked
        self._drops = 0  # stop(drop_queued=True) calls: what was queued before is dropped
        self._playing: Spoken | None = None
        self._pieces: asyncio.Queue | None = None  # the playing utterance's audio

    @property
    def busy(self) -> bool:
        """Something is playing or waiting to play."""
        return self._turns.locked()

    async def say(self, text: str, voice: Synthesizer | None = None,
                  spoken: Spoken | None = None) -> Spoken:
        """Speak `text` in `voice` (default: the main one) after what is already
        queued; returns when it has played (or was stopped). Pass `spoken` to read the
        progress while it plays, or after it is cancelled. Cancelled or failed midway,
        the speaker is silenced and released at once: nothing plays on."""
        tts = voice or self.stack.tts
        return await self._utter(text, tts.sample_rate_hz, self._synthesized(text, tts),
                                 spoken)

    async def play(self, text: str, rate_hz: int, audio: AsyncIterator[np.ndarray],
                   spoken: Spoken | None = None) -> Spoken:
        """Play audio made elsewhere (int16 at `rate_hz`, e.g. Home Assistant's reply to
        a satellite turn) exactly like speech: in the queue, with the events, the state
        and `stop()`; `text` is what it says, for the events ("" when unknown)."""
        return await self._utter(text, rate_hz, audio, spoken)

    async def _utter(self, text: str, rate_hz: int, audio: AsyncIterator[np.ndarray],
                     spoken: Spoken | None) -> Spoken:
        spoken = spoken or Spoken()
        spoken.rate_hz = rate_hz
        asked = self._drops
        with self.state.speaking():  # from the moment it is asked: no "idle" in between
            async with self._turns:
                if self._drops != asked:  # "stop" came while this waited its turn
                    spoken.stopped = True
                    return spoken
                self._playing = spoken
                finished = False
                try:
                    if self.sink is not None:
                        self.sink.retune(rate_hz)
                    await self._play(text, audio, spoken)
                    finished = not spoken.stopped
                finally:
                    self._playing = None
                    if not finished and self.sink is not None:
                        self.sink.stop()  # cancelled or failed: silence what is queued
                        self.sink.close()  # and be ready for the next utterance
        return spoken

    def stop(self, drop_queued: bool = False) -> None:
        """Silence what plays now, if anything; its `say()` returns with `stopped`
        (cancel the task too to return at once). With `drop_queued` ("stop", "be
        quiet") the utterances waiting their turn are dropped too; without (barge-in,
        the wake word) they are kept: a timer's announcement is not lost because the
        user spoke over a reply."""
        if drop_queued:
            self._drops += 1
        playing = self._playing
        if playing is None:
            return
        playing.stopped = True
        if self.sink is not None:
            self.sink.stop()
        if self._pieces is not None:
            self._pieces.put_nowait(None)  # a play waiting on synthesis ends now

    async def _synthesized(self, text: str, tts: Synthesizer) -> AsyncIterator[np.ndarray]:
        """The text's audio, sentence by sentence (synthesis runs on the work thread)."""
        for piece in split_for_speech(text):
            async for chunk in self.stack.iterate_on_work(lambda p=piece: tts.synthesize(p)):
                yield chunk

    async def _play(self, text: str, audio: AsyncIterator[np.ndarray], spoken: Spoken
                    ) -> None:
        """Play the chunks while later ones are still being made (synthesized, or
        received)."""
        queue: asyncio.Queue = asyncio.Queue()
        self._pieces = queue
        sink = self.sink

        async def produce() -> None:
            try:
                async for chunk in audio:
                    await queue.put(chunk)
            finally:
                await queue.put(None)

        producer = asyncio.create_task(produce())
        try:
            while (chunk := await queue.get()) is not None and not spoken.stopped:
                if not spoken.first:
                    spoken.first = time.perf_counter()
                    self.bus.publish(SpeechOutStarted(text=text))
                spoken.samples += len(chunk)
                if sink is not None:
                    await self.stack.on_playback(sink.write, chunk)
            if spoken.stopped:
                return
            await producer  # re-raise a synthesis error
            if sink is not None:
                await self.stack.on_playback(sink.drain)
        finally:
            self._pieces = None
            producer.cancel()
            self.bus.publish(SpeechOutFinished(audio_ms=spoken.audio_ms))
            if not spoken.first:
                spoken.first = time.perf_counter()
