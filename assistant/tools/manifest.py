"""A tool's manifest: the single source for the router, the LLM tool list and MCP.

Built-in tools build a `ToolManifest` in code; third-party workers ship it as
`heron-worker.toml` (read by assistant/workers/manifest_file.py). Both are checked by the
same rules: the JSON Schema in manifest.schema.json plus what a schema cannot say
(nested JSON Schemas, scopes, the host API range, example placeholders).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, SchemaError

from assistant.nesting import MAX_DOCUMENT_DEPTH, measure
from assistant.permissions.schema_check import schema_problems
from assistant.tools.capabilities import scope_problem

HOST_API_VERSION = "1.0.0"
"""The worker API this Heron provides; a manifest's `api` range must include it."""

EFFECTS = ("read", "write", "destructive")
CONFIRM = ("never", "once", "session", "always")
SCHEMA_FILE = Path(__file__).with_name("manifest.schema.json")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ToolManifest:
    """Slots for the router are input_schema properties carrying "x-slot":
    duration (seconds) | text. `examples` use {slot} placeholders."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    version: str = "1.0.0"
    output_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    permissions: tuple[str, ...] = ()
    effects: str = "read"
    confirm: str = "never"
    timeout_s: float = 10.0
    examples: tuple[str, ...] = ()
    builtin: bool = False
    api: str = "^1.0"

    def __post_init__(self) -> None:
        problems = manifest_problems(self)
        if problems:
            raise ValueError(f"invalid manifest {self.name!r}: " + "; ".join(problems))

    def slots(self) -> dict[str, str]:
        props = self.input_schema.get("properties", {})
        return {k: v["x-slot"] for k, v in props.items() if "x-slot" in v}

    def to_document(self) -> dict[str, Any]:
        """The manifest as the fields of heron-worker.toml (without `entry`)."""
        return {"name": self.name, "version": self.version, "api": self.api,
                "title": self.title, "description": self.description,
                "input_schema": self.input_schema, "output_schema": self.output_schema,
                "permissions": list(self.permissions), "effects": self.effects,
                "confirm": self.confirm, "timeout_s": self.timeout_s,
                "examples": list(self.examples)}

    def openai_tool(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": _strip_private(self.input_schema)}}

    def mcp_tool(self, with_output_schema: bool = False) -> dict[str, Any]:
        """The MCP `Tool` fields (pass to `mcp.types.Tool(**…)`). The hints describe
        what the tool declares; MCP clients must not treat them as a guarantee.
        outputSchema is opt-in: once given, MCP requires structured results."""
        tool: dict[str, Any] = {
            "name": self.name, "title": self.title, "description": self.description,
            "inputSchema": _strip_private(self.input_schema),
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.effects == "read",
                "destructiveHint": self.effects == "destructive",
                "openWorldHint": any(p.startswith("net:") for p in self.permissions),
            },
        }
        if with_output_schema:
            tool["outputSchema"] = _strip_private(self.output_schema)
        return tool


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a manifest: where (key path), a stable code, a message."""

    path: KeyPath
    code: str
    message: str


def manifest_problems(m: ToolManifest) -> list[str]:
    """Messages for everything wrong with a manifest built in code (empty when valid)."""
    doc = m.to_document()
    return [p.message for p in document_problems(doc, require_entry=False)]


def document_problems(doc: Any, require_entry: bool = True) -> list[FieldProblem]:
    """Everything wrong with a manifest document (a parsed heron-worker.toml). Schema
    rules first; the deeper checks only look at fields whose shape is right."""
    shape = measure(doc, max_depth=MAX_DOCUMENT_DEPTH + 1)  # +1: the field's own table
    if shape.depth > MAX_DOCUMENT_DEPTH + 1:  # the checks below recurse
        return [FieldProblem(shape.deepest, "manifest.too_deep",
                             f"{_dotted(shape.deepest[:1])} is nested more than "
                             f"{MAX_DOCUMENT_DEPTH} levels deep")]
    schema = manifest_schema()
    if not require_entry:
        schema = {**schema, "required": [r for r in schema["required"] if r != "entry"]}
    problems = [_field_problem(err, schema)
                for err in Draft202012Validator(schema).iter_errors(doc)]
    if not isinstance(doc, dict):
        return problems
    bad_fields = {p.path[0] for p in problems if p.path}
    problems += _non_finite_problems(doc, bad_fields, schema)
    bad_fields = {p.path[0] for p in problems if p.path}
    ok = {k: v for k, v in doc.items() if k not in bad_fields}
    for key in ("input_schema", "output_schema"):
        if key in ok:
            problems += _json_schema_problems(key, ok[key])
    for i, scope in enumerate(ok.get("permissions", ())):
        why = scope_problem(scope)
        if why:
            problems.append(FieldProblem(("permissions", i), "manifest.bad_scope", why))
    if "api" in ok:
        problems += [FieldProblem(("api",), code, msg) for code, msg in api_problems(ok["api"])]
    if "examples" in ok and "input_schema" in ok:
        problems += _example_problems(ok["examples"], ok["input_schema"])
    return problems


def manifest_from_document(doc: dict[str, Any], builtin: bool = False) -> ToolManifest:
    """A ToolManifest from a document that `document_problems` passed."""
    defaults = ToolManifest.__dataclass_fields__
    return ToolManifest(
        name=doc["name"], title=doc["title"], description=doc["description"],
        input_schema=doc["input_schema"], version=doc["version"], api=doc["api"],
        output_schema=doc.get("output_schema", {"type": "object"}),
        permissions=tuple(doc.get("permissions", ())), effects=doc["effects"],
        confirm=doc.get("confirm", defaults["confirm"].default),
        timeout_s=float(doc.get("timeout_s", defaults["timeout_s"].default)),
        examples=tuple(doc.get("examples", ())), builtin=builtin)


@cache
def manifest_schema() -> dict[str, Any]:
    """The manifest's own JSON Schema (2020-12), from manifest.schema.json."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def _field_problem(err: Any, schema: dict[str, Any]) -> FieldProblem:
    path: KeyPath = tuple(err.absolute_path)
    props = schema["properties"]
    if err.validator == "required" and not path:
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return FieldProblem((), "manifest.missing_field",
                            f"missing required field {missing!r}")
    if err.validator == "additionalProperties" and not path:
        extra = sorted(k for k in err.instance if k not in props and not k.startswith("x-"))
        return FieldProblem((extra[0],) if extra else (), "manifest.unknown_field",
                            f"unknown field(s) {', '.join(map(repr, extra))}; known: "
                            f"{', '.join(props)} (prefix your own keys with x-)")
    if err.validator == "type" and not path:
        return FieldProblem((), "manifest.invalid", "a manifest must be a TOML document "
                            "with keys such as name, version, api, …")
    spec = props.get(path[0], {}) if path else {}
    message = spec.get("x-error", err.message)
    if len(path) > 1 or err.validator == "uniqueItems":
        message = f"{message} ({err.message})"
    elif isinstance(err.instance, str | int | float | bool):
        message = f"{message}; got {err.instance!r}"
    return FieldProblem(path, spec.get("x-code", "manifest.invalid"), message)


def _json_schema_problems(key: str, schema: dict[str, Any]) -> list[FieldProblem]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return [FieldProblem((key, *err.path), "manifest.bad_schema",
                             f"{key} is not a valid JSON Schema 2020-12: {err.message}")]
    if key == "input_schema" and schema.get("type") != "object":
        return [FieldProblem((key,), "manifest.bad_schema",
                             'input_schema must describe an object: type = "object"')]
    return [FieldProblem((key, *path), "manifest.bad_pattern", f"{key}: {message}")
            for path, message in schema_problems(schema)]


def _non_finite_problems(doc: dict[str, Any], skip: set, schema: dict[str, Any]
                         ) -> list[FieldProblem]:
    """nan and ±inf anywhere: JSON has neither, and nan passes every numeric bound
    (`timeout_s = nan` would satisfy exclusiveMinimum 0 and maximum 3600)."""
    out = []
    stack: list[tuple[Any, KeyPath]] = [(v, (k,)) for k, v in doc.items() if k not in skip]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            spec = schema["properties"].get(path[0], {})
            out.append(FieldProblem(path, spec.get("x-code", "manifest.invalid"),
                                    f"{_dotted(path)} must be a finite number; got {value}"))
        elif isinstance(value, dict):
            stack += [(v, (*path, k)) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, (*path, i)) for i, v in enumerate(value)]
    return sorted(out, key=lambda p: tuple(map(str, p.path)))


def _dotted(path: KeyPath) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def _example_problems(examples: list[str], input_schema: dict[str, Any]) -> list[FieldProblem]:
    props = input_schema.get("properties", {})
    out = []
    for i, text in enumerate(examples):
        names = _PLACEHOLDER.findall(text)
        for name in names:
            if not _IDENT.match(name) or name not in props:
                out.append(FieldProblem(("examples", i), "manifest.bad_examples",
                                        f"example {text!r}: {{{name}}} is not a property "
                                        "of input_schema"))
        if len(set(names)) < len(names):
            out.append(FieldProblem(("examples", i), "manifest.bad_examples",
                                    f"example {text!r} uses a placeholder twice"))
    return out


def _strip_private(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_private(v) for k, v in schema.items() if not k.startswith("x-")}
    if isinstance(schema, list):
        return [_strip_private(v) for v in schema]
    return schema


# -- semver and host API ranges --------------------------------------------------------

Version = tuple[int, int, int, tuple[Any, ...]]
_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
                      r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_COMPARATOR = re.compile(r"^(>=|<=|>|<|==|=|\^|~)?([^<>=^~\s]\S*)$")


def parse_version(text: str) -> Version:
    """`MAJOR.MINOR.PATCH[-pre][+build]` as a sortable tuple; raises ValueError."""
    m = _VERSION.match(text.strip())
    if not m or m.group(2) is None or m.group(3) is None or not m.group(3).isdigit() \
            or not m.group(2).isdigit():
        raise ValueError(f"{text!r} is not a semver version")
    return _key(int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4))


def _key(major: int, minor: int, patch: int, pre: str | None) -> Version:
    # A pre-release sorts before its release: (…, (0, parts)) < (…, (1,)).
    if not pre:
        return (major, minor, patch, (1,))
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, (0, parts))


def _bounds(op: str, text: str) -> list[tuple[str, Version]]:
    """One comparator as (op, version) bounds; partial versions (`1`, `1.2`, `1.x`)
    stand for every version they cover."""
    m = _VERSION.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a version")
    major = int(m.group(1))
    given = [g for g in (m.group(2), m.group(3)) if g is not None and g.isdigit()]
    if (m.group(2) is not None and not m.group(2).isdigit()
            and m.group(3) is not None and m.group(3).isdigit()):
        raise ValueError(f"{text!r}: a wildcard cannot come before a number")
    minor = int(given[0]) if given else 0
    patch = int(given[1]) if len(given) > 1 else 0
    low = _key(major, minor, patch, m.group(4))
    exact = len(given) == 2
    if op == "^":
        if major:
            high = (major + 1, 0, 0)
        elif minor or len(given) == 0:
            high = (0, minor + 1, 0) if given else (1, 0, 0)
        else:
            high = (0, 0, patch + 1) if exact else (0, 1, 0)
        return [(">=", low), ("<", _key(*high, "0"))]
    if op == "~" or (op in ("", "=", "==") and not exact):
        high = (major + 1, 0, 0) if not given else (major, minor + 1, 0)
        return [(">=", low), ("<", _key(*high, "0"))]
    if op in ("", "=", "=="):
        return [("==", low)]
    if op == "<" and not exact:  # <2 excludes 2.0.0's pre-releases too
        return [("<", _key(major, minor, patch, "0"))]
    if op in ("<=", ">") and not exact:  # <=1.2 means every 1.2.x
        high = (major + 1, 0, 0) if not given else (major, minor + 1, 0)
        return [("<" if op == "<=" else ">=", _key(*high, "0"))]
    return [(op, low)]


def parse_range(text: str) -> list[tuple[str, Version]]:
    """A range such as `^1.0`, `~1.2`, `>=1.0,<2`, `1.x` or `*` as bounds that must all
    hold; raises ValueError."""
    text = re.sub(r"(>=|<=|==|>|<|=|\^|~)\s+", r"\1", text.strip())
    parts = [p for p in re.split(r"\s*,\s*|\s+", text) if p]
    if not parts:
        raise ValueError("the range is empty")
    bounds: list[tuple[str, Version]] = []
    for part in parts:
        part = part.strip()
        if part in ("*", "x", "X"):
            continue
        m = _COMPARATOR.match(part)
        if not m:
            raise ValueError(f"{part!r} is not a comparison such as >=1.0")
        bounds += _bounds(m.group(1) or "", m.group(2))
    return bounds


def in_range(version: str, range_text: str) -> bool:
    v = parse_version(version)
    checks = {">=": v.__ge__, ">": v.__gt__, "<=": v.__le__, "<": v.__lt__, "==": v.__eq__}
    return all(checks[op](bound) for op, bound in parse_range(range_text))


def api_problems(range_text: str, host: str = HOST_API_VERSION) -> list[tuple[str, str]]:
    """(code, message) when `range_text` is malformed or excludes the host API."""
    try:
        ok = in_range(host, range_text)
    except ValueError as err:
        return [("manifest.bad_api", f"api {range_text!r} is not a version range ({err}); "
                 'write e.g. "^1.0" or ">=1.0,<2"')]
    if not ok:
        return [("manifest.incompatible_api",
                 f"the worker needs host API {range_text} but this Heron provides API "
                 f"{host}; install a worker version made for API {host.split('.')[0]}.x")]
    return []
