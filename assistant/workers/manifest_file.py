"""One worker on disk, read and checked without running any of its code:
`heron-worker.toml` (its manifest, see assistant/tools/manifest.schema.json) and the
Python file its `entry` names. Every problem is a `ManifestProblem` an editor can jump
to (`file:line:column: message [code]`). Finding and watching workers: discovery.py."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.nesting import MAX_DOCUMENT_DEPTH, toml_too_deep
from assistant.tools.manifest import ToolManifest, document_problems, manifest_from_document
from assistant.tools.registry import ToolSource, ToolSourceKind
from assistant.workers.toml_positions import key_positions, locate

MANIFEST_FILE = "heron-worker.toml"
MAX_MANIFEST_BYTES = 256 * 1024  # a real manifest is a few KB; every check below is O(size)
MAX_ENTRY_BYTES = 1024 * 1024  # parsing is O(size) in time and memory; real entries are KBs


@dataclass(frozen=True)
class ManifestProblem:
    """One problem with a worker, where an editor can jump to it."""

    file: str
    line: int
    column: int
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class WorkerSpec:
    """A worker whose manifest and entry file passed every check."""

    manifest: ToolManifest
    dir: Path
    entry: str
    source: ToolSource

    @property
    def manifest_file(self) -> Path:
        return self.dir / MANIFEST_FILE


def manifest_path(path: Path) -> Path:
    """`PATH` as given to `heron workers validate`: the directory or its toml."""
    return path if path.suffix == ".toml" else path / MANIFEST_FILE


def load_worker(path: Path, known: Mapping[str, ToolSource] | None = None,
                source: ToolSource | None = None
                ) -> tuple[WorkerSpec | None, list[ManifestProblem]]:
    """Read and check one worker (never runs its code). `known` maps names already
    taken to where they came from; taking one of them is a problem."""
    file = manifest_path(Path(path))
    wdir = file.parent
    source = source or ToolSource(ToolSourceKind.PATH, str(wdir))
    here = str(file)
    if not file.is_file():
        what = "no such file or directory" if not file.parent.exists() else \
            f"no {MANIFEST_FILE} in {wdir}"
        return None, [ManifestProblem(here, 1, 1, "worker.no_manifest",
                                      f"{what}: a worker is a directory with {MANIFEST_FILE} "
                                      "and the Python file it names as entry")]
    try:
        # Bounded read, not stat-then-read: the file may grow between the two.
        data = _read_at_most(file, MAX_MANIFEST_BYTES)
        text = "" if data is None else data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [ManifestProblem(here, 1, 1, "manifest.unreadable",
                                      f"cannot read the manifest: {err}")]
    if data is None:
        return None, [ManifestProblem(here, 1, 1, "manifest.too_large",
                                      f"the manifest is larger than {MAX_MANIFEST_BYTES} "
                                      "bytes, the most that is read: make it smaller")]
    deep = toml_too_deep(text)
    if deep is not None:  # tomllib (and the checks after it) recurse per level
        return None, [ManifestProblem(here, *deep, "manifest.too_deep",
                                      f"a value is nested more than {MAX_DOCUMENT_DEPTH} "
                                      "levels deep")]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line, col, message = _toml_error_position(str(err), text)
        return None, [ManifestProblem(here, line, col, "manifest.toml_syntax",
                                      f"TOML syntax error: {message}")]
    positions = key_positions(text)

    def problem(key_path: tuple, code: str, message: str) -> ManifestProblem:
        line, col = locate(positions, key_path)
        return ManifestProblem(here, line, col, code, message)

    problems = [problem(p.path, p.code, p.message) for p in document_problems(doc)]
    entry = doc.get("entry")
    if isinstance(entry, str) and not any(p.code == "manifest.bad_entry" for p in problems):
        problems += _entry_problems(wdir, entry, lambda c, m: problem(("entry",), c, m))
    name = doc.get("name")
    if isinstance(name, str) and known and name in known and known[name] != source:
        problems.append(problem(
            ("name",), "manifest.duplicate_name",
            f"a tool named {name!r} already exists ({known[name]}); this worker ({source}) "
            "must use another name"))
    if problems:
        return None, sorted(problems, key=lambda p: (p.file != here, p.line, p.column))
    return WorkerSpec(manifest_from_document(doc), wdir, entry, source), []


def _toml_error_position(message: str, text: str) -> tuple[int, int, str]:
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        return int(m.group(1)), int(m.group(2)), message[:m.start()]
    m = re.search(r"\s*\(at end of document\)$", message)
    if m:
        lines = text.splitlines() or [""]
        return len(lines), len(lines[-1]) + 1, message[:m.start()]
    return 1, 1, message


def _entry_problems(wdir: Path, entry: str,
                    problem: Callable[[str, str], ManifestProblem]) -> list[ManifestProblem]:
    """The entry file must be inside the worker dir, parse, and define `run` — checked
    without importing it (validating must never run a worker's code)."""
    target = (wdir / entry).resolve()
    if not target.is_relative_to(wdir.resolve()):
        return [problem("manifest.bad_entry",
                        f"entry {entry!r} points outside the worker directory {wdir}")]
    if not target.is_file():
        return [problem("manifest.entry_missing",
                        f"entry file {entry!r} does not exist in {wdir}")]
    try:
        source = _read_at_most(target, MAX_ENTRY_BYTES)
        if source is None:
            return [problem("worker.entry_too_large",
                            f"entry file {entry!r} is larger than {MAX_ENTRY_BYTES} bytes, "
                            "the most that is checked: move code into other modules")]
        tree = ast.parse(source, filename=str(target))
    except SyntaxError as err:
        return [ManifestProblem(str(target), err.lineno or 1, err.offset or 1,
                                "worker.entry_syntax", f"Python syntax error: {err.msg}")]
    except (RecursionError, MemoryError):
        # CPython's parser gives up on deeply nested expressions (`1 + 1 + …`,
        # `------1`) with these instead of SyntaxError; Python could not import it either.
        return [ManifestProblem(str(target), 1, 1, "worker.entry_syntax",
                                "the code nests too deeply to check: split long or "
                                "deeply nested expressions")]
    except (OSError, ValueError) as err:
        return [problem("manifest.entry_missing", f"cannot read entry file {entry!r}: {err}")]
    if not any(_defines_run(node) for node in tree.body):
        return [problem("worker.no_run",
                        f"{entry} defines no top-level run(args, caps) function")]
    return []


def _read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `limit` of them."""
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


def _defines_run(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == "run"
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "run" for t in node.targets)
    if isinstance(node, ast.ImportFrom):
        return any((a.asname or a.name) == "run" for a in node.names)
    return False
