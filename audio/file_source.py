"""Audio files as a frame source: decode anything PyAV reads to 16 kHz int16 mono."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from audio.errors import AudioError
from audio.frames import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE_HZ, AudioChunk
from models.regular_file import NotRegularFile, open_regular

_FORMATS_HINT = "use a WAV, FLAC, MP3 or OGG file with an audio track"
# Demuxers for single audio files. Others are refused before they read their header:
# playlist and list formats (hls, concat, …) open further files and URLs named inside.
_DEMUXERS = ("wav", "w64", "flac", "mp3", "ogg", "matroska", "webm", "mov", "mp4", "m4a",
             "aiff", "aac", "caf")
# Below this a file is not speech we can use, and upsampling tiny rates to 16 kHz
# multiplies each decoded frame by thousands before the length cap can see it.
MIN_RATE_HZ = 4000
# The longest file decoded by default (AsrOptions.max_file_s): 10 minutes of 16 kHz
# int16 is 19 MB, so a file claiming (or holding) hours is refused, not decoded.
MAX_FILE_S = 600.0


def decode_file(path: Path | str, max_s: float = MAX_FILE_S) -> np.ndarray:
    """Decode an audio file (any rate, any channels) to 16 kHz mono int16 samples,
    frame by frame, stopping past `max_s` seconds: a small file can hold hours of
    silence (FLAC compresses it to almost nothing), so memory is bounded by `max_s`,
    never by what the file claims.

    Raises AudioError audio.not_found | audio.not_a_file | audio.unreadable |
    audio.empty | audio.too_long.
    """
    import av  # imported late: PyAV loads FFmpeg's shared libraries

    path = Path(path)
    limit = int(max_s * SAMPLE_RATE_HZ)
    with _open_regular(path) as fh:
        try:
            # format_whitelist: FFmpeg refuses other demuxers before read_header runs.
            with av.open(fh, mode="r",
                         container_options={"format_whitelist": ",".join(_DEMUXERS)}
                         ) as container:
                if not set(container.format.name.split(",")) & set(_DEMUXERS):
                    raise AudioError("audio.unreadable",
                                     f"{path} is a {container.format.name} file, not an "
                                     "audio file we decode", _FORMATS_HINT)
                if not container.streams.audio:
                    raise AudioError("audio.unreadable",
                                     f"{path} is not an audio file we can decode "
                                     "(no audio track)", _FORMATS_HINT)
                stream = container.streams.audio[0]
                claimed_s = _claimed_duration_s(container, stream)
                if claimed_s is not None and claimed_s > max_s + 1:
                    raise _too_long(path, max_s, claimed_s)
                parts = _decode_capped(container, stream, limit, path, max_s)
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


def _decode_capped(container, stream, limit: int, path: Path, max_s: float
                   ) -> list[np.ndarray]:
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE_HZ)
    parts: list[np.ndarray] = []
    total = 0

    def keep(frames) -> None:
        nonlocal total
        for f in frames:
            part = f.to_ndarray().reshape(-1)
            total += part.size
            if total > limit:  # the header lied or had no duration: stop decoding here
                raise _too_long(path, max_s, None)
            parts.append(part)

    for frame in container.decode(stream):
        if not frame.sample_rate or frame.sample_rate < MIN_RATE_HZ:
            raise AudioError("audio.unreadable",
                             f"{path} is sampled at {frame.sample_rate} Hz; at least "
                             f"{MIN_RATE_HZ} Hz is needed", _FORMATS_HINT)
        # The resampler builds its whole output at once: refuse before, not after.
        if total + frame.samples * SAMPLE_RATE_HZ // frame.sample_rate > limit:
            raise _too_long(path, max_s, None)
        keep(resampler.resample(frame))
    keep(resampler.resample(None))
    return parts


def _claimed_duration_s(container, stream) -> float | None:
    """The duration the file's header states, if any (only a shortcut: decoding still
    counts samples, since a header can lie)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


def _too_long(path: Path, max_s: float, claimed_s: float | None) -> AudioError:
    length = f" ({claimed_s:.0f} s)" if claimed_s is not None else ""
    return AudioError("audio.too_long",
                      f"{path} is longer than {max_s:g} s{length}",
                      "cut it into shorter pieces, or raise [asr] max_file_s in config.toml")


@contextlib.contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO]:
    """Open `path` for reading only if it is a regular file (models.regular_file)."""
    try:
        fh, _ = open_regular(path)
    except FileNotFoundError as err:
        raise AudioError("audio.not_found", f"audio file {path} not found",
                         "check the path; relative paths start in the current directory"
                         ) from err
    except NotRegularFile as err:
        raise AudioError("audio.not_a_file",
                         f"{path} is not a regular file ({_kind(err.mode)})",
                         "give the path of an audio file (WAV, FLAC, MP3 or OGG)") from None
    except OSError as err:
        raise AudioError("audio.unreadable", f"cannot open {path}: {err.strerror or err}",
                         "check the file exists and that you may read it") from err
    with fh:
        yield fh


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


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
