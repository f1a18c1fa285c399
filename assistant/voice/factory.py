"""Which implementation each voice stage uses, by name ([voice] in config.toml), and
the one place they are built. A new kind of stage — a Wyoming server, a GPU build — is
one builder here and one name in the config: the rest of Heron sees the ports
(assistant/voice/ports.py). `[asr]`/`[tts]`/`[wake] backend = "wyoming://HOST:PORT"`
puts a Wyoming server in front of the local model, which stays as the fallback."""

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

    local = WakeWordDetector(config.wake, store, enrolled_dir=wake_dir)
    if not config.wake.backend:
        return local
    from assistant.wyoming.remote import RemoteStage
    from assistant.wyoming.remote_wake import RemoteWakeDetector

    words = tuple(w.name for w in local.words)  # a model file's word by its file name
    cooldown = {w: config.wake.tuning_for(m).cooldown_ms
                for w, m in zip(words, config.wake.model_names(), strict=True)}
    return RemoteWakeDetector(RemoteStage("wake", config.wake.backend, REMOTE_WAKE_TIMEOUT_S),
                              local, words, cooldown)


def _vad(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.vad import SileroVad

    return SileroVad(config.vad, store)


def _asr(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.asr import WhisperTranscriber

    local = WhisperTranscriber(config.asr, store)
    if not config.asr.backend:
        return local
    from assistant.wyoming.remote import RemoteStage  # the wyoming client loads only then
    from assistant.wyoming.remote_asr import RemoteTranscriber

    return RemoteTranscriber(RemoteStage("asr", config.asr.backend, REMOTE_ASR_TIMEOUT_S),
                             local, config.asr.language)


def _second_asr(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    """The bigger model that decodes a command again ([asr] second_pass), or None."""
    from audio.asr import WhisperTranscriber

    model = config.asr.second_pass
    if not model or model == config.asr.model_id:
        return None
    return WhisperTranscriber(replace(config.asr, model=model), store)


def _tts(config: HeronConfig, store: ModelStore, wake_dir: Path | None) -> Any:
    from audio.tts import PiperSynthesizer

    local = PiperSynthesizer(config.tts, store)
    if not config.tts.backend:
        return local
    from assistant.wyoming.remote import RemoteStage
    from assistant.wyoming.remote_tts import RemoteSynthesizer

    return RemoteSynthesizer(RemoteStage("tts", config.tts.backend, REMOTE_TTS_TIMEOUT_S),
                             local)


# A remote stage slower than this is treated as down: the local model answers instead.
REMOTE_ASR_TIMEOUT_S = 6.0
REMOTE_TTS_TIMEOUT_S = 6.0  # per sentence
# The wake server must connect, and answer each ping (a Describe) within this.
REMOTE_WAKE_TIMEOUT_S = 3.0

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
