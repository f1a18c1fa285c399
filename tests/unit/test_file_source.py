"""Decoding audio files of any format/rate/channels, and pacing frames like a mic."""

from __future__ import annotations

import asyncio
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from audio import file_source
from audio.errors import AudioError
from audio.file_source import decode_file, iter_frames, stream_frames
from audio.frames import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE_HZ, AudioChunk


def tone(rate_hz: int, seconds: float, freq_hz: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    mono = (np.sin(2 * np.pi * freq_hz * t) * 12000).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)  # (n, channels)


def write_wav(path: Path, samples: np.ndarray, rate_hz: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(samples.astype("<i2").tobytes())
    return path


def write_mp3(path: Path, samples: np.ndarray, rate_hz: int) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mp3", rate=rate_hz, layout="stereo")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = rate_hz
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float32)))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE_HZ)[spectrum.argmax()])


def assert_converted(samples: np.ndarray, seconds: float) -> None:
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert abs(len(samples) - seconds * SAMPLE_RATE_HZ) < 0.06 * SAMPLE_RATE_HZ
    assert abs(peak_hz(samples) - 440) < 5
    assert 8000 < np.abs(samples).max() <= 32767


def test_wav_44k_stereo_is_converted(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", tone(44100, 1.5, channels=2), 44100)
    assert_converted(decode_file(path), 1.5)


def test_flac_made_with_sox_is_converted(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "a.wav", tone(48000, 1.0, channels=2), 48000)
    flac = tmp_path / "a.flac"
    subprocess.run(["sox", str(wav), str(flac)], check=True)
    assert_converted(decode_file(flac), 1.0)


def test_mp3_is_converted(tmp_path: Path) -> None:
    path = write_mp3(tmp_path / "a.mp3", tone(44100, 1.0, channels=2), 44100)
    assert_converted(decode_file(path), 1.0)


def test_16k_mono_wav_is_kept_sample_exact(tmp_path: Path) -> None:
    samples = tone(16000, 0.5)
    decoded = decode_file(write_wav(tmp_path / "a.wav", samples, 16000))
    np.testing.assert_array_equal(decoded, samples[:, 0])


def test_text_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 50)
    with pytest.raises(AudioError) as err:
        decode_file(path)
    assert err.value.code == "audio.unreadable"
    assert "not an audio file we can decode" in err.value.message
    assert err.value.hint and err.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as err:
        decode_file(tmp_path / "nope.wav")
    assert err.value.code == "audio.not_found"


def test_wav_without_samples_is_empty(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "empty.wav", np.zeros((0, 1), np.int16), 16000)
    with pytest.raises(AudioError) as err:
        decode_file(path)
    assert err.value.code == "audio.empty"


def test_iter_frames_pads_the_last_frame() -> None:
    samples = np.arange(3000, dtype=np.int16)
    frames = list(iter_frames(samples))
    assert [f.timestamp_ms for f in frames] == [0, 80, 160]
    assert all(len(f.samples) == FRAME_SAMPLES and f.samples.dtype == np.int16 for f in frames)
    np.testing.assert_array_equal(np.concatenate([f.samples for f in frames])[:3000], samples)
    assert not frames[-1].samples[3000 - 2 * FRAME_SAMPLES:].any()
    assert list(iter_frames(np.zeros(0, np.int16))) == []


async def _collect(samples: np.ndarray, realtime: bool) -> tuple[list[AudioChunk], list[float]]:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    chunks, times = [], []
    async for chunk in stream_frames(samples, realtime):
        chunks.append(chunk)
        times.append(loop.time() - t0)
    return chunks, times


def test_realtime_follows_an_absolute_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sleep oversleeps by 30 ms; an absolute schedule absorbs it (no drift)."""
    clock = [0.0]
    real_sleep = asyncio.sleep

    async def late_sleep(delay: float) -> None:
        clock[0] += delay + 0.030
        await real_sleep(0)

    async def main() -> tuple[list[AudioChunk], list[float]]:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: clock[0])
        monkeypatch.setattr(file_source.asyncio, "sleep", late_sleep)
        return await _collect(np.zeros(FRAME_SAMPLES * 50, np.int16), realtime=True)

    chunks, times = asyncio.run(main())
    assert len(chunks) == 50
    for n, at in enumerate(times):
        # frame n is due when its audio has been "captured": (n + 1) * 80 ms
        assert (n + 1) * 0.080 <= at <= (n + 1) * 0.080 + 0.031
    assert times[-1] == pytest.approx(50 * 0.080 + 0.030)  # not 50 * 0.030 of drift


def test_realtime_paces_at_1x_on_the_real_clock() -> None:
    chunks, times = asyncio.run(_collect(np.zeros(FRAME_SAMPLES * 10, np.int16), True))
    assert len(chunks) == 10
    for n, at in enumerate(times):
        assert at >= (n + 1) * FRAME_MS / 1000 - 0.005  # never early
    assert times[-1] < 10 * FRAME_MS / 1000 + 0.5  # and not slowed down


def test_fast_mode_does_not_wait_but_lets_the_loop_run() -> None:
    async def main() -> tuple[int, list[float]]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        _, times = await _collect(np.zeros(SAMPLE_RATE_HZ * 60, np.int16), realtime=False)
        stop.set()
        await task
        return ticks, times

    ticks, times = asyncio.run(main())
    assert len(times) == 750  # 60 s of audio
    assert times[-1] < 5.0  # far faster than real time
    assert ticks >= 700  # the other task ran between frames


def write_ts(path: Path, seconds: float) -> Path:
    import av

    with av.open(str(path), "w", format="mpegts") as out:
        stream = out.add_stream("mp2", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone(16000, seconds).reshape(1, -1), format="s16",
                                           layout="mono")
        frame.sample_rate = 16000
        for packet in (*stream.encode(frame), *stream.encode(None)):
            out.mux(packet)
    return path


@pytest.mark.parametrize(("name", "text"), [
    ("list.ffconcat", "ffconcat version 1.0\nfile '{target}'\n"),
    ("list.m3u8", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
                  "#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\n{target}\n#EXT-X-ENDLIST\n"),
])
def test_playlists_that_open_other_files_are_refused(tmp_path: Path, monkeypatch,
                                                     name: str, text: str) -> None:
    # FFmpeg's concat and hls demuxers would read (or fetch) whatever the list names;
    # concat resolves a relative name from the working directory.
    monkeypatch.chdir(tmp_path)
    write_ts(tmp_path / "elsewhere.ts", 1.0)
    path = tmp_path / name
    path.write_text(text.format(target="elsewhere.ts"))
    with pytest.raises(AudioError) as err:
        decode_file(path)
    assert err.value.code == "audio.unreadable" and err.value.hint


def test_very_low_sample_rates_are_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "slow.wav", tone(1000, 1.0, freq_hz=100), 1000)
    with pytest.raises(AudioError) as err:
        decode_file(path)
    assert err.value.code == "audio.unreadable" and "1000 Hz" in err.value.message


def test_4k_wav_is_still_converted(tmp_path: Path) -> None:
    assert_converted(decode_file(write_wav(tmp_path / "a.wav", tone(4000, 1.0), 4000)), 1.0)


def test_a_frame_past_the_cap_is_refused_before_it_is_resampled(tmp_path, monkeypatch):
    import av

    resampled = []
    real = av.AudioResampler

    class Spy:
        def __init__(self, *args, **kwargs):
            self._real = real(*args, **kwargs)

        def resample(self, frame):
            resampled.append(frame)
            return self._real.resample(frame)

    monkeypatch.setattr(av, "AudioResampler", Spy)
    path = write_wav(tmp_path / "a.wav", tone(4000, 1.0), 4000)
    with pytest.raises(AudioError) as err:
        decode_file(path, max_s=0.01)  # 160 samples: less than any frame yields
    assert err.value.code == "audio.too_long"
    assert resampled == []
