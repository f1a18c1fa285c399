"""`heron workers list|validate|grants|revoke` as a user runs them (a real process, a
real HERON_HOME with a workers dir and a SQLite database)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from assistant.paths import HeronPaths
from assistant.permissions.approvals import ApprovalStore
from assistant.storage import Storage

FIXTURES = REPO / "tests" / "fixtures" / "workers"

# Runs the real CLI entry point; registers the workers command if main.py does not yet.
_MAIN = ("import sys\nfrom assistant.cli import main, workers_cmd\n"
         "if workers_cmd not in main.COMMAND_MODULES:\n"
         "    main.COMMAND_MODULES = (*main.COMMAND_MODULES, workers_cmd)\n"
         "sys.exit(main.main(sys.argv[1:]))\n")


def heron(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HERON_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def home(tmp_path) -> Path:
    workers = tmp_path / "home" / "data" / "workers"
    workers.mkdir(parents=True)
    for fixture in ("good/word_count", "good/shout", "broken/bad_scope"):
        shutil.copytree(FIXTURES / fixture, workers / Path(fixture).name)
    return tmp_path / "home"


def test_list_shows_builtins_and_workers_and_why_a_worker_is_missing(home):
    r = heron(home, "workers", "list", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    rows = {t["name"]: t for t in out["tools"]}
    assert rows["get_time"]["source"] == "builtin"
    assert rows["get_time"]["sandbox"] == "in process"
    shout = rows["shout"]
    assert (shout["version"], shout["source"], shout["effects"], shout["confirm"],
            shout["permissions"], shout["sandbox"]) == \
        ("0.3.1-beta.2", "path", "write", "once", ["notify"], "subprocess")
    assert shout["source_detail"] == str(home / "data" / "workers" / "shout")
    assert out["sandbox"]["wall_time"]["enforced"] is True  # what the host enforces here
    [p] = out["problems"]
    assert p["code"] == "manifest.bad_scope" and (p["line"], p["column"]) == (11, 3)
    text = heron(home, "workers", "list")
    assert text.returncode == 0
    assert "word_count" in text.stdout and "1.2.0" in text.stdout
    assert "Sandbox for third-party workers on this machine:" in text.stdout
    assert "bad_scope/heron-worker.toml:11:3: unknown scope 'teleport'" in text.stdout


def test_validate_prints_each_problem_with_its_position_and_exits_2(home, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURES / "broken" / "bad_semver", bad)
    toml = bad / "heron-worker.toml"
    toml.write_text(toml.read_text().replace('"word_count"', '"shout"')
                    .replace('"never"', '"nope"'))
    r = heron(home, "workers", "validate", str(bad))
    assert r.returncode == 2
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{toml}:2:1: a tool named 'shout' already exists (path ")
    assert lines[1] == (f"{toml}:3:1: version must be semver MAJOR.MINOR.PATCH, "
                        "e.g. \"1.2.0\"; got '1.2' [manifest.bad_version]")
    assert lines[2].startswith(f"{toml}:10:1: confirm must be one of")
    assert "Traceback" not in r.stderr
    j = heron(home, "workers", "validate", str(toml), "--json")
    assert j.returncode == 2
    assert [(p["line"], p["column"], p["code"]) for p in json.loads(j.stdout)] == [
        (2, 1, "manifest.duplicate_name"), (3, 1, "manifest.bad_version"),
        (10, 1, "manifest.bad_confirm")]
    assert set(json.loads(j.stdout)[0]) == {"file", "line", "column", "code", "message"}


def test_validate_accepts_a_good_worker_even_the_installed_one_itself(home):
    r = heron(home, "workers", "validate", str(home / "data" / "workers" / "word_count"),
              "--json")
    assert (r.returncode, json.loads(r.stdout)) == (0, [])
    r = heron(home, "workers", "validate", str(FIXTURES / "broken" / "toml_syntax"))
    assert r.returncode == 2 and ":5:21: TOML syntax error" in r.stdout
    r = heron(home, "workers", "validate", str(home / "nowhere"))
    assert r.returncode == 2 and "worker.no_manifest" in r.stdout


def test_grants_and_revoke(home):
    storage = Storage(HeronPaths(home / "config", home / "data", home / "cache").db_file)
    store = ApprovalStore(storage)
    store.remember("shout", "always", "notify")
    store.remember("word_count", "never")
    storage.close()
    r = heron(home, "workers", "grants", "--json")
    assert r.returncode == 0, r.stderr
    assert [(g["tool"], g["scope"], g["answer"]) for g in json.loads(r.stdout)] == [
        ("shout", "notify", "always"), ("word_count", "*", "never")]
    text = heron(home, "workers", "grants").stdout
    assert "always allow" in text and "always deny" in text
    r = heron(home, "workers", "revoke", "shout", "--scope", "notify", "--json")
    assert (r.returncode, json.loads(r.stdout)["removed"]) == (0, 1)
    again = heron(home, "workers", "revoke", "shout")
    assert again.returncode == 2 and "workers.no_grant" in again.stderr
    assert "heron workers grants" in again.stderr
    left = json.loads(heron(home, "workers", "grants", "--json").stdout)
    assert [g["tool"] for g in left] == ["word_count"]


def test_allow_for_mcp_names_the_scopes_it_covers_and_revoke_forgets_it(home):
    r = heron(home, "workers", "allow", "shout", "--mcp")
    assert r.returncode == 0, r.stderr
    assert "MCP clients may now call shout without asking you first." in r.stdout
    assert "Undo with `heron workers revoke shout --mcp`." in r.stdout
    assert "send notifications to your phone, through the internet (notify)" in r.stdout
    grants = json.loads(heron(home, "workers", "grants", "--json").stdout)
    assert [(g["tool"], g["scope"], g["answer"]) for g in grants] == [
        ("shout", "mcp:notify", "always")]
    assert "allow for MCP clients" in heron(home, "workers", "grants").stdout
    without = heron(home, "workers", "allow", "shout")
    assert without.returncode == 2 and "--mcp" in without.stderr
    assert heron(home, "workers", "revoke", "shout").returncode == 0
    assert json.loads(heron(home, "workers", "grants", "--json").stdout) == []


def test_revoke_mcp_forgets_only_the_allow_for_mcp_clients(home):
    storage = Storage(HeronPaths(home / "config", home / "data", home / "cache").db_file)
    store = ApprovalStore(storage)
    store.remember("shout", "always", "notify")  # an "always" given by voice, say
    store.remember("word_count", "never")
    storage.close()
    hint = heron(home, "workers", "allow", "shout", "--mcp").stdout
    undo = hint.split("Undo with `", 1)[1].split("`", 1)[0].split()
    assert undo == ["heron", "workers", "revoke", "shout", "--mcp"]
    r = heron(home, "workers", *undo[2:], "--json")  # what the hint says, run as said
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"tool": "shout", "scope": None, "mcp": True,
                                    "removed": 1}
    left = json.loads(heron(home, "workers", "grants", "--json").stdout)
    assert [(g["tool"], g["scope"], g["answer"]) for g in left] == [
        ("shout", "notify", "always"), ("word_count", "*", "never")]
    again = heron(home, "workers", "revoke", "shout", "--mcp")
    assert again.returncode == 2 and "workers.no_grant" in again.stderr
    assert "for MCP clients" in again.stderr
    both = heron(home, "workers", "revoke", "shout", "--mcp", "--scope", "notify")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
