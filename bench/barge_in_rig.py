"""The barge-in benchmark's rig: `Ears` keeps reading the room's microphone, a
`TimedSpeaker` notes when Heron's speaker is told to stop (the decision), and the
user's voice is an espeak-ng clip played as loud as Heron's own."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from audio.file_source import decode_file
from audio.frames import AudioChunk
from audio.mic import MicSource
from audio.sink import ReplySpeaker

USER_VOICE, USER_WPM = "en+m7", 160  # espeak-ng: not Heron's voice, and it wakes hey_jarvis


class Ears:
    """Reads the microphone all the time, so MicSource never holds stale audio; frames
    go to the pipeline only between `listen()` and `mute()`."""

    def __init__(self, mic: MicSource) -> None:
        self.mic = mic
        self._queue: asyncio.Queue[AudioChunk] | None = None

    async def run(self) -> None:
        async for frame in self.mic:
            if self._queue is not None:
                self._queue.put_nowait(frame)

    def listen(self) -> AsyncIterator[AudioChunk]:
        queue = self._queue = asyncio.Queue()

        async def frames() -> AsyncIterator[AudioChunk]:
            while True:
                yield await queue.get()

        return frames()

    def mute(self) -> None:
        self._queue = None


class TimedSpeaker:
    """The real ReplySpeaker, noting when it is told to stop: `_speak` has the speech
    output stop it in the loop step in which barge_in.watch() returned, so that is the
    decision."""

    def __init__(self, speaker: ReplySpeaker) -> None:
        self.speaker = speaker
        self.rate_hz = speaker.rate_hz
        self.stop_called_at: float | None = None
        self.stop_returned_at: float | None = None

    def __getattr__(self, name: str):
        return getattr(self.speaker, name)  # write, drain, close: the speaker's own

    def stop(self) -> None:
        self.stop_called_at = time.monotonic()
        self.speaker.stop()
        self.stop_returned_at = time.monotonic()


def user_clip(text: str, folder: Path) -> np.ndarray:
    """`text` by espeak-ng (cached as a WAV in `folder`), 16 kHz, trimmed so that sample
    0 is the first at ≥ 1 % of the peak: the onset the benchmark times from."""
    key = hashlib.sha256(f"{USER_VOICE} {USER_WPM} {text}".encode()).hexdigest()[:12]
    path = folder / f"user-{key}.wav"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["espeak-ng", "-v", USER_VOICE, "-s", str(USER_WPM), "-w", str(path),
                        text], check=True, capture_output=True)
    audio = decode_file(path)
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= 0.01 * np.abs(audio).max())
    return audio[loud[0]:loud[-1] + 1]


def active_rms(samples: np.ndarray) -> float:
    """The RMS of the 20 ms stretches within 20 dB of the loudest: speech, not pauses."""
    x = samples.astype(np.float64)
    rms = np.sqrt((x[: len(x) // 320 * 320].reshape(-1, 320) ** 2).mean(axis=1))
    return float(np.sqrt((rms[rms > 0.1 * rms.max()] ** 2).mean())) if len(rms) else 0.0


def at_rms(clip: np.ndarray, rms: float) -> np.ndarray:
    gain = rms / max(active_rms(clip), 1.0)
    return np.clip(clip.astype(np.float64) * gain, -32768, 32767).astype(np.int16)
