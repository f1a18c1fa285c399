"""Worker manifests: every kind of mistake is rejected with file:line:column and a
stable code, and the manifest feeds the router, the OpenAI and the MCP tool lists."""

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from assistant.agent.router import Router
from assistant.tools.manifest import (
    HOST_API_VERSION,
    SCHEMA_FILE,
    ToolManifest,
    api_problems,
    in_range,
)
from assistant.tools.registry import ToolSource, ToolSourceKind
from assistant.workers.discovery import load_worker
from assistant.workers.toml_positions import key_positions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workers"
BUILTIN = {"get_time": ToolSource(ToolSourceKind.BUILTIN)}


def problems_of(path: Path, known=None):
    spec, problems = load_worker(path, known or {})
    assert spec is None, "a broken worker was accepted"
    return problems


@pytest.mark.parametrize(("case", "code", "line", "column", "says"), [
    ("missing_field", "manifest.missing_field", 1, 1, "missing required field 'version'"),
    ("bad_name", "manifest.bad_name", 2, 1, "snake_case"),
    ("bad_semver", "manifest.bad_version", 3, 1, "got '1.2'"),
    ("bad_scope", "manifest.bad_scope", 11, 3, "unknown scope 'teleport'"),
    ("bad_effects", "manifest.bad_effects", 9, 1, "got 'explode'"),
    ("bad_confirm", "manifest.bad_confirm", 10, 1, "got 'sometimes'"),
    ("bad_input_schema", "manifest.bad_schema", 21, 1, "not a valid JSON Schema 2020-12"),
    ("incompatible_api", "manifest.incompatible_api", 4, 1, f"provides API {HOST_API_VERSION}"),
    ("toml_syntax", "manifest.toml_syntax", 5, 21, "TOML syntax error"),
    ("duplicate_name", "manifest.duplicate_name", 2, 1, "already exists (builtin)"),
    ("entry_missing", "manifest.entry_missing", 7, 1, "'missing.py' does not exist"),
])
def test_each_broken_manifest_is_rejected_with_its_position(case, code, line, column, says):
    problems = problems_of(FIXTURES / "broken" / case, BUILTIN)
    assert [(p.code, p.line, p.column) for p in problems] == [(code, line, column)]
    p = problems[0]
    assert says in p.message
    assert p.file.endswith(f"broken/{case}/heron-worker.toml")
    assert str(p).startswith(f"{p.file}:{line}:{column}: ")


def test_incompatible_api_names_both_versions():
    [(code, message)] = api_problems("^2.0", host="1.4.0")
    assert code == "manifest.incompatible_api"
    assert "^2.0" in message and "1.4.0" in message


@pytest.mark.parametrize(("version", "spec", "ok"), [
    ("1.0.0", "^1.0", True), ("1.9.3", "^1.0", True), ("2.0.0", "^1.0", False),
    ("1.0.0", ">=1.0,<2", True), ("2.0.0", ">=1.0, <2", False), ("2.0.0-rc.1", "<2", False),
    ("1.2.9", "~1.2", True), ("1.3.0", "~1.2", False), ("0.3.4", "^0.3", True),
    ("0.4.0", "^0.3", False), ("1.4.0", "1.x", True), ("1.0.0", "*", True),
    ("1.0.0", "==1.0.0", True), ("1.0.1", "==1.0.0", False), ("1.0.0", ">1.0", False),
])
def test_host_api_ranges(version, spec, ok):
    assert in_range(version, spec) is ok


@pytest.mark.parametrize("spec", ["banana", "", ">=", "1.x.3", "^1.0 || ^2.0"])
def test_malformed_api_range_is_its_own_error(spec):
    [(code, message)] = api_problems(spec)
    assert code == "manifest.bad_api" and "^1.0" in message


def test_good_workers_pass_and_become_tool_manifests():
    spec, problems = load_worker(FIXTURES / "good" / "word_count", BUILTIN)
    assert problems == []
    m = spec.manifest
    assert (m.name, m.version, m.effects, m.builtin, spec.entry) == \
        ("word_count", "1.2.0", "read", False, "worker.py")
    shout, problems = load_worker(FIXTURES / "good" / "shout" / "heron-worker.toml")
    assert problems == [] and shout.manifest.version == "0.3.1-beta.2"
    assert shout.manifest.permissions == ("notify",) and shout.manifest.confirm == "once"


def test_every_problem_in_one_file_is_reported(tmp_path):
    wdir = tmp_path / "many"
    shutil.copytree(FIXTURES / "good" / "word_count", wdir)
    toml = wdir / "heron-worker.toml"
    text = toml.read_text()
    for old, new in (('name = "word_count"', 'name = "9lives"'),
                     ('effects = "read"', 'effects = "reed"'),
                     ('permissions = []', 'permissions = ["net:"]'),
                     ('type = "string"', 'type = "strnig"'),
                     ("examples = [", 'colour = "blue"\nexamples = ["count {nothing}", ')):
        text = text.replace(old, new)
    toml.write_text(text)
    problems = problems_of(wdir)
    assert [(p.code, p.line) for p in problems] == [
        ("manifest.bad_name", 2), ("manifest.bad_scope", 8), ("manifest.bad_effects", 9),
        ("manifest.unknown_field", 12), ("manifest.bad_examples", 13),
        ("manifest.bad_schema", 21)]
    assert "x-" in problems[3].message  # tells how to add one's own keys


def test_the_entry_file_is_checked_without_running_it(tmp_path):
    wdir = tmp_path / "w"
    shutil.copytree(FIXTURES / "good" / "word_count", wdir)
    (wdir / "worker.py").write_text("import os\nos.remove('/nonexistent')\n\ndef run(args\n")
    [p] = problems_of(wdir)
    assert p.code == "worker.entry_syntax" and p.file == str((wdir / "worker.py").resolve())
    assert p.line == 4
    (wdir / "worker.py").write_text("def main(args, caps):\n    return {}\n")
    assert [p.code for p in problems_of(wdir)] == ["worker.no_run"]
    toml = wdir / "heron-worker.toml"
    toml.write_text(toml.read_text().replace('"worker.py"', '"../w/worker.py"'))
    [p] = problems_of(wdir)
    assert p.code == "manifest.bad_entry" and "relative path" in p.message
    toml.write_text(toml.read_text().replace('"../w/worker.py"', '"sub/../../x/worker.py"'))
    [p] = problems_of(wdir)
    assert p.code == "manifest.bad_entry" and "outside the worker directory" in p.message


def test_no_manifest_is_a_clear_problem(tmp_path):
    [p] = problems_of(tmp_path)
    assert p.code == "worker.no_manifest" and "heron-worker.toml" in p.message


def test_positions_are_found_in_inline_tables_arrays_and_past_multiline_strings():
    text = ('description = """\nname = "not a key"\n"""\n'
            'permissions = [\n  "notify", # why\n  "shell",\n]\n'
            '[input_schema]\nproperties = { "a b" = { type = "string" } }\n'
            '[[x-steps]]\nk = 1\n[[x-steps]]\nk = 2\n')
    pos = key_positions(text)
    assert ("name",) not in pos
    assert pos[("permissions", 1)] == (6, 3)
    assert pos[("input_schema", "properties", "a b", "type")] == (9, 26)
    assert pos[("x-steps", 1, "k")] == (13, 1)


def test_the_manifest_schema_is_itself_valid_2020_12():
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_manifests_built_in_code_obey_the_same_rules():
    with pytest.raises(ValueError, match="unknown scope 'fs.delete:/'"):
        ToolManifest(name="wipe", title="Wipe", description="d", permissions=("fs.delete:/",),
                     input_schema={"type": "object"})
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        ToolManifest(name="odd", title="Odd", description="d",
                     input_schema={"type": "object", "properties": {"n": {"minimum": "0"}}})
    with pytest.raises(ValueError, match="needs host API"):
        ToolManifest(name="future", title="F", description="d", api=">=3",
                     input_schema={"type": "object"})


def test_one_manifest_feeds_router_openai_and_mcp():
    spec, _ = load_worker(FIXTURES / "good" / "word_count")
    m = spec.manifest
    route = Router([m]).route("count the words in hello there")
    assert route.tool == "word_count" and route.args == {"text": "hello there"}
    fn = m.openai_tool()["function"]
    assert fn["name"] == "word_count" and fn["description"] == m.description
    assert fn["parameters"]["properties"]["text"] == {"type": "string", "maxLength": 10000}
    mcp = m.mcp_tool()
    assert mcp["inputSchema"] == fn["parameters"] and "outputSchema" not in mcp
    assert mcp["annotations"]["readOnlyHint"] is True
    assert mcp["annotations"]["destructiveHint"] is False
    assert m.mcp_tool(with_output_schema=True)["outputSchema"]["properties"] == \
        {"count": {"type": "integer"}}


def test_mcp_hints_follow_effects_and_network_scopes():
    wipe = ToolManifest(name="wipe", title="Wipe", description="d", effects="destructive",
                        permissions=("net:api.example.com",), input_schema={"type": "object"})
    hints = wipe.mcp_tool()["annotations"]
    assert hints["readOnlyHint"] is False and hints["destructiveHint"] is True
    assert hints["openWorldHint"] is True


def worker_with(tmp_path, old: str, new: str):
    wdir = tmp_path / "w"
    shutil.copytree(FIXTURES / "good" / "word_count", wdir, dirs_exist_ok=True)
    toml = wdir / "heron-worker.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))
    return wdir


@pytest.mark.parametrize(("old", "new", "code", "line", "says"), [
    ("timeout_s = 5", "timeout_s = nan", "manifest.bad_timeout", 11,
     "timeout_s must be a finite number; got nan"),
    ("timeout_s = 5", "timeout_s = -nan", "manifest.bad_timeout", 11, "finite"),
    ("timeout_s = 5", "timeout_s = inf", "manifest.bad_timeout", 11, "at most 3600; got inf"),
    ("timeout_s = 5", "timeout_s = -1", "manifest.bad_timeout", 11, "above 0"),
    ("maxLength = 10000", "maximum = nan", "manifest.bad_schema", 21,
     "input_schema.properties.text.maximum must be a finite number"),
])
def test_nan_inf_and_negative_numbers_are_refused_naming_the_key(tmp_path, old, new, code,
                                                                 line, says):
    [p] = problems_of(worker_with(tmp_path, old, new))
    assert (p.code, p.line, p.column) == (code, line, 1)
    assert says in p.message


def test_manifests_built_in_code_refuse_a_nan_timeout():
    with pytest.raises(ValueError, match="timeout_s must be a finite number"):
        ToolManifest(name="slow", title="Slow", description="d", timeout_s=float("nan"),
                     input_schema={"type": "object"})


@pytest.mark.parametrize(("old", "new", "line", "column"), [
    ('examples = [', "x-deep = " + "[" * 10_000 + "]" * 10_000 + "\nexamples = [", 12, 74),
    ('examples = [', "x-deep = " + "{a=" * 10_000 + "1" + "}" * 10_000 + "\nexamples = [",
     12, 202),
    ('x-slot = "text"', 'x-slot = "text"\nitems.' + ".".join(["items"] * 10_000) + " = {}",
     23, 6 * 65),  # the 65th dot
])
def test_deep_nesting_is_a_located_problem_not_a_crash(tmp_path, old, new, line, column):
    [p] = problems_of(worker_with(tmp_path, old, new))
    assert (p.code, p.line, p.column) == ("manifest.too_deep", line, column)
    assert "nested more than 64 levels" in p.message


def test_an_oversized_manifest_is_refused_without_parsing(tmp_path):
    wdir = worker_with(tmp_path, "examples = [",
                       'x-padding = "' + "x" * 300_000 + '"\nexamples = [')
    [p] = problems_of(wdir)
    assert p.code == "manifest.too_large" and "262144" in p.message


def test_a_manifest_that_grows_after_stat_is_still_capped(tmp_path, monkeypatch):
    # The size is taken from what is read, not from stat: a file that is appended to (or
    # reports st_size 0, as /proc files do) cannot make Heron read all of it.
    wdir = worker_with(tmp_path, "examples = [",
                       'x-padding = "' + "x" * 300_000 + '"\nexamples = [')
    real_stat = Path.stat

    def small_stat(self, **kwargs):
        st = real_stat(self, **kwargs)
        if self.name != "heron-worker.toml":
            return st
        fields = list(st[:10])
        fields[6] = 100  # st_size: what it was before it grew
        return type(st)(fields)

    monkeypatch.setattr(Path, "stat", small_stat)
    [p] = problems_of(wdir)
    assert p.code == "manifest.too_large" and "262144" in p.message
