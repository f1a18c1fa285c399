import pytest

from assistant.config import ConfigError, HeronConfig, load_config


def test_defaults_without_a_file(tmp_path):
    cfg = load_config(tmp_path / "missing.toml")
    assert cfg == HeronConfig()
    assert cfg.wake.model == "hey_jarvis"
    assert cfg.asr.model == "whisper-tiny.en"


def test_values_are_read(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text('# mine\n[wake]\nmodel = "alexa"\nthreshold = 0.6\n'
                 '[endpoint]\nlong_silence_ms = 500\n[asr]\nmodel = "whisper-base"\n')
    cfg = load_config(f)
    assert cfg.wake.model == "alexa" and cfg.wake.threshold == 0.6
    assert cfg.endpoint.long_silence_ms == 500
    assert cfg.asr.model == "whisper-base"
    assert cfg.tts == HeronConfig().tts


def test_malformed_file_names_the_line(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text('[wake]\nmodel = "alexa"\nthreshold = = 0.5\n')
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.malformed"
    assert "line 3" in err.value.message
    assert err.value.exit_code == 5


@pytest.mark.parametrize("body,code,needle", [
    ('[wake]\nthreshhold = 0.5\n', "config.unknown_key", "wake.threshhold"),
    ('[endpoint]\nshort_silence_ms = "long"\n', "config.invalid", "endpoint.short_silence_ms"),
    ('[wake]\nenabled = 1\n', "config.invalid", "wake.enabled"),
    ('wake = 3\n', "config.invalid", "[wake]"),
    ('[nonsense]\n', "config.unknown_key", "nonsense"),
    ('[wake]\nnoise_gate_db = -3\n', "config.invalid", "wake.noise_gate_db"),
    ('[wake]\nnoise_gate_db = nan\n', "config.invalid", "wake.noise_gate_db"),
])
def test_invalid_settings_are_errors_not_ignored(tmp_path, body, code, needle):
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == code
    assert needle in err.value.message
    assert err.value.hint
