"""Whisper on a window fitted to the utterance: the same words as the 30 s window on
commands, word times inside the audio, and long or unknown-language audio decoded the
standard way."""

from __future__ import annotations

import numpy as np
import pytest

from audio.asr import AsrOptions, WhisperTranscriber
from bench.text import wer
from models.store import package_dir

pytestmark = pytest.mark.slow

COMMANDS = ("Set a tea timer for five minutes.", "What time is it?", "List my timers.",
            "Cancel the pasta timer.", "Remind me to call mom in ten minutes.")


@pytest.fixture(scope="module")
def transcribers(speech_store):
    fitted = WhisperTranscriber(AsrOptions(), speech_store)
    full = WhisperTranscriber(AsrOptions(window_pad_s=0.0), speech_store)
    return fitted, full


def test_fitted_window_hears_commands_as_the_30_s_window_does(transcribers, speak):
    fitted, full = transcribers
    for text in COMMANDS:
        audio = speak(text, lead_ms=300, tail_ms=300)
        short, long_ = fitted.transcribe(audio), full.transcribe(audio)
        assert wer(text, short.text) <= wer(text, long_.text) + 0.2, (short.text, long_.text)
        assert wer(text, short.text) <= 0.2, short.text
        assert short.language == "en"


def test_word_times_match_the_30_s_window(transcribers, speak):
    # partial transcripts commit words by their times (audio/streaming_asr.py)
    fitted, full = transcribers
    audio = speak("Set a tea timer for five minutes.", lead_ms=500, tail_ms=300)
    short = fitted.transcribe(audio, word_timestamps=True)
    long_ = full.transcribe(audio, word_timestamps=True)
    said = [w.text.strip(" .").lower() for w in short.words]
    assert said[:2] == ["set", "a"] and said[-1] == "minutes", said
    assert len(short.words) == len(long_.words)
    for a, b in zip(short.words, long_.words, strict=True):
        assert abs(a.start_ms - b.start_ms) <= 100 and abs(a.end_ms - b.end_ms) <= 100
    assert short.words[-1].end_ms <= short.audio_ms


def test_long_speech_is_decoded_whole_on_the_standard_window(transcribers):
    from audio.file_source import decode_file

    fitted, _ = transcribers
    assets = package_dir("moonshine_voice")
    audio = decode_file(assets / "assets" / "two_cities.wav")  # 44 s: past one window
    assert len(audio) > 30 * 16000
    text = fitted.transcribe(audio).text.lower()
    assert "best of times" in text and "superlative degree" in text


def test_silence_gives_no_words(transcribers):
    fitted, _ = transcribers
    assert fitted.transcribe(np.zeros(16000, np.int16)).text == ""
