"""Speech synthesis for Wyoming clients, sentence by sentence: the first sentence's
audio goes out while the next is synthesized. Two ways in:

- Synthesize(text) → AudioStart, AudioChunk…, AudioStop;
- SynthesizeStart, SynthesizeChunk… (text as an LLM writes it), SynthesizeStop →
  the same audio stream, each sentence spoken as soon as it is complete, then
  SynthesizeStopped. Clients that stream also send a plain Synthesize for servers
  that do not; while streaming it is ignored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.tts import SynthesizeStopped, SynthesizeVoice

from assistant.voice.ports import Synthesizer
from assistant.voice.sentences import split_for_speech
from assistant.voice.stack import VoiceStack
from assistant.wyoming.errors import RequestError

Send = Callable[[Event], Awaitable[None]]
CHUNK_MS = 100  # audio per AudioChunk: small enough that playback starts at once


def choose_voice(stack: VoiceStack, voice: SynthesizeVoice | None) -> Synthesizer:
    """The synthesizer a client asked for: ours by name, or the one for a language
    (espeak-ng speaks the languages the piper voice does not); ours when unset."""
    if voice is None or (voice.name is None and voice.language is None):
        return stack.tts
    if voice.name is not None:
        if voice.name != stack.tts.name:
            raise RequestError("wyoming.unknown_voice", f"no voice named {voice.name!r}",
                               f"ask for {stack.tts.name!r} (Describe lists the voices)")
        return stack.tts
    return stack.synthesizer_for(voice.language)


class SpeechStream:
    """One audio stream out: AudioStart before the first chunk, AudioStop at close."""

    def __init__(self, stack: VoiceStack, voice: Synthesizer, send: Send,
                 lock: asyncio.Lock) -> None:
        self.stack = stack
        self.voice = voice
        self._send = send
        self._lock = lock  # piper synthesizes one text at a time, whoever asks
        self._started = False
        self._timestamp_ms = 0

    async def speak(self, text: str) -> None:
        """Synthesize `text` sentence by sentence, sending each one's audio as made."""
        for piece in split_for_speech(text):
            async with self._lock:
                async for audio in self.stack.iterate_on_work(
                        lambda p=piece: self.voice.synthesize(p)):
                    await self._audio(np.asarray(audio, dtype=np.int16))

    async def close(self) -> None:
        await self._start()  # an empty text still gets a (silent) stream
        await self._send(AudioStop(timestamp=self._timestamp_ms).event())

    async def _start(self) -> None:
        if not self._started:
            self._started = True
            await self._send(AudioStart(rate=self.voice.sample_rate_hz, width=2,
                                        channels=1, timestamp=0).event())

    async def _audio(self, samples: np.ndarray) -> None:
        await self._start()
        rate = self.voice.sample_rate_hz
        step = rate * CHUNK_MS // 1000
        for i in range(0, len(samples), step):
            part = samples[i:i + step]
            await self._send(AudioChunk(rate=rate, width=2, channels=1,
                                        audio=part.tobytes(),
                                        timestamp=self._timestamp_ms).event())
            self._timestamp_ms += len(part) * 1000 // rate


class TextStream:
    """SynthesizeStart … SynthesizeStop: text arrives in pieces; every complete
    sentence is spoken while the rest is still being written."""

    def __init__(self, out: SpeechStream) -> None:
        self.out = out
        self._pending = ""

    async def add(self, text: str) -> None:
        self._pending += text
        pieces = split_for_speech(self._pending, early_cut=False)
        if len(pieces) < 2:
            return  # no sentence is known to be complete yet
        # the last piece may still be growing: keep it (with what follows it)
        last = self._pending.rstrip().rfind(pieces[-1])
        ready, self._pending = self._pending[:last], self._pending[last:]
        await self.out.speak(ready)

    async def finish(self, send: Send) -> None:
        await self.out.speak(self._pending)
        self._pending = ""
        await self.out.close()
        await send(SynthesizeStopped().event())
