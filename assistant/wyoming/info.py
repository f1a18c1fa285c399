"""What `heron wyoming` tells a client that sends Describe: its four programs (asr,
tts, wake, handle) and the models behind them, from the config and the loaded
stages."""

from __future__ import annotations

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    Satellite,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

from assistant import __version__
from assistant.voice.stack import VoiceStack
from assistant.wyoming.satellite_options import SatelliteOptions
from assistant.wyoming.wake_session import WakePool, enrolled_words
from audio.asr import AUTO, WHISPER_LANGUAGES, AsrOptions
from audio.enroll import spoken_form
from audio.wake_options import micro_spec_id
from models.catalog import CATALOG, ModelSpec
from models.errors import ModelError
from models.store import ModelStore

HERON = Attribution(name="Heron", url="")  # a local project: no home page to point at
_SPECS = {s.id: s for s in CATALOG}


def build_info(stack: VoiceStack, wake: WakePool) -> Info:
    config = stack.config
    languages = asr_languages(config.asr)
    asr_spec = _SPECS.get(config.asr.model_id)
    tts = stack.tts
    tts_spec = _SPECS.get(tts.name)
    return Info(
        asr=[AsrProgram(
            name="heron-asr", attribution=HERON, installed=True, version=__version__,
            description="Heron speech recognition: faster-whisper on a window fitted "
                        "to the utterance",
            models=[AsrModel(name=config.asr.model_id, attribution=_by(asr_spec),
                             installed=True, description=_title(asr_spec),
                             version=_version(asr_spec), languages=languages)])],
        tts=[TtsProgram(
            name="heron-tts", attribution=HERON, installed=True, version=__version__,
            description="Heron speech synthesis (piper), sentence by sentence",
            supports_synthesize_streaming=True,
            voices=[TtsVoice(name=tts.name, attribution=_by(tts_spec), installed=True,
                             description=_title(tts_spec), version=_version(tts_spec),
                             languages=[tts.language or "en"])])],
        wake=[WakeProgram(
            name="heron-wake", attribution=HERON, installed=True, version=__version__,
            description="Heron wake words (microWakeWord and openWakeWord, fused; "
                        "enrolled words included)",
            models=_wake_models(stack, wake))],
        handle=[HandleProgram(
            name="heron", attribution=HERON, installed=True, version=__version__,
            description="Heron's agent: its tools, behind its permissions and audit log",
            models=[HandleModel(name="heron-agent", attribution=HERON, installed=True,
                                description="intents, router and (when set up) an LLM",
                                version=__version__, languages=languages)])],
    )


def asr_languages(options: AsrOptions) -> list[str]:
    """The languages the configured model hears."""
    if options.language not in ("", AUTO):
        return [options.language]
    if options.model_id.endswith(".en"):
        return ["en"]
    return sorted(WHISPER_LANGUAGES)


def _wake_models(stack: VoiceStack, pool: WakePool) -> list[WakeModel]:
    enrolled = set(enrolled_words(stack.wake_dir))
    return [_wake_model(name, stack, enrolled) for name in pool.known()]


def _wake_model(name: str, stack: VoiceStack, enrolled: set[str]) -> WakeModel:
    spec = _SPECS.get(name)
    if name in enrolled:
        by, installed = Attribution(name="you (enrolled by voice)", url=""), True
    else:
        by, installed = _by(spec), _phrase_installed(name, stack)
    return WakeModel(name=name, attribution=by, installed=installed,
                     description=_title(spec) or f"enrolled word “{name}”",
                     version=_version(spec), languages=["en"], phrase=spoken_form(name))


def satellite_info(stack: VoiceStack, options: SatelliteOptions, name: str) -> Info:
    """What Heron as a satellite tells Home Assistant: a satellite (so the Wyoming
    integration sets it up as one), the wake words that start Home Assistant's
    pipeline (with their phrases, which it shows and resolves Detection names by)."""
    enrolled = set(enrolled_words(stack.wake_dir))
    words = list(options.wake_words)
    return Info(
        satellite=Satellite(
            name=name, attribution=HERON, installed=True, version=__version__,
            description="Heron, a local voice assistant, as a voice satellite",
            area=options.area or None, has_vad=False, active_wake_words=words,
            max_active_wake_words=len(words), supports_trigger=False),
        wake=[WakeProgram(
            name="heron-wake", attribution=HERON, installed=True, version=__version__,
            description="Heron wake words, detected on this machine",
            models=[_wake_model(w, stack, enrolled) for w in words])],
    )


def _phrase_installed(name: str, stack: VoiceStack) -> bool:
    """Whether the model files of every engine that scores `name` are in place."""
    if name not in _SPECS:
        return True  # a configured .onnx path: the detector loaded it
    engines = stack.config.wake.engines_for(name)
    ids = ([name] if "oww" in engines else []) + (
        [micro_spec_id(name)] if "micro" in engines else [])
    return all(_present(_SPECS[i], stack.store) for i in ids if i in _SPECS)


def _present(spec: ModelSpec, store: ModelStore) -> bool:
    try:
        store.model_dir(spec)  # sizes only: the sha256 check is `heron models verify`'s
    except ModelError:
        return False
    return True


def _by(spec: ModelSpec | None) -> Attribution:
    if spec is None:
        return Attribution(name="a model file you configured", url="")
    return Attribution(name=spec.package, url=f"https://pypi.org/project/{spec.package}/")


def _title(spec: ModelSpec | None) -> str | None:
    """Its title and licence (the licence is what a user must know before use)."""
    return f"{spec.title}; licence: {spec.licence}" if spec is not None else None


def _version(spec: ModelSpec | None) -> str | None:
    return spec.version if spec is not None else None
