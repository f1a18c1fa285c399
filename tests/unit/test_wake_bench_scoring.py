"""The wake benchmark's choice on dev (pure): fewest false rejects within the false
accept target, the highest such threshold; and a fused series from two engines."""

from __future__ import annotations

import numpy as np

from bench.wake_scoring import at, choose, choose_setting, series


def point(th: float, fr: int, fa_h: float, patience: int = 1) -> dict:
    return {"threshold": th, "patience": patience, "false_rejects": fr,
            "false_accepts": int(fa_h), "false_accepts_per_hour": fa_h}


def test_choose_keeps_false_accepts_in_target_then_fewest_rejects_then_margin() -> None:
    grid = [point(0.3, 1, 3.0), point(0.5, 2, 0.0), point(0.6, 2, 0.0), point(0.7, 5, 0.0),
            point(0.6, 2, 0.0, patience=2)]
    assert (choose(grid)["threshold"], choose(grid)["patience"]) == (0.6, 1)
    assert choose([point(0.3, 0, 2.0)]) is None  # nothing keeps false accepts low


def test_fused_settings_win_ties_against_single_engines() -> None:
    chosen = {"micro": point(0.7, 3, 0.0), "fused max w3": point(0.7, 3, 0.0),
              "oww": point(0.5, 9, 0.0), "fused min w3": None}
    assert choose_setting(chosen) == "fused max w3"
    assert choose_setting({"oww": None}) is None


def test_one_engine_alone_and_fused_series_count_rejects_and_accepts() -> None:
    word = {"micro": np.array([0, 0.9, 0.9, 0, 0], np.float32),
            "oww": np.array([0, 0, 0.3, 0.8, 0], np.float32)}
    quiet = {"micro": np.zeros(3600, np.float32), "oww": np.zeros(3600, np.float32)}
    quiet["micro"][10] = 0.6  # one false alarm of microWakeWord alone
    for setting, rejects, accepts in (("oww", 0, 0), ("micro", 0, 1), ("fused max w3", 0, 1),
                                      ("fused min w3", 0, 0), ("fused min w1", 1, 0)):
        r = at([series(word, setting)], series(quiet, setting), 0.55, 1, 1500)
        assert (r["false_rejects"], r["false_accepts"]) == (rejects, accepts), setting
