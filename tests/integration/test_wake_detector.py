"""The pipeline's wake detector on real models: several words on one feature stream,
patience and cooldown inside `step`, its decision saying which word fired; and the
benchmark's quick mode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audio.file_source import iter_frames
from audio.wake import WakeOptions, WakeTuning, WakeWordDetector
from models.store import ModelStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("wake") / "models")


def run(detector: WakeWordDetector, audio: np.ndarray) -> list[tuple[int, str, float]]:
    """(frame, name, score) for every frame in which a word fired, as the pipeline
    reads the detector's decisions."""
    out = []
    for i, chunk in enumerate(iter_frames(audio)):
        decision = detector.step(chunk.samples)
        if decision.fired is not None:
            assert detector.name == decision.fired
            out.append((i, decision.fired, decision.score))
    return out


@pytest.mark.slow
def test_two_words_at_once_name_the_one_that_fired(store, speak) -> None:
    detector = WakeWordDetector(WakeOptions(models=("hey_jarvis", "alexa"), engines=("oww",)),
                                store)
    assert detector.name == "hey_jarvis" and detector.threshold == 0.5
    jarvis = run(detector, speak("Hey Jarvis."))
    assert [name for _, name, _ in jarvis] == ["hey_jarvis"]  # once: the cooldown holds
    detector.reset()
    alexa = run(detector, speak("Alexa."))
    assert [name for _, name, _ in alexa] == ["alexa"]
    detector.reset()
    assert run(detector, speak("What is the weather like today?")) == []


@pytest.mark.slow
def test_patience_and_cooldown_act_inside_the_detector(store, speak) -> None:
    audio = speak("Hey Jarvis.", lead_ms=1000, tail_ms=500)
    no_cooldown = WakeWordDetector(WakeOptions(model="hey_jarvis", cooldown_ms=0), store)
    every = run(no_cooldown, audio)
    assert len(every) >= 2  # the score stays high for several frames
    patient = WakeWordDetector(WakeOptions(model="hey_jarvis", patience=2, cooldown_ms=0),
                               store)
    first_patient = run(patient, audio)[0][0]
    assert first_patient == every[0][0] + 1  # one frame later
    never = WakeWordDetector(WakeOptions(model="hey_jarvis", models=("hey_jarvis", "alexa"),
                                         tuning={"hey_jarvis": WakeTuning(patience=50)}), store)
    assert run(never, audio) == []
    twice = np.concatenate([audio, audio])
    cooled = WakeWordDetector(WakeOptions(model="hey_jarvis", cooldown_ms=1000), store)
    assert len(run(cooled, twice)) == 2  # 2.9 s apart: both count


@pytest.mark.slow
def test_quick_wake_benchmark_writes_its_report(tmp_path, monkeypatch) -> None:
    from assistant.cli.context import Context
    from bench import wake

    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    report = wake.run(Context(), tmp_path / "out", quick=True)
    saved = json.loads((tmp_path / "out" / "wake.json").read_text())
    assert saved["summary"] == report["summary"]
    assert (tmp_path / "out" / "wake.png").stat().st_size > 10_000
    s = report["summary"]
    assert s["positives"] >= 4 and s["negative_hours"] > 0.03
    assert 0 < s["cpu_ms_per_frame_median"] < 20
    assert any(line.startswith("  false accepts") for line in wake.summary(report))
    # the threshold is judged on clips it was not chosen on
    assert s["judged_on"] == "held_out"
    assert {r["set"] for r in report["rows"]} == {"dev", "held_out", "stress"}
    dev_voices = {r["voice"] for r in report["rows"] if r["set"] == "dev"}
    held_voices = {r["voice"] for r in report["rows"] if r["set"] == "held_out"}
    assert dev_voices & held_voices <= {"piper joe"}
    assert s["held_out"]["negative_hours"] > 0.03
    assert "scores" not in report["rows"][0]
