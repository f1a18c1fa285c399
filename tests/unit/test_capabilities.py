"""Capability checks: what a grant covers, and that every use is recorded."""

from __future__ import annotations

import os

import pytest

from assistant.tools.capabilities import (
    Capabilities,
    CapabilityDenied,
    host_matches,
    path_matches,
    scope_problem,
)
from models.errors import CodedError


def recorder():
    rows: list[tuple] = []
    return rows, lambda *row: rows.append(row)


@pytest.mark.parametrize("scope", ["fs.read:**", "fs.read:docs/**", "fs.write:*.txt",
                                   "net:", "fs.read:", "camera.roll", "net:exa mple.com"])
def test_bad_scopes_are_refused(scope):
    assert scope_problem(scope)


@pytest.mark.parametrize("scope", ["fs.read:~/**", "fs.write:/tmp/heron/*.txt", "net:*.example.com",
                                   "net:example.com:443", "shell", "clipboard.read"])
def test_good_scopes_pass(scope):
    assert scope_problem(scope) is None


def test_globs_cover_real_paths_only(tmp_path):
    inside = tmp_path / "granted"
    inside.mkdir()
    (inside / "a.txt").write_text("x")
    os.symlink("/etc/passwd", inside / "link")
    glob = f"{inside}/**"
    assert path_matches(inside / "a.txt", glob)
    assert not path_matches(inside / "link", glob)  # a symlink out is judged by its target
    assert not path_matches(inside / ".." / "other", glob)
    assert not path_matches("/etc/passwd", "**")  # a relative glob matches nothing
    assert path_matches("/etc/passwd", "/**")
    assert not path_matches(inside / "a.txt", f"{tmp_path}/*.txt")  # * stays in one dir


def test_hosts_and_ports():
    assert host_matches("api.example.com:443", "*.example.com")
    assert not host_matches("evil-example.com", "*.example.com")
    assert host_matches("example.com:443", "example.com:443")
    assert not host_matches("example.com:22", "example.com:443")
    assert host_matches("example.com:22", "example.com")  # no port in the grant: any


def test_every_check_is_recorded_allowed_or_not(tmp_path):
    rows, record = recorder()
    caps = Capabilities("reader", [f"fs.read:{tmp_path}/**"], record)
    assert caps.check_path(tmp_path / "x", "read") == tmp_path / "x"
    with pytest.raises(CapabilityDenied):
        caps.check_path("/etc/shadow", "read")
    with pytest.raises(CapabilityDenied):
        caps.check_path(tmp_path / "x", "write")
    assert [(r[1], r[2]) for r in rows] == [
        (str(tmp_path / "x"), True), ("/etc/shadow", False), (str(tmp_path / "x"), False)]


def test_programs_run_only_with_the_shell_scope(tmp_path):
    rows, record = recorder()
    with pytest.raises(CapabilityDenied):
        Capabilities("w", [], record).run_command(["echo", "hi"])
    out = Capabilities("w", ["shell"], record).run_command(["echo", "hi; rm -rf /"])
    assert out == {"returncode": 0, "stdout": "hi; rm -rf /\n", "stderr": ""}  # no shell
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("shell", "echo hi", False), ("shell", "echo 'hi; rm -rf /'", True)]
    with pytest.raises(CodedError) as err:
        Capabilities("w", ["shell"], record).run_command(["sleep", "5"], timeout_s=0.2)
    assert err.value.code == "shell.timeout"
    with pytest.raises(CodedError) as err:
        Capabilities("w", ["shell"], record).run_command(["no-such-program-here"])
    assert err.value.code == "shell.not_found"
