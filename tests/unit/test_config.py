import pytest

from assistant.config import ConfigError, HeronConfig, load_config


def test_defaults_without_a_file(tmp_path):
    cfg = load_config(tmp_path / "missing.toml")
    assert cfg == HeronConfig()
    assert cfg.wake.model == "okay_nabu"
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
    ('[mcp.servers.ha]\nurl = "homeassistant.local:8123/api/mcp"\n', "config.invalid",
     "http:// or https://"),
    ('[mcp.servers.ha]\nurl = "http://h/mcp"\ncommand = ["x"]\n', "config.invalid",
     "not both"),
    ('[mcp.servers.ha]\ncommand = ["x"]\ntoken_name = "t"\n', "config.invalid",
     "token_name is sent to a url"),
    ('[mcp.servers.ha]\nurl = "http://h/mcp"\ntoken_name = "My Token"\n', "config.invalid",
     "token_name must be"),
    ('[mcp.servers.ha]\nenabled = true\n', "config.invalid", "or url ="),
    ('[asr]\nbackend = "tcp://gpu:10300"\n', "config.invalid", "wyoming://HOST:PORT"),
    ('[tts]\nbackend = "wyoming://gpu"\n', "config.invalid", "tts.backend"),
    ('[wake]\nbackend = "wyoming://pi:10400/x"\n', "config.invalid", "wake.backend"),
])
def test_invalid_settings_are_errors_not_ignored(tmp_path, body, code, needle):
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == code
    assert needle in err.value.message
    assert err.value.hint


@pytest.mark.parametrize("body,needle", [
    ("[permissions]\napproval_timeout_s = nan\n", "permissions.approval_timeout_s"),
    ("[permissions]\napproval_timeout_s = inf\n", "permissions.approval_timeout_s"),
    ("[permissions]\napproval_timeout_s = -inf\n", "permissions.approval_timeout_s"),
    ("[llm]\ntimeout_s = nan\n", "llm.timeout_s"),
    ("[llm]\ntimeout_s = -5\n", "llm.timeout_s"),
    ("[companion]\nlong_task_s = inf\n", "companion.long_task_s"),
    ("[endpoint]\nlong_silence_ms = -700\n", "endpoint.long_silence_ms"),
    ("[mcp.servers.x]\ncommand = [\"x\"]\ntimeout_s = nan\n", "mcp.servers.x.timeout_s"),
])
def test_non_finite_and_negative_durations_are_refused_naming_the_key(tmp_path, body, needle):
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.invalid"
    assert needle in err.value.message and str(f) in err.value.message
    assert err.value.hint


@pytest.mark.parametrize("port", [99999, 65536, -1])
def test_a_port_outside_its_range_names_the_key_and_the_range(tmp_path, port):
    f = tmp_path / "config.toml"
    f.write_text(f"[companion]\nport = {port}\n")
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.invalid"
    assert "companion.port" in err.value.message
    assert "0" in err.value.message and "65535" in err.value.message


@pytest.mark.parametrize("port", [0, 1, 8765, 65535])
def test_ports_in_range_are_kept(tmp_path, port):
    f = tmp_path / "config.toml"
    f.write_text(f"[companion]\nport = {port}\n")
    assert load_config(f).companion.port == port


@pytest.mark.parametrize(("body", "key", "allowed"), [
    ("[companion]\nmax_auth_failures = 0\n", "companion.max_auth_failures", "at least 1"),
    ("[companion]\nmax_auth_failures = -5\n", "companion.max_auth_failures", "at least 1"),
    ("[vad]\nthreshold = 1.5\n", "vad.threshold", "from 0.0 to 1.0"),
    ("[vad]\nthreshold = -0.1\n", "vad.threshold", "from 0.0 to 1.0"),
    ("[asr]\nbeam_size = 0\n", "asr.beam_size", "from 1 to 32"),
    ("[asr]\ncpu_threads = -1\n", "asr.cpu_threads", "from 0 to 256"),
    ("[asr]\ncpu_threads = 100000000000000000000\n", "asr.cpu_threads", "from 0 to 256"),
    ("[llm]\nmax_retries = -1\n", "llm.max_retries", "at least 0"),
    ("[endpoint]\nmax_utterance_ms = 0\n", "endpoint.max_utterance_ms", "at least 1"),
])
def test_settings_outside_their_declared_range_name_the_key_and_the_range(tmp_path, body,
                                                                          key, allowed):
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.invalid"
    assert key in err.value.message and allowed in err.value.message, err.value.message
    assert allowed in err.value.hint


def test_settings_at_the_edges_of_their_ranges_are_kept(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text("[companion]\nmax_auth_failures = 1\n[vad]\nthreshold = 1.0\n"
                 "[asr]\ncpu_threads = 0\nbeam_size = 32\n[llm]\nmax_retries = 0\n"
                 "[endpoint]\nmax_utterance_ms = 1\n")
    cfg = load_config(f)
    assert (cfg.companion.max_auth_failures, cfg.vad.threshold) == (1, 1.0)
    assert (cfg.asr.cpu_threads, cfg.asr.beam_size, cfg.llm.max_retries) == (0, 32, 0)
    assert cfg.endpoint.max_utterance_ms == 1


def test_a_huge_integer_in_a_float_setting_is_refused_as_not_finite(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text(f"[vad]\nthreshold = 1{'0' * 400}\n")
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert "vad.threshold" in err.value.message and "finite" in err.value.message
    assert len(err.value.message) < len(str(f)) + 200  # the 401 digits are cut short


@pytest.mark.parametrize("value", [
    "[" * 10_000 + "]" * 10_000,
    "{a=" * 10_000 + "1" + "}" * 10_000,
    "[" * 65 + "]" * 65,
])
def test_deeply_nested_values_are_a_config_error_naming_the_line(tmp_path, value):
    f = tmp_path / "config.toml"
    f.write_text(f'# mine\n[wake]\nmodel = "alexa"\nx = {value}\n')
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.code == "config.too_deep"
    assert f"{f}:4:" in err.value.message and "nested" in err.value.message
    assert err.value.exit_code == 5


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text('[wake]\nmodel = "' + "[" * 200 + '"  # ' + "{" * 200 + "\n")
    assert load_config(f).wake.model == "[" * 200


def test_an_http_mcp_server_is_read_with_its_token_name(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text('[mcp.servers.ha]\nurl = "http://homeassistant.local:8123/api/mcp"\n'
                 'token_name = "ha_token"\n')
    ha = load_config(f).mcp.servers["ha"]
    assert (ha.url, ha.token_name, ha.command) == (
        "http://homeassistant.local:8123/api/mcp", "ha_token", ())
    assert ha.where == ha.url and ha.confirm == "always"
