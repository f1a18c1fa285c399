"""Tool arguments checked against input schemas without letting a schema stall Heron.

A worker's or MCP server's schema is written by someone else, and Python's `re`
backtracks: `^(\\w+\\s?)*$` took 32 s on a 21-character argument, on the event loop,
before any permission question. So for third-party schemas every `pattern` and
`patternProperties` key runs on RE2 (linear time, no backtracking), a pattern RE2
cannot take is refused when the tool is loaded, uniqueItems is linear, and validation
runs on a worker thread that checks a deadline at every keyword (budget 1 s) and hands
the GIL to the event loop every few ms. Built-in schemas are ours and validate on the
loop as jsonschema always did. Arguments of any tool are capped in depth, count and
size first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache
from typing import Any

import jsonschema
import re2
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from assistant.nesting import MAX_DOCUMENT_DEPTH, KeyPath, measure
from models.errors import CodedError

MAX_ARG_DEPTH = 32
MAX_ARG_VALUES = 10_000
MAX_ARG_CHARS = 1_000_000
VALIDATION_BUDGET_S = 1.0
MAX_ERROR_CONTEXT = 8  # sub-errors kept under one anyOf / oneOf error
HAND_OVER_S = 0.005  # a validating thread offers the GIL at least this often

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print each refused pattern to stderr
# Each compiled pattern may use this much (RE2's default is 8 MiB, and up to 1,024
# patterns are cached): a pattern that needs more is refused when its tool is loaded.
_RE2_OPTIONS.max_mem = 1 << 20
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})  # values, not schemas


class InvalidArguments(CodedError):
    """A tool call's arguments were refused before the tool or the policy saw them:
    tool.invalid_args, or tool.validation_timeout when checking them took too long."""

    exit_code = 2


class OversizedArguments(InvalidArguments):
    """Arguments too big or too deep even to record as they are (the audit would fail
    on them too): the caller keeps the reason and drops the arguments."""


# -- when a tool is loaded -------------------------------------------------------------

def schema_problems(schema: Any) -> list[tuple[KeyPath, str]]:
    """(key path inside `schema`, message) for what makes a third-party schema unsafe to
    validate against: nesting deeper than MAX_DOCUMENT_DEPTH, a regular expression RE2
    cannot compile, unevaluatedProperties next to patternProperties (jsonschema would
    match those keys with Python's re). Empty when it is fine."""
    shape = measure(schema, max_depth=MAX_DOCUMENT_DEPTH)
    if shape.depth > MAX_DOCUMENT_DEPTH:
        return [(shape.deepest, f"the schema is nested more than {MAX_DOCUMENT_DEPTH} "
                 "levels deep")]
    problems: list[tuple[KeyPath, str]] = []
    unevaluated: KeyPath | None = None
    pattern_props = False
    # (node, path, is it data?) — a `$ref` can make any part of the document a schema,
    # so the pairing below is looked for everywhere; patterns under data keywords and
    # x- keys are not reported (at run time they still go through RE2, or fail).
    stack: list[tuple[Any, KeyPath, bool]] = [(schema, (), False)]
    while stack:
        node, path, data = stack.pop()
        if isinstance(node, list):
            stack += [(v, (*path, i), data) for i, v in enumerate(node)]
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            here = (*path, key)
            inside = data or key in _DATA_KEYWORDS or str(key).startswith("x-")
            if key == "pattern" and isinstance(value, str) and not inside:
                problems += _regex_problems(here, value)
            elif key == "patternProperties" and isinstance(value, dict):
                pattern_props = True
                if not inside:
                    problems += [pr for p in value for pr in _regex_problems((*here, p), p)]
            elif key == "unevaluatedProperties" and unevaluated is None:
                unevaluated = here
            stack.append((value, here, inside))
    if unevaluated is not None and pattern_props:
        problems.append((unevaluated, "unevaluatedProperties cannot be combined with "
                         "patternProperties in a third-party schema; use "
                         "additionalProperties instead"))
    return sorted(problems, key=lambda p: tuple(map(str, p[0])))


def _regex_problems(path: KeyPath, pattern: str) -> list[tuple[KeyPath, str]]:
    try:
        _re2(pattern)
    except re2.error as err:
        why = err.args[0].decode(errors="replace") if err.args and \
            isinstance(err.args[0], bytes) else str(err)
        return [(path, f"pattern {_short(pattern)} is not supported: {why} (Heron matches "
                 "third-party patterns with RE2: no backreferences or lookaround)")]
    return []


@lru_cache(maxsize=1024)
def _re2(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def _short(text: str) -> str:
    # Quoted as written in the manifest: repr would double every backslash.
    return '"' + (text if len(text) <= 60 else text[:57] + "...") + '"'


# -- when a tool is called -------------------------------------------------------------

def argument_problem(args: Any) -> str | None:
    """Why `args` is too big or too deeply nested to validate, else None."""
    shape = measure(args, MAX_ARG_DEPTH, MAX_ARG_VALUES, MAX_ARG_CHARS)
    if shape.depth > MAX_ARG_DEPTH:
        return f"the arguments are nested more than {MAX_ARG_DEPTH} levels deep"
    if shape.nodes > MAX_ARG_VALUES:
        return f"the arguments hold more than {MAX_ARG_VALUES} values"
    if shape.chars > MAX_ARG_CHARS:
        return f"the arguments are longer than {MAX_ARG_CHARS} characters"
    return None


class ArgumentChecker:
    """Checks a call's arguments against its tool's input schema (raises
    InvalidArguments). One per registry; `close()` ends its threads."""

    def __init__(self, budget_s: float = VALIDATION_BUDGET_S, cache_size: int = 256) -> None:
        self.budget_s = budget_s
        self._pool: ThreadPoolExecutor | None = None
        # id(schema) -> (schema, validator): a manifest keeps one schema object for its
        # life, and TOML values (dates) rule out hashing the schema's text.
        self._validators: OrderedDict[int, tuple[Any, Validator]] = OrderedDict()
        self._cache_size = cache_size

    async def check(self, args: dict[str, Any], schema: dict[str, Any],
                    trusted: bool) -> None:
        why = argument_problem(args)
        if why:
            raise OversizedArguments("tool.invalid_args", why,
                                     "send smaller arguments; the limits protect Heron")
        if trusted:
            try:
                jsonschema.validate(args, schema)
            except ValidationError as err:
                raise InvalidArguments("tool.invalid_args", err.message) from err
            return
        validator = self._validator(schema)
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2,
                                            thread_name_prefix="heron-validate")
        job = loop.run_in_executor(self._pool, _first_error, validator, args, self.budget_s)
        try:
            # The thread keeps its own deadline; this one also covers a queue wait.
            message = await asyncio.wait_for(job, self.budget_s * 2)
        except (TimeoutError, _Overrun) as err:
            raise InvalidArguments(
                "tool.validation_timeout",
                f"checking the arguments took longer than {self.budget_s:g} s, so the "
                "call was refused", "the tool's input schema is too costly for these "
                "arguments; ask its author to simplify it") from err
        except Exception as err:  # e.g. a $ref that points nowhere or at itself
            raise InvalidArguments(
                "tool.invalid_args", f"the tool's input schema cannot check arguments: "
                f"{type(err).__name__}: {str(err)[:200]}",
                "ask the tool's author to fix its input schema") from err
        if message is not None:
            raise InvalidArguments("tool.invalid_args", message)

    def _validator(self, schema: dict[str, Any]) -> Validator:
        hit = self._validators.get(id(schema))
        if hit is not None and hit[0] is schema:
            self._validators.move_to_end(id(schema))
            return hit[1]
        cls = _untrusted_class(jsonschema.validators.validator_for(
            schema, default=Draft202012Validator))
        validator = cls(schema)
        self._validators[id(schema)] = (schema, validator)
        while len(self._validators) > self._cache_size:
            self._validators.popitem(last=False)
        return validator

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


# -- the validator for third-party schemas ---------------------------------------------

class _Overrun(Exception):
    """Validation passed its deadline (raised inside the validating thread)."""


_deadline = threading.local()


def _first_error(validator: Validator, args: Any, budget_s: float) -> str | None:
    """Runs on a validation thread: the best error's message, or None when valid."""
    _deadline.at = time.monotonic() + budget_s
    _deadline.hand_over = 0.0
    try:
        error = best_match(validator.iter_errors(args))
    finally:
        _deadline.at = None
    return None if error is None else error.message


def _budgeted(keyword: Callable[..., Any]) -> Callable[..., Any]:
    # Every keyword is a step of the validation, so checking the clock at each one
    # stops a costly schema soon after its budget instead of running on in the thread.
    # It also hands the GIL over every HAND_OVER_S: left to the interpreter's switching,
    # the event loop went without it for 0.9 s of a 1 s check in a big process.
    def step(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        at = getattr(_deadline, "at", None)
        if at is not None:
            now = time.monotonic()
            if now > at:
                raise _Overrun
            if now > _deadline.hand_over:
                time.sleep(0)  # releases the GIL: a waiting thread takes it
                _deadline.hand_over = now + HAND_OVER_S
        return keyword(validator, value, instance, schema)
    return step


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any
             ) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _re2(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any,
                        schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _re2(pattern).search(key):
                yield from validator.descend(value, subschema, path=key,
                                             schema_path=pattern)


def _additional_properties(validator: Any, extra_schema: Any, instance: Any,
                           schema: Any) -> Iterator[ValidationError]:
    # jsonschema's own version matches patternProperties keys with Python's re.
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = [_re2(p) for p in schema.get("patternProperties", {})]
    extras = sorted((k for k in instance if k not in properties
                     and not any(p.search(k) for p in patterns)), key=str)
    if validator.is_type(extra_schema, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], extra_schema, path=extra)
    elif not extra_schema and extras:
        names = ", ".join(repr(e) for e in extras)
        if patterns:
            regexes = ", ".join(repr(p) for p in sorted(schema["patternProperties"]))
            yield ValidationError(f"{names} {'does' if len(extras) == 1 else 'do'} not "
                                  f"match any of the regexes: {regexes}")
        else:
            yield ValidationError(f"Additional properties are not allowed ({names} "
                                  f"{'was' if len(extras) == 1 else 'were'} unexpected)")


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any
                  ) -> Iterator[ValidationError]:
    # jsonschema compares unhashable items pairwise: 10,000 objects would be 50 million
    # comparisons inside one keyword, where no deadline can stop them.
    if unique and validator.is_type(instance, "array"):
        keys = [_json_key(item) for item in instance]
        if len(set(keys)) < len(keys):
            shown = repr(instance)
            shown = shown if len(shown) <= 200 else shown[:197] + "..."
            yield ValidationError(f"{shown} has non-unique elements")


def _json_key(value: Any) -> Any:
    """A hashable stand-in with JSON's equality: 1 == 1.0, true != 1, key order ignored."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _json_key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("array", tuple(_json_key(v) for v in value))
    return (type(value).__name__, value)


def _capped_context(keyword: Callable[..., Any]) -> Callable[..., Any]:
    # anyOf and oneOf keep every failed branch's errors as the context of their own:
    # nested, that is a tree as big as the whole search (millions of errors within the
    # budget), alive until the top returns. A few per level still lead best_match.
    def step(validator: Any, value: Any, instance: Any, schema: Any
             ) -> Iterator[ValidationError]:
        for error in keyword(validator, value, instance, schema):
            del error.context[MAX_ERROR_CONTEXT:]
            yield error
    return step


_RE2_KEYWORDS = {"pattern": _pattern, "patternProperties": _pattern_properties,
                 "additionalProperties": _additional_properties,
                 "uniqueItems": _unique_items}


@cache
def _untrusted_class(base: type[Validator]) -> type[Validator]:
    """`base` with RE2 for regular expressions, uniqueItems in linear time and a
    deadline at every keyword; no format checking (the `regex` format would compile
    with Python's re)."""
    keywords = {k: v for k, v in base.VALIDATORS.items()}
    keywords.update({k: v for k, v in _RE2_KEYWORDS.items() if k in keywords})
    keywords.update({k: _capped_context(keywords[k]) for k in ("anyOf", "oneOf")
                     if k in keywords})
    return jsonschema.validators.extend(
        base, {k: _budgeted(v) for k, v in keywords.items()})
