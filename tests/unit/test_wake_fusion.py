"""Two wake engines fused, without models: the rules on fake score series, and the
[wake] engines setting's errors."""

from __future__ import annotations

import pytest

from assistant.config import ConfigError, load_config
from audio.wake_fusion import FusionRule, ScoreFusion, fuse_series
from audio.wake_options import WakeOptions, commercial_use, micro_phrases

# microWakeWord peaks two frames before openWakeWord on the same word.
MICRO = [0.0, 0.1, 0.95, 0.9, 0.2, 0.0, 0.0, 0.0]
OWW = [0.0, 0.0, 0.0, 0.1, 0.92, 0.9, 0.1, 0.0]


def test_held_window_lines_up_engines_that_peak_at_different_frames() -> None:
    same_frame = fuse_series(MICRO, OWW, FusionRule("min", window_frames=1))
    held = fuse_series(MICRO, OWW, FusionRule("min", window_frames=3))
    assert max(same_frame) < 0.5  # never both high on one frame
    assert max(held) >= 0.9  # both high within 3 frames: the word counts


def test_mean_lets_one_sure_engine_carry_a_doubtful_one_but_not_alone() -> None:
    rule = FusionRule("mean", window_frames=1)
    assert fuse_series([0.95], [0.5], rule)[0] == pytest.approx(0.725)
    assert fuse_series([0.95], [0.0], rule)[0] == pytest.approx(0.475)  # below 0.5
    weighted = FusionRule("mean", window_frames=1, micro_weight=0.8)
    assert fuse_series([1.0], [0.0], weighted)[0] == pytest.approx(0.8)


def test_max_fires_on_either_engine_and_reset_forgets_the_window() -> None:
    fusion = ScoreFusion(FusionRule("max", window_frames=5))
    assert fusion.update(0.0, 0.9) == 0.9
    assert fusion.update(0.0, 0.0) == 0.9  # still inside the window
    fusion.reset()
    assert fusion.update(0.1, 0.0) == pytest.approx(0.1)


@pytest.mark.parametrize("rule", [dict(combine="sum"), dict(window_frames=0),
                                  dict(micro_weight=1.5)])
def test_bad_fusion_rules_are_refused(rule) -> None:
    with pytest.raises(ValueError):
        FusionRule(**rule)


def test_engines_per_word() -> None:
    both = WakeOptions(models=("okay_nabu", "hey_rhasspy", "hey_heron"))
    assert both.engines_for("okay_nabu") == ("micro", "oww")
    assert both.engines_for("hey_rhasspy") == ("oww",)  # microWakeWord lacks it
    assert both.engines_for("hey_heron") == ("oww",)  # an enrolled word
    assert WakeOptions(engines=("oww",)).engines_for("okay_nabu") == ("oww",)
    assert WakeOptions().model == "okay_nabu"
    assert set(micro_phrases()) == {"okay_nabu", "hey_jarvis", "alexa", "hey_mycroft"}


def test_which_wake_words_allow_commercial_use() -> None:
    assert commercial_use("okay_nabu")
    assert not commercial_use("hey_jarvis")  # openWakeWord's model is CC BY-NC-SA
    assert commercial_use("hey_jarvis", ("micro",))
    assert not commercial_use("hey_rhasspy", ("micro",))  # no model at all


@pytest.mark.parametrize("body, needle", [
    ('[wake]\nengines = ["micro", "porcupine"]\n', "unknown engine 'porcupine'"),
    ('[wake]\nengines = ["oww", "oww"]\n', "lists an engine twice"),
    ('[wake]\nmodel = "hey_rhasspy"\nengines = ["micro"]\n',
     "microWakeWord has no model for 'hey_rhasspy'"),
    ('[wake]\nmodels = ["okay_nabu", "hey_heron"]\nengines = ["micro"]\n', "'hey_heron'"),
    ('[wake]\nengines = "micro"\n', "wake.engines must be a list"),
])
def test_bad_engine_settings_are_config_errors(tmp_path, body, needle) -> None:
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.invalid" and needle in str(err.value)
    assert err.value.hint


def test_engines_setting_reads_from_config(tmp_path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[wake]\nmodel = "hey_jarvis"\nengines = ["micro"]\n')
    wake = load_config(f).wake
    assert wake.engines == ("micro",) and wake.engines_for("hey_jarvis") == ("micro",)


def test_each_word_gets_its_engines_default_threshold_unless_set() -> None:
    from audio.wake_options import FUSED_THRESHOLD, MICRO_THRESHOLD, OWW_THRESHOLD

    opts = WakeOptions(models=("okay_nabu", "hey_rhasspy"))
    assert opts.tuning_for("okay_nabu").threshold == FUSED_THRESHOLD
    assert opts.tuning_for("hey_rhasspy").threshold == OWW_THRESHOLD
    micro = WakeOptions(engines=("micro",))
    assert micro.tuning_for("okay_nabu").threshold == MICRO_THRESHOLD
    assert WakeOptions(threshold=0.7).tuning_for("okay_nabu").threshold == 0.7
