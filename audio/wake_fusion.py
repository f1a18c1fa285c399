"""Fusing two wake engines' per-frame scores for the same phrase (pure, no models).

The engines lag differently (microWakeWord peaks ~2 frames before openWakeWord on the
same word), so each engine's score is first held as its maximum over the last
`window_frames` frames; the held scores are then combined:

- "mean": a weighted mean (one engine very sure can carry a doubtful other);
- "min": both must be at least the threshold within the window (the strictest);
- "max": either engine alone (the most permissive).

DEFAULT_RULE (and the thresholds in audio/wake_options.py) were chosen on the wake
benchmark's dev set only (bench/wake.py; see docs/bench), for both "okay Nabu" and "hey
Jarvis": "max" missed the fewest dev clips with no false accept in an hour of other
speech (the mean missed as few, at a threshold one step from false accepts). The
engines fail on different voices: microWakeWord drops in white noise where
openWakeWord holds, openWakeWord misses espeak-ng voices microWakeWord hears; with
thresholds high enough for each alone, either one suffices. The held-out set judges it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

COMBINES = ("mean", "min", "max")


@dataclass(frozen=True)
class FusionRule:
    combine: str = "mean"
    window_frames: int = 3
    micro_weight: float = 0.5  # for "mean": the weight of microWakeWord's score

    def __post_init__(self) -> None:
        if self.combine not in COMBINES:
            raise ValueError(f"fusion combine must be one of {COMBINES}, got {self.combine!r}")
        if self.window_frames < 1:
            raise ValueError(f"fusion window must be >= 1 frame, got {self.window_frames}")
        if not 0.0 <= self.micro_weight <= 1.0:
            raise ValueError(f"fusion micro_weight must be in 0..1, got {self.micro_weight}")


DEFAULT_RULE = FusionRule("max", window_frames=1)


class ScoreFusion:
    """`update(micro, oww) -> fused score` once per 80 ms frame."""

    def __init__(self, rule: FusionRule = DEFAULT_RULE) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        self._micro: deque[float] = deque(maxlen=self.rule.window_frames)
        self._oww: deque[float] = deque(maxlen=self.rule.window_frames)

    def update(self, micro: float, oww: float) -> float:
        self._micro.append(micro)
        self._oww.append(oww)
        m, o = max(self._micro), max(self._oww)
        if self.rule.combine == "min":
            return min(m, o)
        if self.rule.combine == "max":
            return max(m, o)
        w = self.rule.micro_weight
        return w * m + (1 - w) * o


def fuse_series(micro, oww, rule: FusionRule) -> list[float]:
    """The fused score of every frame of two aligned score series (for benchmarks)."""
    fusion = ScoreFusion(rule)
    return [fusion.update(float(m), float(o)) for m, o in zip(micro, oww, strict=True)]
