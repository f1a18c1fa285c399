"""The login autostart entry: written where the desktop looks, runs this install."""

from __future__ import annotations

import configparser

from assistant.desktop import autostart


def test_on_writes_a_valid_desktop_entry_and_off_removes_it(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    assert not autostart.is_enabled(env)
    path = autostart.set_enabled(True, env)
    assert path == tmp_path / "cfg" / "autostart" / "heron.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(path)
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Heron"
    assert section["Exec"].endswith(" run")
    assert autostart.is_enabled(env) and "on" in autostart.describe(env)
    autostart.set_enabled(False, env)
    assert not path.exists() and not autostart.is_enabled(env)
    autostart.set_enabled(False, env)  # already off: no error


def test_without_xdg_config_home_it_uses_dot_config(tmp_path):
    assert autostart.autostart_file({"HOME": str(tmp_path)}) == (
        tmp_path / ".config" / "autostart" / "heron.desktop")


def test_paths_with_spaces_are_quoted_as_the_desktop_entry_spec_says():
    text = autostart.entry_text(["/opt/my apps/heron", "run"])
    assert 'Exec="/opt/my apps/heron" run' in text
    assert 'Exec="/a/100%%" run' in autostart.entry_text(["/a/100%", "run"])  # %% is a %
