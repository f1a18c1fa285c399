"""A broken config.toml or worker manifest, as a user meets it on the command line:
exit code 5 (config) or a `file:line:col` problem (manifest), a message naming the key
or the line, and never a traceback or an "internal" error."""

import shutil
from pathlib import Path

import pytest
from helpers import REPO, run_heron

FIXTURES = REPO / "tests" / "fixtures" / "workers"
DEEP = 10_000


def with_config(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")
    return home


def assert_clean_failure(r, exit_code: int) -> list[str]:
    assert r.returncode == exit_code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert lines and lines[0].startswith("heron: "), r.stderr
    return lines


@pytest.mark.parametrize(("body", "line", "says"), [
    (f"[wake]\nmodel = {'[' * DEEP}{']' * DEEP}\n", 2, "nested more than"),
    (f"# mine\n\n[companion]\nx = {'{a=' * DEEP}1{'}' * DEEP}\n", 4, "nested more than"),
])
def test_deep_nesting_in_config_is_a_config_error_naming_the_line(tmp_path, body, line,
                                                                   says):
    home = with_config(tmp_path, body)
    lines = assert_clean_failure(run_heron(home, "ask", "what time is it", timeout=120), 5)
    config = home / "config" / "config.toml"
    assert f"{config.resolve()}:{line}:" in lines[0] and says in lines[0]
    assert "[config.too_deep]" in lines[0]


@pytest.mark.parametrize(("body", "key", "says"), [
    ("[companion]\nport = 99999\n", "companion.port", "from 0 to 65535"),
    ("[permissions]\napproval_timeout_s = nan\n", "permissions.approval_timeout_s", "finite"),
    ("[permissions]\napproval_timeout_s = inf\n", "permissions.approval_timeout_s", "finite"),
    ("[permissions]\napproval_timeout_s = -1\n", "permissions.approval_timeout_s", "at least"),
    ("[companion]\nlong_task_s = -3\n", "companion.long_task_s", "at least 0"),
    # TOML integers are unbounded; one past float's range must not overflow the check.
    (f"[permissions]\napproval_timeout_s = 1{'0' * 400}\n",
     "permissions.approval_timeout_s", "finite"),
    (f"[companion]\nlong_task_s = -1{'0' * 400}\n", "companion.long_task_s", "finite"),
])
def test_values_out_of_range_name_the_key(tmp_path, body, key, says):
    home = with_config(tmp_path, body)
    lines = assert_clean_failure(run_heron(home, "ask", "what time is it", timeout=120), 5)
    assert key in lines[0] and says in lines[0], lines[0]
    assert "[config.invalid]" in lines[0]


@pytest.mark.parametrize(("addition", "code", "says"), [
    (f"\n[input_schema.properties.deep]\ntype = \"array\"\ndefault = "
     f"{'[' * DEEP}{']' * DEEP}\n", "manifest.too_deep", "nested more than"),
    ("\n[input_schema.properties.deep]\ntype = \"object\"\nproperties."
     + ".".join(["a"] * DEEP) + " = 1\n", "manifest.too_deep", "nested more than"),
    ("\n[input_schema.properties.evil]\ntype = \"string\"\npattern = '^(a+)\\1$'\n",
     "manifest.bad_pattern", "RE2"),
])
def test_a_manifest_that_would_crash_the_checker_is_a_located_problem(tmp_path, addition,
                                                                      code, says):
    worker = Path(shutil.copytree(FIXTURES / "good" / "word_count", tmp_path / "w"))
    manifest = worker / "heron-worker.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text + addition, encoding="utf-8")
    line = text.count("\n") + 4  # the last line of `addition`
    r = run_heron(tmp_path / "home", "workers", "validate", str(worker), timeout=120)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith(f"{manifest}:{line}:"), (first, line)
    assert says in first and f"[{code}]" in first
