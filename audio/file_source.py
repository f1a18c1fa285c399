"""Audio files as a frame source: decode anything PyAV reads to 16 kHz int16 mono."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np

from audio.errors import AudioError
from audio.frames import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE_HZ, AudioChunk

_FORMATS_HINT = "use a WAV, FLAC, MP3 or OGG file with an audio track"


def decode_file(path: Path | str) -> np.ndarray:
    """Decode an audio file (any rate, any channels) to 16 kHz mono int16 samples.

    Raises AudioError audio.not_found | audio.unreadable | audio.empty.
    """
    import av  # imported late: PyAV loads FFmpeg's shared libraries

    path = Path(path)
    if not path.exists():
        raise AudioError("audio.not_found", f"audio file {path} not found",
                         "check the path; relative paths start in the current directory")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError("audio.unreadable",
                                 f"{path} is not an audio file we can decode (no audio track)",
                                 _FORMATS_HINT)
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE_HZ)
            parts: list[np.ndarray] = []
            for frame in container.decode(stream):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except AudioError:
        raise
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as err:
        raise AudioError("audio.unreadable",
                         f"{path} is not an audio file we can decode ({_first_line(err)})",
                         _FORMATS_HINT) from err
    samples = np.concatenate(parts).astype(np.int16, copy=False) if parts else np.zeros(0, np.int16)
    if samples.size == 0:
        raise AudioError("audio.empty", f"{path} contains no audio samples",
                         "record or choose a file that is not empty")
    return samples


def to_internal(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Convert mono int16 samples at `rate_hz` to 16 kHz (e.g. TTS audio, for echo
    reference or tests)."""
    import av

    data = np.ascontiguousarray(np.asarray(samples, dtype=np.int16).reshape(1, -1))
    if rate_hz == SAMPLE_RATE_HZ or data.size == 0:
        return data.reshape(-1).copy()
    frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
    frame.sample_rate = rate_hz
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE_HZ)
    out = [f.to_ndarray().reshape(-1) for f in (*resampler.resample(frame),
                                               *resampler.resample(None))]
    return np.concatenate(out).astype(np.int16, copy=False)


def _first_line(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:160]


def iter_frames(samples: np.ndarray, start_ms: int = 0) -> Iterator[AudioChunk]:
    """Split int16 samples into 1280-sample frames; the last one is zero-padded."""
    samples = np.asarray(samples)
    for n, begin in enumerate(range(0, len(samples), FRAME_SAMPLES)):
        frame = samples[begin:begin + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.concatenate([frame, np.zeros(FRAME_SAMPLES - len(frame), np.int16)])
        yield AudioChunk(frame.astype(np.int16, copy=False), start_ms + n * FRAME_MS)


async def stream_frames(samples: np.ndarray, realtime: bool) -> AsyncIterator[AudioChunk]:
    """Yield frames like a microphone would. With `realtime`, frame n is yielded at
    t0 + (n + 1) * 80 ms (when its last sample would have been captured) on an absolute
    schedule, so pacing never drifts; otherwise as fast as possible, yielding to the loop
    between frames."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for n, chunk in enumerate(iter_frames(samples)):
        if realtime:
            delay = t0 + (n + 1) * FRAME_MS / 1000 - loop.time()
            await asyncio.sleep(max(delay, 0.0))
        else:
            await asyncio.sleep(0)
        yield chunk
