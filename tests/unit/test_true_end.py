"""The true end of speech (the last sample at or above -40 dBFS), timed to the sample
from the frames' arrival, whatever the VAD made of it (assistant/voice/utterance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.voice.utterance import TRUE_END_LEVEL, Utterance
from audio.file_source import iter_frames
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ

PRE_ROLL_MS = 400
T0 = 1000.0  # perf_counter of the stream's start, in these tests


def heard(samples: np.ndarray, start_ms: int, vad_end_ms: int) -> Utterance:
    """An utterance that received `samples` at 1x pace (frame n arrived when its last
    sample was captured), with the VAD's start and end as given."""
    utt = Utterance(PRE_ROLL_MS)
    for n, chunk in enumerate(iter_frames(samples)):
        utt.add(chunk, voiced=start_ms <= n * FRAME_MS < vad_end_ms,
                arrival=T0 + (n + 1) * FRAME_MS / 1000)
    utt.start_ms = start_ms
    utt.finish(vad_end_ms)
    return utt


def speech_like(lead_ms: int, speech_ms: int, tail_ms: int, seed: int = 1) -> np.ndarray:
    """Silence, a loud voiced stretch that fades out (a vowel trailing off), silence."""
    rng = np.random.default_rng(seed)
    t = np.arange(speech_ms * 16) / SAMPLE_RATE_HZ
    fade = np.linspace(1.0, 0.02, t.size)  # ends well below -40 dBFS, as a voice does
    voice = (8000 * fade * np.sin(2 * np.pi * 180 * t) * (1 + 0.2 * rng.standard_normal(t.size)))
    pad = lambda ms: np.zeros(ms * 16)  # noqa: E731
    return np.clip(np.concatenate([pad(lead_ms), voice, pad(tail_ms)]), -32768, 32767
                   ).astype(np.int16)


def last_loud_sample(samples: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(samples.astype(np.int32)) >= TRUE_END_LEVEL)[-1])


@pytest.mark.parametrize("lead_ms", [500, 4000])  # short and long silence before speech
def test_true_end_is_the_last_sample_above_minus_40_dbfs(lead_ms):
    samples = speech_like(lead_ms, 1300, 1500)
    k = last_loud_sample(samples)
    assert lead_ms * 16 + 1000 * 16 < k < (lead_ms + 1300) * 16  # the fade ends it early
    # the VAD framed it late: its last voiced frame ends at the next frame boundary + one
    vad_end_ms = ((k // 16) // FRAME_MS + 2) * FRAME_MS
    utt = heard(samples, start_ms=lead_ms, vad_end_ms=vad_end_ms)
    assert utt.true_end_ms == pytest.approx((k + 1) * 1000 / SAMPLE_RATE_HZ)
    # timed to the sample: captured (k + 1) / 16 kHz after the stream began
    assert utt.true_end_wall == pytest.approx(T0 + (k + 1) / SAMPLE_RATE_HZ)
    assert utt.positions_ms() == {"start_ms": float(lead_ms), "vad_end_ms": float(vad_end_ms),
                                  "true_end_ms": round((k + 1) / 16, 1)}
    first_audio = T0 + vad_end_ms / 1000 + 0.300  # the reply began 300 ms after the VAD end
    t = utt.true_end_timings(first_audio)
    assert t["voice_to_voice_true"] == pytest.approx((first_audio - utt.true_end_wall) * 1000,
                                                     abs=0.1)
    assert t["true_end_to_vad_end"] == pytest.approx((utt.end_wall - utt.true_end_wall) * 1000,
                                                     abs=0.1)
    assert t["true_end_to_vad_end"] > 0  # the VAD's end is later than the voice's


def test_noise_below_minus_40_dbfs_does_not_move_it():
    clean = speech_like(500, 1300, 1500)
    k = last_loud_sample(clean)
    quiet = np.random.default_rng(7).integers(-TRUE_END_LEVEL + 1, TRUE_END_LEVEL,
                                              clean.size)  # -40.1 dBFS peaks, everywhere
    noisy = np.where(np.arange(clean.size) > k, quiet, clean).astype(np.int16)
    vad_end_ms = ((k // 16) // FRAME_MS + 2) * FRAME_MS
    assert heard(noisy, 500, vad_end_ms).true_end_ms == heard(clean, 500, vad_end_ms).true_end_ms


def test_a_sound_above_minus_40_dbfs_after_the_voice_moves_it():
    samples = speech_like(500, 1300, 1500)
    click = 500 * 16 + 1600 * 16  # 300 ms after the speech, before the endpoint
    samples[click] = 2 * TRUE_END_LEVEL
    utt = heard(samples, 500, 1840)  # the endpoint is decided later, at the clip end
    assert utt.true_end_ms == pytest.approx((click + 1) / 16)
    assert utt.true_end_timings(T0 + 3.0)["true_end_to_vad_end"] < 0  # past the VAD's end


def test_nothing_that_loud_gives_no_true_end():
    whisper = (speech_like(500, 1300, 1500).astype(np.int32) // 100).astype(np.int16)
    utt = heard(whisper, 500, 1900)
    assert utt.true_end_ms is None
    assert utt.positions_ms()["true_end_ms"] is None
    assert utt.true_end_timings(T0 + 3.0) == {}


def test_audio_after_the_endpoint_is_not_looked_at():
    samples = speech_like(500, 1300, 1500)
    k = last_loud_sample(samples)
    endpoint_frames = (k // 16) // FRAME_MS + 3
    later = samples.copy()
    later[endpoint_frames * FRAME_MS * 16 + 100:] = 5000  # the user speaks again, later
    utt = Utterance(PRE_ROLL_MS)
    for n, chunk in enumerate(iter_frames(later)):
        if n == endpoint_frames:
            break  # the endpoint was decided: the listener stops reading
        utt.add(chunk, voiced=500 <= n * FRAME_MS, arrival=T0 + (n + 1) * FRAME_MS / 1000)
    utt.start_ms = 500
    utt.finish((endpoint_frames - 1) * FRAME_MS)
    assert utt.true_end_ms == pytest.approx((k + 1) / 16)
