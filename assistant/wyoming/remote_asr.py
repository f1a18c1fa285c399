"""[asr] backend = "wyoming://HOST:PORT": speech recognition by a Wyoming ASR server
(wyoming-faster-whisper on a GPU box, say), this machine's whisper as the fallback.

A Wyoming server gives one text, without the other hypotheses, prompt or hot words
Heron's own decoder takes (`n_best`, `accept`, `initial_prompt`, `hotwords` are
ignored for it: the understanding still checks that text). Partial transcripts while
the user speaks need word times, which the protocol does not carry: those are decoded
locally."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient

from assistant.voice.ports import Transcriber
from assistant.wyoming.remote import RemoteStage, read_until
from audio.asr import AsrResult
from audio.frames import SAMPLE_RATE_HZ

CHUNK_SAMPLES = 1024  # as the Wyoming satellites send it (64 ms at 16 kHz)


class RemoteTranscriber:
    """A Transcriber (assistant/voice/ports.py) that asks the server first."""

    def __init__(self, remote: RemoteStage, local: Transcriber, language: str = "") -> None:
        self.remote = remote
        self.local = local
        self.language = language  # "" or "auto": the server detects it

    def warm_up(self) -> None:
        """The fallback is warmed: when the server fails, the local model answers at
        once. The server is not asked here (starting Heron never waits on it)."""
        warm = getattr(self.local, "warm_up", None)
        if warm is not None:
            warm()

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None = None, *,
                   word_timestamps: bool = False, hotwords: str | None = None,
                   language: str | None = None, full_window: bool = False,
                   n_best: int = 0, accept: Callable[[str], bool] | None = None,
                   n_best_prompt: str | Callable[[str], str] | None = None) -> AsrResult:
        if not word_timestamps:
            result = self._remote(samples, language)
            if result is not None:
                return result
        return self.local.transcribe(
            samples, initial_prompt, word_timestamps=word_timestamps, hotwords=hotwords,
            language=language, full_window=full_window, n_best=n_best, accept=accept,
            n_best_prompt=n_best_prompt)

    def _remote(self, samples: np.ndarray, language: str | None) -> AsrResult | None:
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        wanted = language or (self.language if self.language not in ("", "auto") else None)
        t0 = time.perf_counter()

        async def exchange(client: AsyncTcpClient) -> str:
            await client.write_event(Transcribe(language=wanted).event())
            await client.write_event(AudioStart(SAMPLE_RATE_HZ, 2, 1).event())
            for i in range(0, len(pcm), CHUNK_SAMPLES):
                await client.write_event(AudioChunk(
                    SAMPLE_RATE_HZ, 2, 1, pcm[i:i + CHUNK_SAMPLES].tobytes()).event())
            await client.write_event(AudioStop().event())
            event = await read_until(client, lambda e: Transcript.is_type(e.type))
            return Transcript.from_event(event).text or ""

        text = self.remote.run(exchange)
        if text is None:
            return None
        return AsrResult(text=text.strip(), language=wanted or "", language_probability=1.0,
                         audio_ms=round(len(pcm) * 1000 / SAMPLE_RATE_HZ),
                         decode_ms=round((time.perf_counter() - t0) * 1000))
