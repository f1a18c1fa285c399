"""Wake word settings ([wake] in config.toml): which words, which engines, and the
threshold/patience/cooldown of each word."""

from __future__ import annotations

from dataclasses import dataclass, field

from audio.remote_backend import parse_backend
from models.catalog import MICRO_PREFIX, get_spec, specs_for_role

ENGINES = ("micro", "oww")  # microWakeWord, openWakeWord
# A word's threshold when [wake] sets none, by the engines that score it. openWakeWord's
# 0.5 is its authors' advice (and enrolled words are calibrated to it); the others were
# chosen on the wake benchmark's dev set only (bench/wake.py, docs/bench): the fewest
# missed dev clips with no false accept in an hour of other speech. alexa and
# hey_mycroft were not benchmarked: they get okay_nabu's, the stricter of the two.
OWW_THRESHOLD = 0.5
MICRO_THRESHOLD = 0.7  # okay_nabu, microWakeWord alone
FUSED_THRESHOLDS = {"okay_nabu": 0.75, "hey_jarvis": 0.35}  # DEFAULT_RULE: "max"
FUSED_THRESHOLD = FUSED_THRESHOLDS["okay_nabu"]


def default_threshold(engines: tuple[str, ...], phrase: str = "") -> float:
    """The threshold of a word scored by these engines when [wake] sets none."""
    if "micro" in engines:
        if "oww" in engines:
            return FUSED_THRESHOLDS.get(phrase, FUSED_THRESHOLD)
        return MICRO_THRESHOLD
    return OWW_THRESHOLD


def micro_phrases() -> tuple[str, ...]:
    """The phrases microWakeWord has a model for (okay_nabu, hey_jarvis, ...)."""
    return tuple(s.id.removeprefix(MICRO_PREFIX) for s in specs_for_role("wake-micro"))


def oww_phrases() -> tuple[str, ...]:
    """openWakeWord's built-in phrases (enrolled words and .onnx files come on top)."""
    return tuple(s.id for s in specs_for_role("wake"))


def commercial_use(phrase: str, engines: tuple[str, ...] = ENGINES) -> bool:
    """Whether every built-in model these engines use for this phrase allows commercial
    use (False when none of them has the phrase)."""
    known = {s.id for s in specs_for_role("wake") + specs_for_role("wake-micro")}
    ids = [i for e, i in (("oww", phrase), ("micro", micro_spec_id(phrase)))
           if e in engines and i in known]
    return bool(ids) and all(get_spec(i).commercial_use for i in ids)


def micro_spec_id(phrase: str) -> str:
    """The catalog id of microWakeWord's model for `phrase`."""
    return MICRO_PREFIX + phrase


@dataclass(frozen=True)
class WakeTuning:
    """A per-model override of the [wake] defaults; unset fields use the defaults."""

    threshold: float | None = None
    patience: int | None = None
    cooldown_ms: int | None = None


@dataclass(frozen=True)
class ResolvedTuning:
    threshold: float | None  # None only in WakeOptions' own defaults (per-word default)
    patience: int
    cooldown_ms: int


@dataclass(frozen=True)
class WakeOptions:
    """Wake word settings ([wake] in config.toml).

    model: one wake word — a built-in phrase (okay_nabu, hey_jarvis, alexa, hey_mycroft,
        hey_rhasspy), the name of an enrolled word (`heron wake enroll NAME`), or a path
        to an openWakeWord-compatible .onnx file (input [1, N, 96] embeddings, output a
        score). okay_nabu is the default: its models (both engines) are Apache-2.0, while
        openWakeWord's hey_jarvis, alexa, hey_mycroft and hey_rhasspy are non-commercial.
    models: several wake words at once (same kinds of names); when set, `model` is
        ignored. Whichever fires first wins; the detector's `name` says which.
    engines: which detectors listen: "micro" (microWakeWord), "oww" (openWakeWord).
        Empty (the default): every engine that knows the phrase; a phrase both know is
        scored by both and their scores are fused (audio/wake_fusion.py). Enrolled words
        and .onnx files are openWakeWord only.
    threshold: a (fused) score >= threshold counts; unset: each word's default by its
        engines (default_threshold). patience: that many consecutive frames (80 ms
        each) must count before the word fires; cooldown_ms: after firing, the same
        word cannot fire again for this much audio.
    noise_gate_db: a frame less than this many dB above the room's noise floor (the
        20th percentile of the last 5 s of 80 ms frame levels) is the room, not a voice.
        While the last 800 ms were all the room, no wake word can be ending and nothing
        is scored: only the cheap features run (openWakeWord's mel spectrogram and
        microWakeWord, 0.2 ms), and the embeddings are caught up when a sound comes.
        That is most of the idle CPU. 0 scores every frame.
    backend: "wyoming://HOST:PORT" listens through a Wyoming wake word server
        (wyoming-openwakeword, another Heron): the microphone is streamed to it and it
        says when a word fires; this machine's detector stays loaded and listens
        whenever the server is down or stalls. The server is asked for the words in
        model/models under its own names (okay_nabu is its ok_nabu); its threshold and
        patience are the server's, the cooldown is Heron's. "" = this machine only.
    tuning: per-model overrides, keyed by the name as written in model/models::

        [wake]
        models = ["okay_nabu", "hey_heron"]
        threshold = 0.5

        [wake.tuning.hey_heron]
        threshold = 0.6
        patience = 2
    """

    model: str = "okay_nabu"
    models: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    threshold: float | None = None
    patience: int = 1
    cooldown_ms: int = 1500
    noise_gate_db: float = 8.0
    tuning: dict[str, WakeTuning] = field(default_factory=dict)
    backend: str = ""  # "wyoming://HOST:PORT": a Wyoming wake server first (remote_backend)

    def __post_init__(self) -> None:
        parse_backend("wake", self.backend)
        if not 0.0 <= self.noise_gate_db <= 40.0:
            raise ValueError("wake.noise_gate_db must be in 0..40 dB (0 turns the gate off), "
                             f"got {self.noise_gate_db}")
        self._check_engines()
        resolved = [(n, self.tuning_for(n)) for n in self.tuning]
        for name, t in [("", self._defaults()), *resolved]:
            where = f"wake.tuning.{name}" if name else "wake"
            if t.threshold is not None and not 0.0 < t.threshold <= 1.0:
                raise ValueError(f"{where}.threshold must be in (0, 1], got {t.threshold}")
            if t.patience < 1:
                raise ValueError(f"{where}.patience must be >= 1, got {t.patience}")
            if t.cooldown_ms < 0:
                raise ValueError(f"{where}.cooldown_ms must be >= 0, got {t.cooldown_ms}")
        unknown = set(self.tuning) - set(self.model_names())
        if unknown:
            raise ValueError(f"wake.tuning names models not in use: {', '.join(sorted(unknown))}")

    def _check_engines(self) -> None:
        unknown = [e for e in self.engines if e not in ENGINES]
        if unknown:
            raise ValueError(f"wake.engines: unknown engine {unknown[0]!r} (known: "
                             f"{', '.join(ENGINES)}; [] = every engine that knows the word)")
        if len(set(self.engines)) != len(self.engines):
            raise ValueError(f"wake.engines lists an engine twice: {list(self.engines)}")
        if self.engines and "oww" not in self.engines:
            lacking = [m for m in self.model_names() if m not in micro_phrases()]
            if lacking:
                raise ValueError(
                    f"wake.engines = [\"micro\"] but microWakeWord has no model for "
                    f"{lacking[0]!r} (it knows {', '.join(micro_phrases())}): add \"oww\" "
                    "to wake.engines or choose one of those words")

    def model_names(self) -> tuple[str, ...]:
        return tuple(self.models) if self.models else (self.model,)

    def engines_for(self, model: str) -> tuple[str, ...]:
        """The engines that score this word: the configured ones that know it."""
        wanted = self.engines or ENGINES
        return tuple(e for e in wanted if e == "oww" or model in micro_phrases())

    def _defaults(self) -> ResolvedTuning:
        return ResolvedTuning(self.threshold, self.patience, self.cooldown_ms)

    def tuning_for(self, model: str) -> ResolvedTuning:
        """Threshold, patience and cooldown for one entry of model_names()."""
        t, d = self.tuning.get(model, WakeTuning()), self._defaults()
        threshold = t.threshold if t.threshold is not None else d.threshold
        return ResolvedTuning(
            default_threshold(self.engines_for(model), model) if threshold is None
            else threshold,
            d.patience if t.patience is None else t.patience,
            d.cooldown_ms if t.cooldown_ms is None else t.cooldown_ms)
