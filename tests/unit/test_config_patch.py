"""Settings saved from the tray keep the user's comments and never break the file."""

from __future__ import annotations

import pytest

from assistant.config import ConfigError, load_config
from assistant.config_patch import update_config_file

ORIGINAL = """# my Heron settings
[wake]
# a bit stricter, the dog barks a lot
threshold = 0.55  # was 0.5
enabled = true

[asr]
model = "whisper-tiny.en"
"""


def test_a_change_keeps_comments_and_other_values(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    config = update_config_file(path, {"wake": {"threshold": 0.6}})
    text = path.read_text()
    assert "# my Heron settings" in text and "# a bit stricter, the dog barks a lot" in text
    assert "threshold = 0.6" in text and 'model = "whisper-tiny.en"' in text
    assert config.wake.threshold == pytest.approx(0.6)
    assert load_config(path).wake.threshold == pytest.approx(0.6)


def test_a_new_section_is_added_and_a_missing_file_created(tmp_path):
    path = tmp_path / "new" / "config.toml"
    update_config_file(path, {"vision": {"exclude_titles": ("KeePassXC", "Bank")}})
    assert load_config(path).vision.exclude_titles == ("KeePassXC", "Bank")
    update_config_file(path, {"tts": {"length_scale": 1.2}})
    config = load_config(path)
    assert config.tts.length_scale == pytest.approx(1.2)
    assert config.vision.exclude_titles == ("KeePassXC", "Bank")
    assert (path.stat().st_mode & 0o777) == 0o600


def test_an_invalid_value_is_refused_and_the_file_is_unchanged(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    with pytest.raises(ConfigError) as err:
        update_config_file(path, {"wake": {"threshold": "loud"}})
    assert err.value.code.startswith("config.")
    assert path.read_text() == ORIGINAL
    assert not [p for p in tmp_path.iterdir() if p.name != "config.toml"]  # no temp left
