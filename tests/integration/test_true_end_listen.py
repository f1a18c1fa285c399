"""`heron listen --json` times the reply from the true end of speech (the last sample at
or above -40 dBFS in the input), beside the VAD's figure: real piper speech through the
real VAD, whisper, agent and piper."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_heron, write_wav

from assistant.voice.utterance import TRUE_END_LEVEL
from audio.frames import FRAME_MS

pytestmark = pytest.mark.slow


def listen(home, wav, *extra):
    proc = run_heron(home, "listen", str(wav), "--json", "--no-wake", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def end_ms(samples: np.ndarray) -> float:
    """Where the speech in `samples` really ends: after its last sample ≥ -40 dBFS."""
    return (np.flatnonzero(np.abs(samples.astype(np.int32)) >= TRUE_END_LEVEL)[-1] + 1) / 16


def test_voice_to_voice_from_the_true_end_at_real_time_pace(tmp_path, speak):
    samples = speak("What time is it?", lead_ms=500, tail_ms=1500)
    out = listen(tmp_path, write_wav(tmp_path / "cmd.wav", samples), "--realtime")
    assert [c["tool"] for c in out["tool_calls"]] == ["get_time"]
    assert abs(out["speech"]["true_end_ms"] - end_ms(samples)) <= FRAME_MS
    assert out["speech"]["true_end_ms"] <= out["speech"]["vad_end_ms"] + FRAME_MS
    t = out["timings_ms"]
    # the VAD ends speech on whole frames, after the voice: the honest figure is longer
    assert t["voice_to_voice_true"] >= t["voice_to_voice"] > 0
    assert t["true_end_to_vad_end"] >= 0


def test_long_silence_and_quiet_noise_leave_the_true_end_where_the_voice_stops(tmp_path,
                                                                              speak):
    clean = speak("What time is it?", lead_ms=4000, tail_ms=2000)
    # room noise peaking at -46 dBFS, over the whole recording (nearer -40 dBFS it would
    # lift the voice's own fading tail over the line: a later end, rightly)
    half = TRUE_END_LEVEL // 2
    hiss = np.random.default_rng(3).integers(-half, half, clean.size)
    noisy = np.clip(clean.astype(np.int32) + hiss, -32768, 32767).astype(np.int16)
    out = listen(tmp_path, write_wav(tmp_path / "noisy.wav", noisy))
    assert [c["tool"] for c in out["tool_calls"]] == ["get_time"]
    assert abs(out["speech"]["true_end_ms"] - end_ms(clean)) <= FRAME_MS
    assert out["timings_ms"]["voice_to_voice_true"] >= out["timings_ms"]["voice_to_voice"]
