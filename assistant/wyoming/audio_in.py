"""Audio from a Wyoming client in Heron's one format (16 kHz, int16, mono, 80 ms
frames). A client says its format in each chunk; the sample width and channel count
are converted here with the wyoming package's converter, the rate by the same
FrameConverter live capture uses (audio/capture.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart

from assistant.wyoming.errors import RequestError
from audio.capture import FrameConverter
from audio.frames import FRAME_MS
from audio.frames import AudioChunk as Frame

MIN_RATE_HZ, MAX_RATE_HZ = 4000, 192_000  # below: not speech we can use; above: no device
WIDTHS = (1, 2, 3, 4)  # bytes per sample the converter knows
MAX_CHANNELS = 8


@dataclass(frozen=True)
class StreamFormat:
    rate_hz: int
    width_bytes: int
    channels: int

    @classmethod
    def of(cls, event: AudioStart | AudioChunk) -> StreamFormat:
        fmt = cls(event.rate, event.width, event.channels)
        fmt.check()
        return fmt

    def check(self) -> None:
        ok = (isinstance(self.rate_hz, int) and MIN_RATE_HZ <= self.rate_hz <= MAX_RATE_HZ
              and self.width_bytes in WIDTHS
              and isinstance(self.channels, int) and 1 <= self.channels <= MAX_CHANNELS)
        if not ok:
            raise RequestError(
                "wyoming.audio_format",
                f"unusable audio format: rate {self.rate_hz!r} Hz, width "
                f"{self.width_bytes!r} bytes, {self.channels!r} channels",
                f"send PCM at {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz, 1-4 bytes per sample, "
                f"1-{MAX_CHANNELS} channels (16000 Hz, 2 bytes, mono needs no conversion)")


class AudioIn:
    """One audio stream (AudioStart … AudioStop) turned into Heron frames."""

    def __init__(self, start: AudioStart, max_s: float) -> None:
        self.format = StreamFormat.of(start)
        self.start_ms = start.timestamp or 0
        self._to_16bit_mono = AudioChunkConverter(width=2, channels=1)
        self._frames = FrameConverter()
        self._frames.start(self.format.rate_hz)
        self._max_s = max_s
        self._taken_s = 0.0

    def push(self, chunk: AudioChunk) -> list[Frame]:
        """The whole frames this chunk completes (the remainder waits for the next)."""
        fmt = StreamFormat.of(chunk)
        if fmt.rate_hz != self.format.rate_hz:
            # the resampler is per stream; a client switching rate midway is a bug
            raise RequestError(
                "wyoming.audio_format",
                f"the stream started at {self.format.rate_hz} Hz but a chunk is "
                f"{fmt.rate_hz} Hz", "send one rate per AudioStart … AudioStop")
        if len(chunk.audio) % (fmt.width_bytes * fmt.channels):
            raise RequestError(
                "wyoming.audio_torn",
                f"an audio chunk of {len(chunk.audio)} bytes does not hold whole samples "
                f"of {fmt.width_bytes} bytes x {fmt.channels} channels",
                "send whole samples in every chunk")
        self._taken_s += len(chunk.audio) / (fmt.width_bytes * fmt.channels * fmt.rate_hz)
        if self._taken_s > self._max_s:
            raise RequestError(
                "wyoming.audio_too_long", f"the audio stream is longer than {self._max_s:g} s",
                "send shorter streams (an AudioStop ends one), or raise [asr] max_file_s")
        mono = self._to_16bit_mono.convert(chunk)
        return self._frames.push(np.frombuffer(mono.audio, dtype=np.int16))

    def flush(self) -> list[Frame]:
        """The last partial frame, completed with silence (at AudioStop)."""
        pad = np.zeros(self.format.rate_hz * FRAME_MS // 1000, np.int16)
        return self._frames.push(pad)

    def timestamp_ms(self, frame: Frame) -> int:
        """When `frame` ends, on the client's clock (its AudioStart timestamp + audio)."""
        return self.start_ms + frame.timestamp_ms + frame.duration_ms
