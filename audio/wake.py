"""Wake word detection: every configured word, each scored by the engines that know it
(openWakeWord on our ONNX sessions, microWakeWord on its TFLite runtime), fused when
both do, behind its own threshold/patience/cooldown gate.

The parts live beside this file: wake_options.py (settings), wake_oww.py (openWakeWord
features and models), wake_micro.py (microWakeWord), wake_fusion.py (combining two
engines' scores), wake_gate.py (the per-word gate and the quiet-room noise gate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.wake_fusion import DEFAULT_RULE, FusionRule, ScoreFusion
from audio.wake_gate import (
    NoiseGate,
    WakeGate,
    frame_dbfs,
)
from audio.wake_micro import MicroWakeEngine
from audio.wake_options import (
    WakeOptions,
    WakeTuning,
)
from audio.wake_oww import (
    STARTUP_PREDICTIONS,
    OpenWakeWordDetector,
    WakeFeatures,
    WakeModel,
    load_wake_model,
)
from models.errors import ModelError
from models.store import ModelStore

# what other modules import from here (the engines' own modules hold the rest)
__all__ = [
    "MicroWakeEngine", "OpenWakeWordDetector", "WakeDecision", "WakeFeatures", "WakeGate",
    "WakeOptions", "WakeTuning", "WakeWordDetector",
]


@dataclass(frozen=True)
class WakeDecision:
    """One frame's outcome: `fired` names the word that fired (or None)."""

    fired: str | None
    score: float  # the fired word's score, else the best score this frame
    scores: dict[str, float]  # per word: the score its gate saw (fused when 2 engines)
    engine_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    # per word, per engine ("micro", "oww"): that engine's own score this frame
    late_ms: int = 0  # the word ended this long before this frame (a remote server's
    # answer comes a few frames after the audio): the frames since then are the command's


class _Word:
    """One wake word: its engines (an openWakeWord model and/or a microWakeWord
    engine), their fusion when both, and its gate."""

    def __init__(self, name: str, options: WakeOptions, store: ModelStore,
                 enrolled_dir: Path | None, rule: FusionRule) -> None:
        engines = options.engines_for(name)
        self.oww: WakeModel | None = (load_wake_model(name, store, enrolled_dir)
                                      if "oww" in engines else None)
        self.micro = MicroWakeEngine(name, store) if "micro" in engines else None
        self.name = self.oww.name if self.oww is not None else name
        self.fusion = ScoreFusion(rule) if self.oww and self.micro else None
        self.gate = WakeGate.from_tuning(options.tuning_for(name))

    def score(self, raw: dict[str, float]) -> float:
        if self.fusion is not None:
            return self.fusion.update(raw["micro"], raw["oww"])
        return next(iter(raw.values()))

    def reset(self) -> None:
        self.gate.reset()
        if self.fusion is not None:
            self.fusion.reset()
        if self.micro is not None:
            self.micro.reset()


class WakeWordDetector:
    """Every configured wake word on one shared feature stream:

    - `step(frame) -> WakeDecision`: which word fired this frame (`fired`, None when
      none did), every word's and engine's score; `last_decision` is the latest one.
    - `name`: the word that fired last (before any, the first configured word).
    - `threshold`: the lowest of the words' thresholds (each word has its own gate).
    - `reset()`: forget audio, patience runs and cooldowns.
    """

    def __init__(self, options: WakeOptions, store: ModelStore,
                 enrolled_dir: Path | None = None, rule: FusionRule = DEFAULT_RULE) -> None:
        self.options = options
        # A loop, not a comprehension: when a later word fails to load, the words built
        # so far must not be freed while its error is in flight (pymicro-features'
        # frontend destructor clears the pending exception: a SystemError instead).
        self.words: list[_Word] = []
        for m in options.model_names():
            self.words.append(_Word(m, options, store, enrolled_dir, rule))
        seen = [w.name for w in self.words]
        if len(set(seen)) != len(seen):
            raise ModelError("model.duplicate", f"the same wake word is configured twice: {seen}",
                             "list each wake word once in [wake] models")
        self.threshold = min(w.gate.threshold for w in self.words)
        self.name = self.words[0].name
        owws = [w.oww.window for w in self.words if w.oww is not None]
        self.features = WakeFeatures(store, max_embeddings=max(owws)) if owws else None
        self._predictions = 0
        self._noise = NoiseGate(options.noise_gate_db)
        self.skipped_frames = 0  # frames not scored: only the room's noise was heard
        self.last_decision = WakeDecision(None, 0.0, {w.name: 0.0 for w in self.words})

    def step(self, frame: np.ndarray) -> WakeDecision:
        if self.features is not None:
            self.features.process(frame)
            level = self.features.level_dbfs
        else:
            level = frame_dbfs(np.asarray(frame, dtype=np.int16))
        # microWakeWord runs on every frame (0.2 ms): its streaming state needs no gaps
        micro = {w.name: w.micro.process(frame) for w in self.words if w.micro is not None}
        self._predictions += 1
        heard = self._noise.update(level)
        warm = self._predictions > STARTUP_PREDICTIONS
        if warm and not heard:
            self.skipped_frames += 1
        live = warm and heard
        engine_scores: dict[str, dict[str, float]] = {}
        scores: dict[str, float] = {}
        for w in self.words:
            raw = {}
            if w.micro is not None:
                raw["micro"] = micro[w.name] if live else 0.0
            if w.oww is not None:
                raw["oww"] = w.oww.score(self.features) if live else 0.0
            engine_scores[w.name] = raw
            scores[w.name] = w.score(raw)
        fired = None
        for w in self.words:
            if w.gate.update(scores[w.name]) and fired is None:
                fired = w.name
        if fired is not None:
            self.name = fired
            decision = WakeDecision(fired, scores[fired], scores, engine_scores)
        else:
            decision = WakeDecision(None, max(scores.values()), scores, engine_scores)
        self.last_decision = decision
        return decision

    def reset(self) -> None:
        if self.features is not None:
            self.features.reset()
        self._predictions = 0
        self._noise.reopen()  # score from the start; the noise floor is kept
        for w in self.words:
            w.reset()
