"""The last-error file is written whatever the error says, and recording it never
raises: its callers (the supervisor, the CLI) are the last line of defence."""

from __future__ import annotations

import logging
import os
import stat
import traceback

from assistant.last_error import record_last_error


def test_an_error_naming_a_non_utf8_file_is_recorded(tmp_path):
    # A Latin-1 file name, as os.listdir hands it over: lone surrogates, which an error
    # message quoting it without repr() keeps.
    name = os.fsdecode(b"caf\xe9 \xff.wav")
    try:
        raise ValueError(f"cannot decode {tmp_path / name}")
    except ValueError as err:
        caught = err
    path = record_last_error(tmp_path / "cache", caught, f"heron listen {name}")
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "ValueError: cannot decode" in text and "caf\\udce9 \\udcff.wav" in text
    assert "heron listen" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_a_failure_to_record_is_logged_not_raised(tmp_path, monkeypatch, caplog):
    def broken(err):
        raise ValueError("injected: formatting broke")

    monkeypatch.setattr(traceback, "format_exception", broken)
    with caplog.at_level(logging.ERROR, logger="assistant.last_error"):
        assert record_last_error(tmp_path / "cache", RuntimeError("boom")) is None
    assert "injected: formatting broke" in caplog.text
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
