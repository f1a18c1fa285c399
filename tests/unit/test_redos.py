"""A worker's or MCP server's input schema cannot stall Heron: its regular expressions
run on RE2, a pattern RE2 cannot take is refused at load, validation runs off the event
loop within a time budget, and oversized arguments are refused before any of it.

The catastrophic pattern is the one from issue 13: on Python's re, `^(\\w+\\s?)*$`
against a few dozen letters and a "!" takes longer than the universe is old."""

import asyncio
import json
import time
from pathlib import Path

import mcp_types as types
import pytest

from assistant.mcp.client import proxy_manifest
from assistant.mcp.options import McpServerOptions
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolSource, ToolSourceKind
from assistant.workers.discovery import load_worker

EVIL = r"^(\w+\s?)*$"
# Python's re needs seconds for this (each extra letter doubles it); RE2 microseconds.
PATHOLOGICAL = "a" * 27 + "!"
MANIFEST = """\
name = "{name}"
version = "1.0.0"
api = "^1.0"
title = "Schema test"
description = "A worker whose input schema is the test."
entry = "worker.py"
permissions = []
effects = "read"
"""


class Recorder:
    """A third-party tool as the registry sees it; notes whether it ever ran."""

    def __init__(self, manifest):
        self.manifest, self.ran = manifest, []

    async def run(self, args, ctx):
        self.ran.append(args)
        return {"speech": "done"}


class Asked:
    """A user who is never meant to be asked: validation comes before the policy."""

    def __init__(self):
        self.asked = []

    async def ask(self, request):
        self.asked.append(request)
        return request.yes


def worker(tmp_path: Path, schema: dict, name: str = "schema_test") -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "worker.py").write_text("def run(args, caps):\n    return {}\n")
    # JSON is valid TOML for a table's value when written inline: keep it simple.
    (d / "heron-worker.toml").write_text(
        MANIFEST.format(name=name) + "input_schema = " + _inline(schema) + "\n")
    return d


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def register(core, tmp_path, schema, name="schema_test") -> Recorder:
    spec, problems = load_worker(worker(tmp_path, schema, name))
    assert problems == [], problems
    tool = Recorder(spec.manifest)
    core.registry.register(tool, ToolSource(ToolSourceKind.PATH, str(spec.dir)))
    return tool


async def while_ticking(coro):
    """Run `coro` while another coroutine ticks; returns (result, ticks while it ran,
    the longest the loop went without a tick)."""
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = time.monotonic()
    result = await coro
    end = time.monotonic()
    stop.set()
    await task
    during = [t for t in ticks if start <= t <= end]
    marks = [start, *during, end]
    return result, len(during), max(b - a for a, b in zip(marks, marks[1:], strict=False))


@pytest.mark.parametrize(("schema", "args", "says"), [
    ({"type": "object", "properties": {"text": {"type": "string", "pattern": EVIL}}},
     {"text": PATHOLOGICAL}, "does not match"),
    ({"type": "object", "patternProperties": {EVIL: {"type": "string"}},
      "additionalProperties": False},
     {PATHOLOGICAL: "x"}, "not match any of the regexes"),
    ({"type": "object", "patternProperties": {EVIL: {"type": "integer"}}},
     {PATHOLOGICAL: "x", "fine": 1}, None),
    ({"type": "object", "x-hidden": {"type": "string", "pattern": EVIL},  # reached by $ref
      "properties": {"text": {"$ref": "#/x-hidden"}}},
     {"text": PATHOLOGICAL}, "does not match"),
    # jsonschema compares unhashable items pairwise: ~10 million comparisons here.
    ({"type": "object", "properties": {"rows": {"type": "array", "uniqueItems": True}}},
     {"rows": [{"n": i} for i in range(4_500)] + [{"n": 1.0}]}, "has non-unique elements"),
])
def test_costly_keywords_run_in_linear_time(core, tmp_path, schema, args, says):
    tool = register(core, tmp_path, schema)
    core.registry.prompter = Asked()
    outcome, _, stalled_s = asyncio.run(
        while_ticking(core.registry.call(ToolCall("schema_test", args))))
    assert stalled_s < 2.0, f"the event loop stalled for {stalled_s:.1f} s"
    if says is None:  # the pattern does not match the key: nothing to check, it runs
        assert outcome.status == "ok" and tool.ran == [args]
    else:
        assert (outcome.status, outcome.code) == ("invalid", "tool.invalid_args")
        assert says in outcome.error and tool.ran == []


def test_the_loop_keeps_answering_while_a_costly_schema_is_checked(core, tmp_path):
    # Each level checks the one below twice: 2**24 checks, which no machine finishes
    # within the 1 s budget; the deadline is what bounds the cost of this test.
    # In a process as big as a running Heron (millions of objects) the interpreter's own
    # GIL switching let the loop go 0.9 s without a tick: the ballast makes this that.
    ballast = [{"n": [i]} for i in range(2_000_000)]
    defs = {"s0": {"type": "string", "pattern": "^x$"}}
    for i in range(1, 25):
        defs[f"s{i}"] = {"anyOf": [{"$ref": f"#/$defs/s{i - 1}"}] * 2}
    schema = {"type": "object", "$defs": defs, "properties": {"text": {"$ref": "#/$defs/s24"}}}
    tool = register(core, tmp_path, schema)
    user = core.registry.prompter = Asked()
    outcome, ticks, _ = asyncio.run(
        while_ticking(core.registry.call(ToolCall("schema_test", {"text": "y"}))))
    assert (outcome.status, outcome.code) == ("invalid", "tool.validation_timeout")
    assert "took longer than 1 s" in outcome.error
    assert ticks >= 3, "the event loop did not run while the arguments were checked"
    assert tool.ran == [] and user.asked == [] and len(ballast) == 2_000_000
    [row] = [e for e in core.audit.entries() if e["kind"] == "call"]
    assert (row["tool"], row["status"], row["code"]) == ("schema_test", "invalid",
                                                         "tool.validation_timeout")
    # The next call to the same tool is answered normally.
    outcome = asyncio.run(core.registry.call(ToolCall("schema_test", {"text": 5})))
    assert outcome.status == "invalid"


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("args", "says"), [
    ({"seconds": 60, "label": nested(10_000)}, "nested more than 32 levels"),
    ({"seconds": 60, "label": "x" * 2_000_000}, "longer than 1000000 characters"),
    ({"seconds": 60, "label": list(range(20_000))}, "more than 10000 values"),
])
def test_huge_or_deep_arguments_are_refused_before_validation(core, args, says):
    outcome = asyncio.run(core.registry.call(ToolCall("set_timer", args)))
    assert (outcome.status, outcome.code) == ("invalid", "tool.invalid_args")
    assert says in outcome.error
    assert core.timers.pending() == []
    [row] = [e for e in core.audit.entries() if e["kind"] == "call"]
    assert row["status"] == "invalid" and row["args"] == {}  # the bomb is not recorded
    assert not core.audit.verify()


def test_builtin_arguments_are_checked_as_before(core):
    outcome = asyncio.run(core.registry.call(ToolCall("set_timer", {"seconds": -5})))
    assert (outcome.status, outcome.code) == ("invalid", "tool.invalid_args")
    assert outcome.error == "-5 is less than the minimum of 1"


@pytest.mark.parametrize(("pattern_at", "pattern", "line", "column"), [
    ("pattern", r"^(a+)\1$", 15, 1),
    ("pattern", r"^(?=.*\d).+$", 15, 1),
    ("patternProperties", r"^(?!x-)", 14, 1),
])
def test_a_pattern_re2_cannot_take_is_refused_at_load(tmp_path, pattern_at, pattern,
                                                      line, column):
    d = tmp_path / "w"
    d.mkdir()
    (d / "worker.py").write_text("def run(args, caps):\n    return {}\n")
    table = ("[input_schema.properties.text]\ntype = \"string\"\n"
             f"pattern = '{pattern}'\n" if pattern_at == "pattern" else
             f"[input_schema.patternProperties]\n'{pattern}' = {{ type = \"string\" }}\n")
    (d / "heron-worker.toml").write_text(
        MANIFEST.format(name="regex_test") + "\n[input_schema]\ntype = \"object\"\n\n" + table)
    spec, problems = load_worker(d)
    assert spec is None
    [p] = problems
    assert p.code == "manifest.bad_pattern" and (p.line, p.column) == (line, column)
    assert "RE2" in p.message and pattern in p.message


def test_unevaluated_properties_with_pattern_properties_is_refused(tmp_path):
    schema = {"type": "object", "patternProperties": {"^a": {"type": "string"}},
              "unevaluatedProperties": False}
    spec, problems = load_worker(worker(tmp_path, schema))
    assert spec is None
    assert [p.code for p in problems] == ["manifest.bad_pattern"]
    assert "unevaluatedProperties" in problems[0].message


def mcp_tool(schema) -> types.Tool:
    return types.Tool(name="search", description="find things", input_schema=schema)


def test_an_mcp_tool_with_a_pattern_re2_cannot_take_is_not_added():
    schema = {"type": "object",
              "properties": {"q": {"type": "string", "pattern": r"^(?=.*\d).+$"}}}
    with pytest.raises(ValueError, match="RE2"):
        proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))


def test_an_mcp_tool_with_a_deeply_nested_schema_is_not_added():
    schema: dict = {"type": "object"}
    for _ in range(5_000):
        schema = {"type": "object", "properties": {"a": schema}}
    with pytest.raises(ValueError, match="nested more than"):
        proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))


# Fine within RE2's default of 8 MiB per compiled pattern, past Heron's 1 MiB.
HUNGRY = "x{1000}" * 100


def test_a_pattern_that_needs_too_much_memory_is_refused_at_load(tmp_path):
    schema = {"type": "object", "properties": {"q": {"type": "string", "pattern": HUNGRY}}}
    spec, problems = load_worker(worker(tmp_path, schema))
    assert spec is None
    [p] = problems
    assert p.code == "manifest.bad_pattern" and "pattern too large" in p.message


def test_an_mcp_tool_whose_pattern_needs_too_much_memory_is_not_added():
    schema = {"type": "object", "properties": {"q": {"type": "string", "pattern": HUNGRY}}}
    with pytest.raises(ValueError, match="pattern too large"):
        proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))


def test_an_mcp_tool_with_a_huge_schema_is_not_added():
    schema = {"type": "object", "properties": {
        f"p{i}": {"type": "string", "description": "d" * 1000} for i in range(300)}}
    with pytest.raises(ValueError, match="at most 262144 are accepted"):
        proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))
    schema["properties"] = dict(list(schema["properties"].items())[:200])  # ~210 KB
    assert proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))


def test_mcp_tool_arguments_are_validated_off_the_loop(core):
    schema = {"type": "object", "properties": {"q": {"type": "string", "pattern": EVIL}}}
    m = proxy_manifest("srv", mcp_tool(schema), McpServerOptions(command=("x",)))
    tool = Recorder(m)
    core.registry.register(tool, ToolSource(ToolSourceKind.MCP, "srv: x"))
    core.registry.prompter = Asked()
    outcome, _, stalled_s = asyncio.run(
        while_ticking(core.registry.call(ToolCall(m.name, {"q": PATHOLOGICAL}))))
    assert stalled_s < 2.0, f"the event loop stalled for {stalled_s:.1f} s"
    assert (outcome.status, outcome.code) == ("invalid", "tool.invalid_args")
    assert tool.ran == []
