"""[tts] backend = "wyoming://HOST:PORT": the reply spoken by a Wyoming TTS server
(wyoming-piper, say), this machine's voice as the fallback.

Heron already hands the voice one sentence at a time as the reply is written, so each
sentence is one request: the first sentence plays while the server makes the next.
A sentence's audio is played only once all of it has arrived, so a server that breaks
off in the middle is replaced by the local voice for the whole sentence (no half-spoken
words). The server's audio is converted to the local voice's rate and format, so the
speaker never changes rate in the middle of a reply."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from assistant.voice.ports import Synthesizer
from assistant.wyoming.remote import RemoteFailed, RemoteStage, read_until

MAX_SENTENCE_S = 120.0  # longer "audio" for one sentence is a broken server


class RemoteSynthesizer:
    """A Synthesizer (assistant/voice/ports.py) that asks the server first."""

    def __init__(self, remote: RemoteStage, local: Synthesizer) -> None:
        self.remote = remote
        self.local = local
        self.name = f"{local.name} (or {remote.uri})"

    @property
    def sample_rate_hz(self) -> int:
        return self.local.sample_rate_hz

    @property
    def language(self) -> str:
        return self.local.language

    def warm_up(self) -> None:
        warm = getattr(self.local, "warm_up", None)
        if warm is not None:
            warm()

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        if not text.strip():
            return
        audio = self._remote(text)
        if audio is None:
            yield from self.local.synthesize(text)
        elif audio.size:
            yield audio

    def _remote(self, text: str) -> np.ndarray | None:
        rate = self.sample_rate_hz
        converter = AudioChunkConverter(rate=rate, width=2, channels=1)
        limit = int(MAX_SENTENCE_S * rate)

        async def exchange(client: AsyncTcpClient) -> np.ndarray:
            await client.write_event(Synthesize(text=text).event())
            await read_until(client, lambda e: AudioStart.is_type(e.type))
            parts: list[np.ndarray] = []
            total = 0
            while True:
                event = await read_until(client, lambda e: AudioChunk.is_type(e.type)
                                         or AudioStop.is_type(e.type))
                if AudioStop.is_type(event.type):
                    break
                chunk = converter.convert(AudioChunk.from_event(event))
                part = np.frombuffer(chunk.audio, dtype=np.int16)
                total += part.size
                if total > limit:
                    raise RemoteFailed(f"more than {MAX_SENTENCE_S:g} s of audio for one "
                                       "sentence")
                parts.append(part)
            return np.concatenate(parts) if parts else np.zeros(0, np.int16)

        return self.remote.run(exchange)
