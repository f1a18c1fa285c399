"""`heron doctor`'s languages row: which languages Heron understands (whisper hears
them and the intents package has templates for them), which voice speaks each, and
whether espeak-ng — the voice for every language but English — is installed."""

from __future__ import annotations

import subprocess

from assistant.config import HeronConfig
from assistant.doctor.check import Check, CheckStatus
from audio.asr import AUTO, WHISPER_LANGUAGES
from audio.tts_espeak import INSTALL_HINT, espeak_path

NEURAL_NOTE = "neural voice: none in a package for languages other than English yet"


def covered_languages() -> list[str]:
    """ISO codes both whisper and the installed home_assistant_intents have."""
    from home_assistant_intents import get_languages

    from assistant.agent.intents.catalog import whisper_language

    return sorted({whisper_language(c) for c in get_languages()} & WHISPER_LANGUAGES)


def understood_languages() -> list[str]:
    """The covered languages whose templates reach at least one of our tools (timers,
    time, lists …); the others have only a few device-control sentences."""
    from home_assistant_intents import get_intents

    from assistant.agent.intents.catalog import package_language
    from assistant.agent.intents.mapping import DEVICE_CONTROL, MAPPED_INTENTS

    ours = MAPPED_INTENTS - DEVICE_CONTROL - {"HassNevermind"}
    return [code for code in covered_languages()
            if ours & set((get_intents(package_language(code) or code) or {}).get("intents", {}))]


def espeak_version(program: str) -> str:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return " ".join(out.split()[:4])  # "eSpeak NG text-to-speech: 1.51"


def check_languages(config: HeronConfig) -> Check:
    """The languages row (info when all is there; warn when a non-English language is
    configured but espeak-ng, which would speak it, is missing)."""
    understood = understood_languages()
    device_only = sorted(set(covered_languages()) - set(understood))
    piper = config.tts.voice
    program = espeak_path()
    asr = config.asr
    hearing = ("detected per utterance" if asr.language == AUTO
               else f"{asr.language or 'en'} only")
    data = {
        "understood": understood,
        "device_control_only": device_only,
        "asr": {"language": asr.language, "model": asr.model_id,
                "detect_among": list(asr.detect_among)},
        "voices": {"en": f"piper {piper}",
                   "other": "espeak-ng" if program else "none (espeak-ng is missing)"},
        "espeak_ng": {"installed": program is not None, "path": program or "",
                      "version": espeak_version(program) if program else ""},
        "note": NEURAL_NOTE,
    }
    partly = (f"; {', '.join(device_only)}: device sentences only, no timers or lists yet"
              if device_only else "")
    detail = (f"{len(understood)} languages understood (whisper + intents package: "
              f"{', '.join(understood)}){partly}; this setup hears {hearing} with {asr.model_id}; "
              f"replies in English by piper ({piper}), in other languages by "
              f"{'espeak-ng' if program else 'nobody: espeak-ng is missing'}; {NEURAL_NOTE}")
    if program is None:
        wants_other = asr.language not in ("", "en")
        return Check("languages", CheckStatus.WARN if wants_other else CheckStatus.INFO, detail,
                     f"{INSTALL_HINT} to hear replies in languages other than English",
                     data)
    return Check("languages", CheckStatus.OK, detail, data=data)
