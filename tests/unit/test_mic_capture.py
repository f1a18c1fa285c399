"""Live capture's pure parts: conversion to frames, the gap clock, backoff, the stall rule."""

from __future__ import annotations

from itertools import islice

import numpy as np

from audio.capture import CaptureTiming, FrameConverter, backoff_delays, stalled
from audio.frames import FRAME_SAMPLES


def _tone(rate_hz: int, seconds: float, freq_hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return (8000 * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


def _push_in_blocks(conv: FrameConverter, audio: np.ndarray, block: int) -> list:
    chunks = []
    for start in range(0, len(audio), block):
        chunks += conv.push(audio[start:start + block])
    return chunks


def test_44k1_blocks_become_80ms_16k_frames_with_a_continuous_clock():
    conv = FrameConverter()
    conv.start(44100)
    chunks = _push_in_blocks(conv, _tone(44100, 2.0), 882)  # 20 ms blocks, as the mic does
    assert 23 <= len(chunks) <= 25  # 2 s = 25 frames, minus what the resampler holds back
    assert all(c.samples.dtype == np.int16 and len(c.samples) == FRAME_SAMPLES for c in chunks)
    assert [c.timestamp_ms for c in chunks] == [80 * i for i in range(len(chunks))]
    # The tone survives: the spectrum peaks at 440 Hz (12.5 Hz bins over one frame pair).
    audio = np.concatenate([c.samples for c in chunks[5:15]]).astype(float)
    peak_hz = np.argmax(np.abs(np.fft.rfft(audio))) * 16000 / len(audio)
    assert abs(peak_hz - 440) < 15


def test_a_gap_advances_the_clock_in_whole_frames_and_a_new_rate_is_taken():
    conv = FrameConverter()
    conv.start(16000)
    first = _push_in_blocks(conv, _tone(16000, 0.8), 320)
    assert first[-1].timestamp_ms == 720
    conv.skip(1.0)  # e.g. muted for a second
    conv.start(48000)  # the device came back at another rate
    after = _push_in_blocks(conv, _tone(48000, 0.8), 960)
    assert after[0].timestamp_ms == 800 + 960  # 1 s = 12.5 frames, rounded down
    assert all(b.timestamp_ms - a.timestamp_ms == 80 for a, b in zip(after, after[1:],
                                                                     strict=False))


def test_a_gap_shorter_than_a_frame_does_not_move_the_clock():
    conv = FrameConverter()
    conv.skip(0.05)
    conv.skip(-1.0)
    assert conv.next_timestamp_ms == 0


def test_backoff_doubles_and_is_capped():
    assert list(islice(backoff_delays(0.5, 4.0), 7)) == [0.5, 1, 2, 4, 4, 4, 4]


def test_a_stream_is_stalled_only_after_startup_or_a_silence_longer_than_allowed():
    timing = CaptureTiming(startup_s=5.0, stall_s=1.5)
    assert not stalled(timing, now_s=104.0, opened_at_s=100.0, last_block_at_s=None)
    assert stalled(timing, now_s=105.5, opened_at_s=100.0, last_block_at_s=None)
    assert not stalled(timing, now_s=107.0, opened_at_s=100.0, last_block_at_s=106.0)
    assert stalled(timing, now_s=107.6, opened_at_s=100.0, last_block_at_s=106.0)
