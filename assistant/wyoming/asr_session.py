"""Speech recognition for one Wyoming stream: Transcribe, AudioStart, AudioChunk…,
AudioStop → Transcript. The audio is gathered as it comes and decoded once at
AudioStop by the voice stack's transcriber (whisper on a window fitted to the
utterance), on the stack's work executor."""

from __future__ import annotations

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart

from assistant.languages import LANGUAGE_CODE
from assistant.voice.stack import VoiceStack
from assistant.wyoming.audio_in import AudioIn
from assistant.wyoming.errors import RequestError


class AsrSession:
    def __init__(self, stack: VoiceStack, request: Transcribe, start: AudioStart) -> None:
        self.stack = stack
        self.language = _language(request.language)
        self.audio = AudioIn(start, stack.config.asr.max_file_s)
        self._frames: list[np.ndarray] = []

    def push(self, chunk: AudioChunk) -> None:
        self._frames.extend(f.samples for f in self.audio.push(chunk))

    async def finish(self) -> Transcript:
        """The transcript of everything heard (empty text when there was no speech)."""
        self._frames.extend(f.samples for f in self.audio.flush())
        samples = np.concatenate(self._frames) if self._frames else np.zeros(0, np.int16)
        self._frames = []
        asr = self.stack.asr
        result = await self.stack.on_work(
            lambda: asr.transcribe(samples, language=self.language))
        return Transcript(text=result.text.strip(), language=result.language or None)


def _language(code: str | None) -> str | None:
    """The client's language ("en", "de-DE") as whisper's code, None when unset; a
    multilingual model decodes in it, an English-only model ignores it."""
    if not code:
        return None
    if not LANGUAGE_CODE.fullmatch(code):
        raise RequestError("wyoming.language", f"{code!r} is not a language code",
                               "send a code such as en, de or fr, or none")
    return code.replace("_", "-").split("-")[0].lower()
