"""microWakeWord beside openWakeWord on real models: "okay Nabu" (the default) wakes
through both engines and their fusion, other speech does not; the new model files match
the catalog; a word an engine lacks is a coded error."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import espeak_wav, run_heron

from audio.file_source import decode_file, iter_frames
from audio.wake import MicroWakeEngine, WakeOptions, WakeWordDetector
from models.catalog import get_spec, specs_for_role
from models.errors import ModelError
from models.store import ModelStore

NEW_IDS = ("okay_nabu", "micro-okay_nabu", "micro-hey_jarvis", "micro-alexa",
           "micro-hey_mycroft", "smart-turn-v3.2")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("wake-engines") / "models")


def micro_scores(engine: MicroWakeEngine, audio: np.ndarray) -> np.ndarray:
    return np.array([engine.process(c.samples) for c in iter_frames(audio)])


def fired(detector: WakeWordDetector, audio: np.ndarray) -> list:
    detector.reset()
    return [d for d in (detector.step(c.samples) for c in iter_frames(audio)) if d.fired]


def test_new_model_files_match_the_catalog(store: ModelStore) -> None:
    for model_id in NEW_IDS:
        check = store.verify(get_spec(model_id))
        assert check.ok, check.to_dict()
    assert {s.id for s in specs_for_role("wake-micro")} == set(NEW_IDS[1:5])
    assert "Apache-2.0" in get_spec("okay_nabu").licence


@pytest.mark.slow
def test_micro_engine_hears_okay_nabu_in_two_voices_and_not_other_speech(
        store: ModelStore, speak, tmp_path) -> None:
    engine = MicroWakeEngine("okay_nabu", store)
    assert engine.cutoff == 0.85  # the model author's own threshold, from its .json
    piper = micro_scores(engine, speak("Okay Nabu."))
    engine.reset()
    robot = np.concatenate([np.zeros(16000, np.int16), decode_file(
        espeak_wav(tmp_path / "nabu.wav", "Okay Nabu.", "en-gb", 150))])
    espeak = micro_scores(engine, robot)
    engine.reset()
    other = micro_scores(engine, np.concatenate(
        [speak("What is the weather like today?"), speak("Set a timer for five minutes.")]))
    assert piper.max() >= engine.cutoff and espeak.max() >= engine.cutoff
    assert other.max() < 0.5


@pytest.mark.slow
def test_default_detector_fuses_both_engines_on_okay_nabu(store: ModelStore, speak) -> None:
    detector = WakeWordDetector(WakeOptions(), store)
    assert detector.name == "okay_nabu"
    detector.reset()
    steps = [detector.step(c.samples) for c in iter_frames(speak("Okay Nabu. What time is it?"))]
    assert [d.fired for d in steps if d.fired] == ["okay_nabu"]
    assert all(set(d.engine_scores["okay_nabu"]) == {"micro", "oww"} for d in steps)
    for engine in ("micro", "oww"):  # each engine on its own hears the word too
        assert max(d.engine_scores["okay_nabu"][engine] for d in steps) > 0.5
    assert fired(detector, speak("Hey Jarvis. What is the weather like today?")) == []
    micro_only = WakeWordDetector(WakeOptions(engines=("micro",)), store)
    hits = fired(micro_only, speak("Okay Nabu."))
    assert [set(d.engine_scores["okay_nabu"]) for d in hits] == [{"micro"}]
    assert micro_only.features is None  # no openWakeWord features computed at all


@pytest.mark.slow
def test_quiet_room_keeps_microwakeword_streaming(store: ModelStore, speak) -> None:
    """Scoring is skipped in a quiet room, but the word right after it still wakes."""
    detector = WakeWordDetector(WakeOptions(), store)
    audio = np.concatenate([np.zeros(16000 * 6, np.int16), speak("Okay Nabu.")])
    assert [d.fired for d in fired(detector, audio)] == ["okay_nabu"]
    assert detector.skipped_frames > 40


def test_a_word_an_engine_lacks_is_a_coded_error(store: ModelStore) -> None:
    with pytest.raises(ModelError) as err:
        MicroWakeEngine("hey_rhasspy", store)
    assert err.value.code == "wake.engine_lacks_word" and "engines" in err.value.hint


@pytest.mark.slow
def test_cli_lists_licences_and_tests_a_file_with_both_engines(tmp_path, speak) -> None:
    from helpers import write_wav

    models = json.loads(run_heron(tmp_path, "models", "list", "--json").stdout)
    by_id = {m["id"]: m for m in models}
    assert by_id["okay_nabu"]["commercial_use"] and by_id["micro-hey_jarvis"]["commercial_use"]
    assert not by_id["hey_jarvis"]["commercial_use"]
    words = {w["name"]: w for w in json.loads(run_heron(tmp_path, "wake", "list",
                                                         "--json").stdout)}
    assert words["okay_nabu"]["active"] and words["okay_nabu"]["commercial_use"]
    assert words["okay_nabu"]["engines"] == ["micro", "oww"]
    assert not words["hey_rhasspy"]["commercial_use"]
    wav = write_wav(tmp_path / "nabu.wav", speak("Okay Nabu."))
    tested = json.loads(run_heron(tmp_path, "wake", "test", str(wav), "--json").stdout)
    assert set(tested[0]["detections"][0]["engines"]) == {"micro", "oww"}
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text('[wake]\nengines = ["micro"]\n')
    bad = run_heron(tmp_path, "wake", "test", "--model", "hey_rhasspy", str(wav), "--json")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "hey_rhasspy" in bad.stdout + bad.stderr


def test_an_unknown_word_after_a_micro_word_is_a_coded_error(store: ModelStore) -> None:
    """The microWakeWord engine already loaded for the first word must not turn the
    second word's error into a SystemError while it is freed."""
    with pytest.raises(ModelError) as err:
        WakeWordDetector(WakeOptions(models=("okay_nabu", "hey_computer")), store)
    assert err.value.code == "model.unknown" and "heron wake list" in err.value.hint
