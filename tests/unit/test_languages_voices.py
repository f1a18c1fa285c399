"""Replies in other languages: espeak-ng speaks them (really run here), the right voice
is picked per reply, and a missing espeak-ng is a clear, coded error — in the voice and
in `heron doctor`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.agent.agent import AgentReply
from assistant.config import HeronConfig
from assistant.doctor.language import check_languages, understood_languages
from assistant.voice.pipeline import reply_language
from audio.asr import AsrOptions
from audio.tts import TtsOptions
from audio.tts_espeak import EspeakError, EspeakSynthesizer, voice_name


@pytest.fixture
def no_espeak(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without espeak-ng


def test_arabic_is_spoken_sentence_by_sentence():
    voice = EspeakSynthesizer("ar")
    parts = list(voice.synthesize("تم ضبط المؤقت لمدة خمس دقائق. هل تريد شيئا آخر؟"))
    assert len(parts) == 2  # streamed: the first sentence plays while the next is made
    for audio in parts:
        assert audio.dtype == np.int16 and audio.ndim == 1
        assert audio.size > voice.sample_rate_hz // 2  # over half a second of speech
        assert np.abs(audio).max() > 1000  # not silence
    assert voice.sample_rate_hz == 22050 and voice.name == "espeak-ng:ar"
    assert list(voice.synthesize("  ")) == []


def test_the_voice_follows_the_piper_voices_rate_and_speed():
    text = "Der Timer ist gestellt."
    at_22k = EspeakSynthesizer("de").synthesize_all(text)
    at_16k = EspeakSynthesizer("de", rate_hz=16000).synthesize_all(text)
    assert abs(at_16k.size / at_22k.size - 16000 / 22050) < 0.01
    slower = EspeakSynthesizer("de", TtsOptions(length_scale=2.0)).synthesize_all(text)
    assert slower.size > 1.5 * at_22k.size


def test_voice_names_per_language():
    assert [voice_name(c) for c in ("ar", "de", "fr", "es", "en", "pt_BR")] == [
        "ar", "de", "fr-fr", "es", "en-us", "pt-br"]


def test_a_reply_that_starts_with_a_dash_is_spoken_not_parsed():
    assert EspeakSynthesizer("es").synthesize_all("-5 grados.").size > 0


def test_missing_espeak_is_a_coded_error_with_the_install_step(no_espeak):
    voice = EspeakSynthesizer("ar")
    with pytest.raises(EspeakError) as err:
        list(voice.synthesize("مرحبا"))
    assert err.value.code == "tts.espeak_missing"
    assert "apt install espeak-ng" in err.value.hint


def test_a_language_espeak_cannot_speak_is_a_coded_error():
    with pytest.raises(EspeakError) as err:
        EspeakSynthesizer("jw").warm_up()
    assert err.value.code == "tts.no_voice"


@pytest.mark.parametrize(("text", "heard", "spoken_in"), [
    ("Le minuteur est réglé.", "fr", "fr"),
    ("تم ضبط المؤقت", "ar", "ar"),
    ("Timer set for 5 minutes.", "ar", "en"),  # the tool's English fallback
    ("It's 5:00 PM.", "en", "en"),
    ("Sorry, I can't help with that yet.", "", ""),
])
def test_the_reply_is_spoken_in_its_own_language(text, heard, spoken_in):
    assert reply_language(AgentReply(text), heard) == spoken_in


def test_the_agent_can_name_the_reply_language():
    @dataclasses.dataclass(frozen=True)
    class Named(AgentReply):  # what AgentReply.language would carry
        language: str = "en"

    assert reply_language(Named("Der Timer läuft.", language="de"), "fr") == "de"


@pytest.mark.slow
def test_english_goes_to_piper_and_other_languages_to_espeak(speech_store):
    from assistant.voice.stack import VoiceStack

    stack = VoiceStack(HeronConfig(), speech_store)
    try:
        assert stack.synthesizer_for("en") is stack.tts
        assert stack.synthesizer_for(None) is stack.tts
        arabic = stack.synthesizer_for("ar")
        assert arabic.name == "espeak-ng:ar"
        assert arabic.sample_rate_hz == stack.tts.sample_rate_hz
        assert stack.synthesizer_for("ar") is arabic  # made once
        assert stack.synthesizer_for("de-DE").name == "espeak-ng:de"
        stack.config = dataclasses.replace(stack.config, tts=TtsOptions(length_scale=1.5))
        assert stack.synthesizer_for("ar").options.length_scale == 1.5  # settings apply
    finally:
        stack.close()


@pytest.mark.slow
def test_without_espeak_a_foreign_reply_is_still_spoken_by_the_english_voice(
        speech_store, no_espeak, caplog):
    from assistant.voice.stack import VoiceStack

    stack = VoiceStack(HeronConfig(), speech_store)
    try:
        with caplog.at_level("WARNING"):
            assert stack.synthesizer_for("de") is stack.tts
            assert stack.synthesizer_for("de") is stack.tts
        told = [r for r in caplog.records if "espeak-ng is missing" in r.getMessage()]
        assert len(told) == 1  # said once, not per reply
    finally:
        stack.close()


def test_doctor_says_which_languages_and_voices():
    check = check_languages(HeronConfig(asr=AsrOptions(language="auto")))
    assert check.status == "ok"
    for code in ("en", "de", "fr", "es", "ar"):
        assert code in check.data["understood"]
    assert check.data["voices"]["other"] == "espeak-ng"
    assert check.data["espeak_ng"]["installed"] is True
    assert check.data["asr"]["model"] == "whisper-base"
    assert "none in a package" in check.data["note"]
    assert "detected per utterance" in check.detail


def test_doctor_warns_when_espeak_is_missing_for_a_non_english_setup(no_espeak):
    check = check_languages(HeronConfig(asr=AsrOptions(language="ar")))
    assert check.status == "warn"
    assert "apt install espeak-ng" in check.fix
    assert check.data["espeak_ng"]["installed"] is False
    english = check_languages(HeronConfig())
    assert english.status == "info"  # English users lose nothing


def test_understood_languages_are_in_both_whisper_and_the_intents_package():
    langs = understood_languages()
    assert "no" in langs and "nb" not in langs  # the package's nb is whisper's no
    assert "kw" not in langs  # Cornish: templates, but whisper does not hear it


def test_languages_with_only_device_sentences_are_not_called_understood():
    from assistant.doctor.language import covered_languages

    langs = understood_languages()
    assert {"en", "de", "fr", "es", "ar"} <= set(langs)
    # Estonian's templates have a few device-control sentences and none of our tools.
    assert "et" in covered_languages() and "et" not in langs
    row = check_languages(HeronConfig())
    assert "et" in row.data["device_control_only"]
    assert "device sentences only" in row.detail
