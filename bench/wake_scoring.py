"""Scoring for the wake benchmark: per-engine and fused score series, the grid of
settings on a set, and the choice on dev (pure: no models)."""

from __future__ import annotations

import numpy as np

from audio.frames import FRAME_MS
from audio.wake_fusion import FusionRule, fuse_series
from audio.wake_gate import WakeGate

TARGET_FR, TARGET_FA_PER_HOUR = 0.10, 0.5  # issue 15: held-out voices in noise
GRID_THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
                   0.9, 0.95, 0.97)
GRID_PATIENCE = (1, 2)
# The detectors compared: each engine alone, and fused by each rule (audio/wake_fusion.py):
# the mean with microWakeWord weighted 0.5-0.8, min and max, over windows of 1-5 frames.
FUSIONS = {
    **{f"fused mean{m:g} w{w}": FusionRule("mean", w, m) for m in (0.5, 0.65, 0.8)
       for w in (1, 3, 5)},
    **{f"fused {c} w{w}": FusionRule(c, w) for c in ("min", "max") for w in (1, 3, 5)}}
SETTINGS = ("micro", "oww", *FUSIONS)


def series(engines: dict[str, np.ndarray], setting: str) -> np.ndarray:
    """The score a detector with `setting` sees per frame, from the engines' own scores."""
    if setting in ("micro", "oww"):
        return engines[setting]
    return np.array(fuse_series(engines["micro"], engines["oww"], FUSIONS[setting]),
                    np.float32)


def fires(scores: np.ndarray, threshold: float, patience: int, cooldown_ms: int) -> list[int]:
    gate = WakeGate(threshold, patience, cooldown_ms)
    return [i for i, s in enumerate(scores) if gate.update(float(s))]


def at(pos: list[np.ndarray], neg: np.ndarray, threshold: float, patience: int,
       cooldown_ms: int) -> dict:
    """False rejects and false accepts of one setting on one set."""
    hours = max(len(neg) * FRAME_MS / 3_600_000, 1e-9)
    rejected = sum(not fires(s, threshold, patience, cooldown_ms) for s in pos)
    accepts = fires(neg, threshold, patience, cooldown_ms)
    fr, fa = rejected / max(1, len(pos)), len(accepts) / hours
    return {"threshold": threshold, "patience": patience, "positives": len(pos),
            "false_rejects": rejected, "false_reject_rate": round(fr, 4),
            "negative_hours": round(hours, 3), "false_accepts": len(accepts),
            "false_accepts_per_hour": round(fa, 2),
            "false_accepts_at_s": [round((i + 1) * FRAME_MS / 1000, 2) for i in accepts],
            "meets_targets": bool(fr <= TARGET_FR and fa <= TARGET_FA_PER_HOUR)}


def grid(pos: list[np.ndarray], neg: np.ndarray, cooldown_ms: int) -> list[dict]:
    return [{k: v for k, v in at(pos, neg, th, pat, cooldown_ms).items()
             if k != "false_accepts_at_s"}
            for th in GRID_THRESHOLDS for pat in GRID_PATIENCE]


def choose(points: list[dict]) -> dict | None:
    """On dev: among settings within the false accept target, the fewest false rejects
    (at or above the false reject target when nothing reaches it: the dev voices
    include espeak-ng ones no model hears well), then the fewest false accepts, then
    the highest threshold (most margin against false accepts), then patience 1
    (fastest); None when no setting keeps false accepts within the target."""
    ok = [g for g in points if g["false_accepts_per_hour"] <= TARGET_FA_PER_HOUR]
    if not ok:
        return None
    return min(ok, key=lambda g: (g["false_rejects"], g["false_accepts"], -g["threshold"],
                                  g["patience"]))


def fa_margin(point: dict, points: list[dict]) -> int:
    """How many grid thresholds below the chosen one (same patience) still keep false
    accepts within the target: room before the setting starts waking on other speech."""
    lower = sorted((p for p in points if p["patience"] == point["patience"]
                    and p["threshold"] < point["threshold"]), key=lambda p: -p["threshold"])
    margin = 0
    for p in lower:
        if p["false_accepts_per_hour"] > TARGET_FA_PER_HOUR:
            break
        margin += 1
    return margin


def choose_setting(chosen: dict[str, dict | None],
                   grids: dict[str, list[dict]] | None = None) -> str | None:
    """The best detector setting on dev (each already at its own chosen threshold):
    fewest false rejects, then false accepts, then the widest margin against false
    accepts (fa_margin); fused settings before single engines on a tie (two
    independent models are less likely to share a blind spot); then the name."""
    ok = {k: v for k, v in chosen.items() if v is not None}
    if not ok:
        return None
    grids = grids or {}
    return min(ok, key=lambda k: (ok[k]["false_rejects"], ok[k]["false_accepts"],
                                  -fa_margin(ok[k], grids.get(k, [])),
                                  not k.startswith("fused"), k))
