"""Capability checks: what a grant covers, and that every use is recorded."""

from __future__ import annotations

import asyncio
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


def read_text(fd, _real):
    return os.read(fd, 100).decode()


def test_every_use_is_recorded_allowed_or_not(tmp_path):
    (tmp_path / "x").write_text("granted")
    rows, record = recorder()
    caps = Capabilities("reader", [f"fs.read:{tmp_path}/**"], record)
    assert asyncio.run(caps.use_path(tmp_path / "x", "read", os.O_RDONLY, read_text)) == (
        str(tmp_path / "x"), "granted")
    with pytest.raises(CapabilityDenied):
        asyncio.run(caps.use_path("/etc/shadow", "read", os.O_RDONLY, read_text))
    with pytest.raises(CapabilityDenied):
        asyncio.run(caps.use_path(tmp_path / "x", "write", os.O_WRONLY, read_text))
    assert [(r[1], r[2]) for r in rows] == [
        (str(tmp_path / "x"), True), ("/etc/shadow", False), (str(tmp_path / "x"), False)]
    assert caps.covers(str(tmp_path / "x"), "read") and not caps.covers("/etc", "read")
    assert not caps.covers(str(tmp_path / "x"), "write")


def test_the_racy_check_then_open_api_is_gone():
    assert not hasattr(Capabilities, "check_path")  # a name checked is not what is opened


def test_a_missing_file_inside_the_grant_is_audited_too(tmp_path):
    """Else a worker could find out unseen which files exist inside its grant."""
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.read:{tmp_path}/**"], record)
    for missing in (tmp_path / "nope.txt", tmp_path / "no-dir" / "nope.txt"):
        with pytest.raises(FileNotFoundError):
            asyncio.run(caps.use_path(missing, "read", os.O_RDONLY, read_text))
    assert rows == [(f"fs.read:{tmp_path}/**", str(tmp_path / "nope.txt"), True,
                     "open failed: No such file or directory"),
                    (f"fs.read:{tmp_path}/**", str(tmp_path / "no-dir" / "nope.txt"), True,
                     "open failed: No such file or directory")]


def test_a_missing_folder_below_the_base_but_outside_the_pattern_is_a_refusal(tmp_path):
    """Not "not found": that would say what exists where the grant does not reach."""
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.read:{tmp_path}/a/**/x/*.txt"], record)
    with pytest.raises(CapabilityDenied):
        asyncio.run(caps.use_path(tmp_path / "a" / "nope" / "z.md", "read", os.O_RDONLY,
                                  read_text))
    assert [(r[1], r[2]) for r in rows] == [(str(tmp_path / "a" / "nope" / "z.md"), False)]


def test_a_file_thousands_of_folders_deep_is_read_and_audited(tmp_path):
    """The glob matcher once recursed per folder: ~500 deep it raised RecursionError,
    with no audit row, out of the worker host."""
    deep = tmp_path.joinpath(*["d"] * 600)
    deep.mkdir(parents=True)
    (deep / "f.txt").write_text("deep")
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.read:{tmp_path}/**"], record)
    real, text = asyncio.run(caps.use_path(deep / "f.txt", "read", os.O_RDONLY, read_text))
    assert (real, text) == (str(deep / "f.txt"), "deep")
    assert rows == [(f"fs.read:{tmp_path}/**", str(deep / "f.txt"), True, "")]


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


def test_a_star_never_crosses_a_slash_after_a_double_star():
    glob = "/home/u/a/**/x/*.txt"
    assert not path_matches("/home/u/a/b/x/y/z.txt", glob)  # * is one name, not y/z.txt
    assert path_matches("/home/u/a/b/x/z.txt", glob)
    assert path_matches("/home/u/a/b/c/d/x/z.txt", glob)  # ** is any number of folders
    assert path_matches("/home/u/a/x/z.txt", glob)  # … none too
    assert not path_matches("/home/u/a/b/x/z.md", glob)
    assert not path_matches("/home/u/ab/x/z.txt", glob)
    assert path_matches("/srv/a/b/c.txt", "/srv/**/*.txt")
    assert not path_matches("/srv/a/b/c.txt", "/srv/*/c.txt")
    assert path_matches("/srv", "/srv/**") and path_matches("/srv/a/b", "/srv/**")


def test_use_path_refuses_what_a_double_star_glob_does_not_cover(tmp_path):
    deep = tmp_path / "a" / "b" / "x" / "y"
    deep.mkdir(parents=True)
    (deep / "z.txt").write_text("too deep")
    (deep.parent / "z.txt").write_text("covered")
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.read:{tmp_path}/a/**/x/*.txt"], record)

    def read(fd, _real):
        return os.read(fd, 100).decode()

    assert asyncio.run(caps.use_path(deep.parent / "z.txt", "read", os.O_RDONLY, read)) == (
        str(deep.parent / "z.txt"), "covered")
    with pytest.raises(CapabilityDenied):
        asyncio.run(caps.use_path(deep / "z.txt", "read", os.O_RDONLY, read))
    assert [(r[1], r[2]) for r in rows] == [(str(deep.parent / "z.txt"), True),
                                            (str(deep / "z.txt"), False)]


def test_the_audit_row_names_what_was_really_opened(tmp_path):
    granted = tmp_path / "granted"
    (granted / "real").mkdir(parents=True)
    (granted / "real" / "notes.txt").write_text("hello")
    (granted / "alias.txt").symlink_to("real/notes.txt")
    (tmp_path / "secret.txt").write_text("secret")
    (granted / "harmless.txt").symlink_to(tmp_path / "secret.txt")
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.read:{granted}/**"], record)

    def read(fd, _real):
        return os.read(fd, 100).decode()

    real, text = asyncio.run(caps.use_path(granted / "alias.txt", "read", os.O_RDONLY, read))
    assert (real, text) == (str(granted / "real" / "notes.txt"), "hello")
    with pytest.raises(CapabilityDenied) as err:
        asyncio.run(caps.use_path(granted / "harmless.txt", "read", os.O_RDONLY, read))
    assert str(tmp_path / "secret.txt") in err.value.message
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (f"fs.read:{granted}/**", str(granted / "real" / "notes.txt"), True),
        ("fs.read:<glob>", str(tmp_path / "secret.txt"), False)]


@pytest.mark.parametrize("kind", ["read", "write"])
def test_a_nul_byte_in_a_path_is_a_coded_refusal(tmp_path, kind):
    rows, record = recorder()
    caps = Capabilities("w", [f"fs.{kind}:{tmp_path}/**"], record)
    for flags in (os.O_RDONLY, os.O_WRONLY | os.O_CREAT):
        with pytest.raises(CodedError) as err:
            asyncio.run(caps.use_path(f"{tmp_path}/a\x00b", kind, flags,
                                      lambda fd, real: None))
        assert err.value.code == "capability.bad_path"
        assert "NUL" in err.value.message and err.value.hint
    assert [r[2] for r in rows] == [False, False]
