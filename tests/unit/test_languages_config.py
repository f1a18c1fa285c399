"""[asr] language: "auto", a code or "" (English); what model each one loads, and a
clear error for a code whisper does not know."""

from __future__ import annotations

import pytest

from assistant.config import ConfigError, load_config
from assistant.config_patch import update_config_file
from audio.asr import WHISPER_LANGUAGES, AsrOptions, WhisperTranscriber


def test_the_language_list_is_whispers_own():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(_LANGUAGE_CODES) == WHISPER_LANGUAGES


@pytest.mark.parametrize(("language", "model", "forced"), [
    ("", "whisper-tiny.en", None),  # today's behaviour: English tiny.en
    ("en", "whisper-tiny.en", "en"),
    ("auto", "whisper-base", None),
    ("de", "whisper-base", "de"),
    ("ar", "whisper-base", "ar"),
])
def test_the_language_picks_the_model(language, model, forced):
    options = AsrOptions(language=language)
    assert options.model_id == model
    assert options.forced_language == forced


def test_a_chosen_multilingual_model_is_kept():
    assert AsrOptions(model="whisper-base", language="").model_id == "whisper-base"
    assert AsrOptions(model="/models/my-small", language="fr").model_id == "/models/my-small"


def test_the_transcriber_loads_the_multilingual_model_for_auto(tmp_path):
    from models.store import ModelStore

    asr = WhisperTranscriber(AsrOptions(language="auto"), ModelStore(tmp_path))
    assert asr.name == "whisper-base"
    path, _hint = asr._model_path()
    assert path == tmp_path / "whisper-base"


@pytest.mark.parametrize("text", ['language = "klingon"', 'language = "DE"',
                                  'language = "auto"\ndetect_among = ["en", "xx"]'])
def test_an_unknown_language_is_a_config_error_with_the_next_step(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(f"[asr]\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.code == "config.invalid"
    assert "not a language whisper knows" in err.value.message
    assert "en, de, fr, es, ar" in err.value.message
    assert err.value.hint == "fix the [asr] section"


def test_the_settings_patch_writes_the_language(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# mine\n[asr]\nbeam_size = 1\n")
    config = update_config_file(path, {"asr": {"language": "ar"}})
    assert config.asr.language == "ar" and config.asr.model_id == "whisper-base"
    assert load_config(path).asr.language == "ar"
    assert "# mine" in path.read_text()
    with pytest.raises(ConfigError):
        update_config_file(path, {"asr": {"language": "arabic"}})
    assert load_config(path).asr.language == "ar"  # nothing written


def test_detect_among_reads_from_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[asr]\nlanguage = "auto"\ndetect_among = ["en", "ar"]\n')
    assert load_config(path).asr.detect_among == ("en", "ar")
