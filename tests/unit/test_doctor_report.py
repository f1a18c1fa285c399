"""`heron doctor` prints each check's status as the plain word, in JSON and as text."""

from __future__ import annotations

import json
from argparse import Namespace
from types import SimpleNamespace

import pytest

from assistant.cli import doctor_cmd
from assistant.doctor.check import Check, CheckStatus, DoctorReport


@pytest.fixture
def report(monkeypatch):
    checks = DoctorReport(tuple(Check(f"check {s}", s, f"it is {s}", fix="do this")
                                for s in CheckStatus))
    monkeypatch.setattr(doctor_cmd, "run_doctor", lambda *a, **k: checks)
    return checks


def _run(as_json: bool) -> int:
    return doctor_cmd.run(Namespace(json=as_json, verify=False),
                          SimpleNamespace(paths=None, store=None))


def test_doctor_json_has_each_status_and_severity_as_its_word(report, capsys):
    assert _run(as_json=True) == doctor_cmd.EXIT_MISSING
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert [(c["status"], c["severity"]) for c in out["checks"]] == [
        ("ok", ""), ("info", "info"), ("warn", "warning"), ("fail", "error")]


def test_doctor_text_labels_each_status_and_counts_the_failure(report, capsys):
    _run(as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:7] if "fix:" not in line] == [
        "ok", "info", "warn", "FAIL"]
    assert sum("fix: do this" in line for line in lines) == 3  # not for the ok check
    assert "1 essential problem(s)" in lines[-1]
