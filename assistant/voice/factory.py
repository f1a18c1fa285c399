"""Which implementation each voice stage uses, by name ([voice] in config.toml), and
the one place they are built. A new kind of stage — a Wyoming server, a GPU build — is
one builder here and one name in the config: the rest of Heron sees the ports
(assistant/voice/ports.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.store import ModelStore

if TYPE_CHECKING:
    from assistant.config import HeronConfig


def _wake(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.wake import WakeWordDetector

    return WakeWordDetector(config.wake, store, enrolled_dir=wake_dir)


def _vad(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.vad import SileroVad

    return SileroVad(config.vad, store)


def _asr(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.asr import WhisperTranscriber

    return WhisperTranscriber(config.asr, store)


def _second_asr(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    """The bigger model that decodes a command again ([asr] second_pass), or None."""
    from audio.asr import WhisperTranscriber

    model = config.asr.second_pass
    if not model or model == config.asr.model_id:
        return None
    return WhisperTranscriber(replace(config.asr, model=model), store)


def _tts(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.tts import PiperSynthesizer

    return PiperSynthesizer(config.tts, store)


Builder = Callable[["HeronConfig", ModelStore, "Path | None"], Any]
# stage → implementation name → builder. The local models are imported when built:
# a stage served elsewhere never loads its local runtime.
BUILDERS: dict[str, dict[str, Builder]] = {
    "wake": {"local": _wake},  # openWakeWord and microWakeWord on this machine
    "vad": {"silero": _vad},
    "asr": {"faster-whisper": _asr},
    "second_asr": {"faster-whisper": _second_asr},
    "tts": {"piper": _tts},
}


@dataclass(frozen=True)
class VoiceBackends:
    """[voice]: the implementation of each stage, by name (see BUILDERS)."""

    wake: str = "local"
    vad: str = "silero"
    asr: str = "faster-whisper"
    tts: str = "piper"

    def __post_init__(self) -> None:
        for stage in ("wake", "vad", "asr", "tts"):
            name = getattr(self, stage)
            if name not in BUILDERS[stage]:
                known = ", ".join(repr(k) for k in BUILDERS[stage])
                raise ValueError(f"voice.{stage} {name!r} is not a {stage} implementation "
                                 f"Heron has (known: {known})")


def build_stage(stage: str, config: HeronConfig, store: ModelStore,
                wake_dir: Path | None = None) -> Any:
    """The `stage` ("wake", "vad", "asr", "second_asr", "tts") that [voice] names."""
    name = getattr(config.voice, "asr" if stage == "second_asr" else stage)
    return BUILDERS[stage][name](config, store, wake_dir)
