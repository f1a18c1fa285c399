"""Wake word logic without models: gates (threshold, patience, cooldown), per-model
settings from config, and the few-shot matcher's alignment on plain numbers."""

import numpy as np
import pytest

from assistant.config import ConfigError, load_config
from audio.enroll import (
    EnrolledWakeWord,
    EnrollError,
    check_name,
    distance_to_score,
    end_distances,
    speech_span,
    template_from_clip,
)
from audio.wake import WakeGate, WakeOptions, WakeTuning


def fire(gate: WakeGate, scores: list[float]) -> list[int]:
    return [i for i, s in enumerate(scores) if gate.update(s)]


def test_patience_needs_consecutive_frames() -> None:
    gate = WakeGate(threshold=0.5, patience=3, cooldown_ms=0)
    # two high frames, a dip, then three in a row: fires on the third of the run
    assert fire(gate, [0.9, 0.9, 0.2, 0.6, 0.7, 0.8, 0.1]) == [5]


def test_patience_one_fires_on_the_first_high_frame() -> None:
    assert fire(WakeGate(0.5, 1, 0), [0.1, 0.5, 0.1]) == [1]


def test_cooldown_suppresses_then_allows_a_fresh_run() -> None:
    gate = WakeGate(threshold=0.5, patience=2, cooldown_ms=400)
    scores = [0.9] * 10  # a long high stretch: fire at 1, cooldown covers 80..400 ms
    # frames 2..5 are inside the cooldown (t=160..400 < 80+400); the run restarts at 6
    assert fire(gate, scores) == [1, 7]


def test_reset_forgets_cooldown_and_runs() -> None:
    gate = WakeGate(threshold=0.5, patience=2, cooldown_ms=10_000)
    assert fire(gate, [0.9, 0.9]) == [1]
    gate.reset()
    assert fire(gate, [0.9, 0.9]) == [1]
    gate.reset()
    assert fire(gate, [0.9]) == []  # the half run before reset is gone
    gate.reset()
    assert fire(gate, [0.9, 0.1, 0.9]) == []


def test_cooldown_without_patience() -> None:
    gate = WakeGate(threshold=0.5, patience=1, cooldown_ms=400)
    assert fire(gate, [0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.7, 0.1]) == [1, 7]


def test_per_model_settings_fall_back_to_the_defaults() -> None:
    opts = WakeOptions(models=("hey_jarvis", "alexa"), threshold=0.4, patience=2,
                       tuning={"alexa": WakeTuning(threshold=0.7, cooldown_ms=0)})
    assert opts.model_names() == ("hey_jarvis", "alexa")
    jarvis, alexa = opts.tuning_for("hey_jarvis"), opts.tuning_for("alexa")
    assert (jarvis.threshold, jarvis.patience, jarvis.cooldown_ms) == (0.4, 2, 1500)
    assert (alexa.threshold, alexa.patience, alexa.cooldown_ms) == (0.7, 2, 0)
    assert WakeOptions(model="alexa").model_names() == ("alexa",)  # the single-model case


def test_config_reads_several_models_and_tables(tmp_path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[wake]\nmodels = ["hey_jarvis", "hey_heron"]\npatience = 2\n'
                 '[wake.tuning.hey_heron]\nthreshold = 0.6\npatience = 1\n')
    wake = load_config(f).wake
    assert wake.models == ("hey_jarvis", "hey_heron") and wake.enabled
    assert wake.tuning_for("hey_heron").threshold == 0.6
    assert wake.tuning_for("hey_heron").patience == 1
    assert wake.tuning_for("hey_jarvis").patience == 2


@pytest.mark.parametrize("body,needle", [
    ('[wake]\nmodels = "alexa"\n', "wake.models must be a list"),
    ('[wake]\nmodels = ["alexa", 3]\n', "wake.models[1]"),
    ('[wake]\npatience = 0\n', "patience must be >= 1"),
    ('[wake]\nthreshold = 1.5\n', "threshold must be in (0, 1]"),
    ('[wake.tuning.alexa]\nthreshold = 0.6\n', "not in use: alexa"),
    ('[wake]\nmodel = "alexa"\n[wake.tuning.alexa]\nthreshhold = 0.6\n',
     "wake.tuning.alexa.threshhold"),
    ('[wake]\ntuning = 3\n', "[wake.tuning] must be a table"),
])
def test_bad_wake_settings_are_config_errors(tmp_path, body, needle) -> None:
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert needle in err.value.message
    assert err.value.hint and err.value.exit_code == 5


def _unit(rows: list[list[float]]) -> np.ndarray:
    a = np.array(rows, np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_alignment_finds_the_template_at_the_end_only() -> None:
    rng = np.random.default_rng(1)
    template = _unit(rng.normal(size=(5, 8)).tolist())
    noise = _unit(rng.normal(size=(6, 8)).tolist())
    stream = np.vstack([noise, template])
    d = end_distances(template, stream)
    assert d[-1] == pytest.approx(0.0, abs=1e-6)  # a perfect match ending now
    assert d[:-1].min() > 0.2
    slow = np.vstack([noise, np.repeat(template, 2, axis=0)])  # spoken twice as slowly
    assert end_distances(template, slow)[-1] == pytest.approx(0.0, abs=1e-6)
    fast = np.vstack([noise, template[::2]])  # twice as fast: every other row
    fast_d = end_distances(template, fast)
    assert int(np.argmin(fast_d)) == len(fast_d) - 1  # still best where it ends


def test_enrolled_word_scores_and_round_trips(tmp_path) -> None:
    template = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    word = EnrolledWakeWord("hey_test", (template,), 0.1, {"samples": ["a", "b", "c"]})
    assert word.score_stream(np.vstack([_unit([[1, 1, 1]]), template])) == 1.0
    assert word.score_stream(np.vstack([template[::-1]] * 2)) == 0.0
    word.save(tmp_path)
    again = EnrolledWakeWord.load(tmp_path, "hey_test")
    assert again.distance_threshold == 0.1 and again.meta["samples"] == ["a", "b", "c"]
    np.testing.assert_array_equal(again.templates[0], template)
    assert distance_to_score(0.1, 0.1) == 0.5 and distance_to_score(0.0, 0.1) == 1.0


def test_speech_span_and_template_cut() -> None:
    probs = np.array([0.0, 0.1, 0.9, 0.8, 0.95, 0.2, 0.0])
    assert speech_span(probs) == (160, 400)
    assert speech_span(np.zeros(10)) is None
    emb = np.arange(20, dtype=np.float32)[:, None] * np.ones((1, 96), np.float32)
    cut = template_from_clip(emb, 1000, 1600)  # embedding i ends at i*80 + 760 ms
    assert cut[0, 0] == 5 and cut[-1, 0] == 12  # ends 1160..1760 ms


@pytest.mark.parametrize("name", ["Hey", "h", "hey heron", "../x", "1abc"])
def test_names_are_checked(name) -> None:
    with pytest.raises(EnrollError) as err:
        check_name(name)
    assert err.value.code == "enroll.bad_name" and err.value.hint
