"""Streaming recognition with the real whisper model: partial transcripts grow while
a command is spoken, committed words never change, and the final text matches an
offline decode after decoding only a short tail."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import wer

from audio.asr import AsrOptions, WhisperTranscriber
from audio.file_source import decode_file
from audio.frames import FRAME_SAMPLES
from audio.streaming_asr import StreamingOptions, StreamingTranscriber
from audio.vad import SileroVad, VadOptions
from models.store import package_dir

pytestmark = pytest.mark.slow

COMMAND = "Set a pasta timer for twelve minutes and then list my timers."


@pytest.fixture(scope="module")
def asr(speech_store) -> WhisperTranscriber:
    t = WhisperTranscriber(AsrOptions(), speech_store)
    t.warm_up()
    return t


@pytest.fixture(scope="module")
def vad(speech_store) -> SileroVad:
    return SileroVad(VadOptions(), speech_store)


def feed(st: StreamingTranscriber, vad: SileroVad, audio: np.ndarray,
         stop_partials_ms: int | None = None) -> list:
    """80 ms frames with the VAD's verdict; a partial whenever one is due."""
    vad.reset()
    partials = []
    for i in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        frame = audio[i:i + FRAME_SAMPLES]
        st.add(frame, vad.is_speech(frame))
        if st.partial_due and (stop_partials_ms is None or st.audio_ms < stop_partials_ms):
            partials.append(st.partial())
    return partials


def test_partials_grow_and_committed_text_never_changes(asr, vad, speak) -> None:
    audio = speak(COMMAND, lead_ms=300, tail_ms=400)
    st = StreamingTranscriber(asr)
    partials = feed(st, vad, audio)
    assert len(partials) >= 4
    for a, b in zip(partials, partials[1:], strict=False):
        assert b.committed.startswith(a.committed)  # committed words are never revised
        assert b.covers_ms >= a.covers_ms
    assert partials[0].committed == ""
    assert len(partials[-1].committed.split()) >= 5  # words are committed while speaking
    offline = asr.transcribe(audio)
    final = st.final()
    assert wer(offline.text, final.text) <= 0.1, (offline.text, final.text)
    assert wer(COMMAND, final.text) <= 0.2, final.text
    assert final.language == "en"


def test_final_after_partials_decodes_only_the_tail(asr, vad, speak) -> None:
    audio = speak(COMMAND, lead_ms=300, tail_ms=400)
    length_ms = len(audio) // 16
    st = StreamingTranscriber(asr, StreamingOptions(reuse_last_pass=False))
    # the person is still speaking when partials stop: the last second is the tail
    feed(st, vad, audio, stop_partials_ms=length_ms - 1400)
    assert st.committed
    final = st.final()
    assert 0 < final.tail_ms < length_ms / 2
    assert final.text.startswith(st.committed)
    assert wer(asr.transcribe(audio).text, final.text) <= 0.1, final.text


def test_a_long_recording_keeps_a_short_window(asr, vad) -> None:
    assets = package_dir("moonshine_voice")
    assert assets is not None, "moonshine-voice is a test dependency: `make test` installs it"
    audio = decode_file(assets / "assets" / "beckett.wav")
    st = StreamingTranscriber(asr, StreamingOptions(max_window_ms=4000))
    partials = feed(st, vad, audio)
    for a, b in zip(partials, partials[1:], strict=False):
        assert b.committed.startswith(a.committed)
    assert st._window_ms > 0  # audio before the window was dropped
    reference = "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better."
    assert wer(reference, st.final().text) <= 0.2


def test_bench_asr_quick_writes_json_and_png(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    from assistant.cli.context import Context
    from bench import asr as bench_asr

    out = tmp_path / "bench"
    report = bench_asr.run(Context(), out, quick=True)
    assert report == json.loads((out / "asr.json").read_text())
    assert Path(out / "asr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    s = report["summary"]
    assert s["utterances"] == len(report["rows"]) >= 4
    assert set(s["bias_wer"]) == {"none", "prompt", "hotwords"}
    window = s["window"]  # the fitted window is compared with whisper's own 30 s one
    assert window["fitted"]["window_pad_s"] > 0 and window["full_30s"]["window_pad_s"] == 0
    assert window["commands"] >= 3 and window["full_30s"]["command_decode_ms_p50"] > 0
    for row in report["rows"]:
        assert row["streaming_delay_ms"] >= row["waited_ms"] >= 0
        assert row["offline_delay_ms"] > 0
    assert len(bench_asr.summary(report)) >= 4
