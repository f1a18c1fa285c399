"""Finding third-party workers and keeping the registry in step with them.

Workers come from `<data dir>/workers/*/` and from Python entry points in the group
`heron.workers` (each loads a callable that returns the worker directory); each is
checked by manifest_file.py without running its code. Importing an entry point runs
that package's code in Heron's own process, so installing such a package is trusting
it; only the worker's `run` is sandboxed.

A bad worker is rejected and the good ones keep being served; `WorkerWatcher` reloads a
worker when its files change and keeps the last good version when an edit breaks it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import (
    Tool,
    ToolCollision,
    ToolRegistry,
    ToolSource,
    ToolSourceKind,
)
from assistant.workers.manifest_file import (
    MANIFEST_FILE,
    ManifestProblem,
    WorkerSpec,
    load_worker,
    manifest_path,
)

__all__ = ["ENTRY_POINT_GROUP", "MANIFEST_FILE", "Candidate", "ManifestProblem", "ScanReport",
           "WorkerSpec", "WorkerWatcher", "discover", "find_workers", "load_worker",
           "manifest_path"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "heron.workers"
_MAX_WATCHED_FILES = 200

ToolFactory = Callable[[ToolManifest, Path, str], Tool]
"""Builds the runnable tool for a checked worker: (manifest, worker_dir, entry)."""


@dataclass(frozen=True)
class Candidate:
    dir: Path
    source: ToolSource


# -- where workers come from -------------------------------------------------------------

def dir_candidates(workers_dir: Path) -> list[Candidate]:
    """Every sub-directory of the workers dir (sorted, hidden ones skipped)."""
    if not workers_dir.is_dir():
        return []
    return [Candidate(d, ToolSource(ToolSourceKind.PATH, str(d)))
            for d in sorted(workers_dir.iterdir())
            if d.is_dir() and not d.name.startswith((".", "_"))]


def entry_point_candidates(group: str = ENTRY_POINT_GROUP
                           ) -> tuple[list[Candidate], list[ManifestProblem]]:
    """Worker dirs named by installed packages' entry points."""
    found, problems = [], []
    for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
        dist = getattr(ep.dist, "name", None) or "unknown package"
        label = f"{ep.name} = {ep.value} ({dist})"
        where = f"entry point {label}"
        try:
            target = ep.load()
            wdir = Path(target() if callable(target) else target)
        except Exception as err:  # third-party code: any failure is that package's bug
            problems.append(ManifestProblem(where, 1, 1, "worker.entry_point_failed",
                                            f"loading the entry point failed: {err!r}"))
            continue
        found.append(Candidate(wdir, ToolSource(ToolSourceKind.ENTRY_POINT, label)))
    return found, problems


def find_workers(workers_dir: Path, known: Mapping[str, ToolSource] | None = None,
                 group: str | None = ENTRY_POINT_GROUP
                 ) -> tuple[list[WorkerSpec], list[ManifestProblem]]:
    """Check every worker without running any (for `heron workers list|validate`)."""
    taken = dict(known or {})
    candidates = dir_candidates(workers_dir)
    problems: list[ManifestProblem] = []
    if group:
        more, problems = entry_point_candidates(group)
        candidates += more
    specs = []
    for c in candidates:
        spec, found = check_worker(c, taken)
        problems += found
        if spec is not None:
            specs.append(spec)
            taken[spec.manifest.name] = spec.source
    return specs, problems


def check_worker(c: Candidate, known: Mapping[str, ToolSource]
                 ) -> tuple[WorkerSpec | None, list[ManifestProblem]]:
    """`load_worker` for one candidate; a check that fails in a way nobody foresaw
    rejects that worker alone, so one hostile worker cannot stop the others (or start)."""
    try:
        return load_worker(c.dir, known, c.source)
    except Exception as err:
        log.debug("checking worker %s failed", c.dir, exc_info=True)
        return None, [ManifestProblem(str(manifest_path(c.dir)), 1, 1, "worker.check_failed",
                                      f"checking this worker failed ({err!r}): fix or "
                                      "remove it; the other workers are unaffected")]


def default_tool_factory(manifest: ToolManifest, worker_dir: Path, entry: str) -> Tool:
    from assistant.workers.host import SandboxedTool  # the subprocess host

    return SandboxedTool(manifest, worker_dir, entry)


# -- keeping the registry in step ------------------------------------------------------

@dataclass
class ScanReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)


@dataclass
class _Loaded:
    stamp: tuple
    tool_name: str | None = None  # what this directory serves now (last good version)
    problems: list[ManifestProblem] = field(default_factory=list)


def files_stamp(wdir: Path) -> tuple:
    """What changes when a worker is edited: the manifest and its Python files
    (mtime, size and inode, since editors often replace a file instead of writing it)."""
    out = []
    for root, dirs, files in os.walk(wdir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name == MANIFEST_FILE or name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out.append((os.path.relpath(path, wdir), st.st_mtime_ns, st.st_size,
                            st.st_ino))
                if len(out) >= _MAX_WATCHED_FILES:
                    return tuple(out)
    return tuple(out)


class WorkerWatcher:
    """Loads third-party workers into the registry and reloads them on change.

    `await scan()` once at startup, then `start()` polls every `poll_s` seconds (plain
    stat calls, no extra dependency). Changed worker → checked again → the new tool is
    started and swapped in and the old one stopped; broken edit → the last good version
    keeps serving and the problems are reported; removed directory → unregistered."""

    def __init__(self, registry: ToolRegistry, workers_dir: Path,
                 tool_factory: ToolFactory = default_tool_factory,
                 group: str | None = ENTRY_POINT_GROUP, poll_s: float = 1.0,
                 on_problems: Callable[[list[ManifestProblem]], None] | None = None) -> None:
        self.registry = registry
        self.workers_dir = workers_dir
        self.poll_s = poll_s
        self._factory = tool_factory
        self._group = group
        self._on_problems = on_problems
        self._state: dict[Path, _Loaded] = {}
        self._entry_points: tuple[list[Candidate], list[ManifestProblem]] | None = None
        self._entry_points_reported = False
        self._task: asyncio.Task | None = None

    @property
    def problems(self) -> list[ManifestProblem]:
        """Current problems of every worker (a kept old version does not hide them)."""
        found = list(self._entry_points[1]) if self._entry_points else []
        return found + [p for s in self._state.values() for p in s.problems]

    def _candidates(self) -> tuple[list[Candidate], list[ManifestProblem]]:
        # Entry points are imported once: re-importing third-party packages every
        # second would be slow and would not pick up their code changes anyway.
        if self._entry_points is None:
            self._entry_points = entry_point_candidates(self._group) if self._group \
                else ([], [])
        fresh = [] if self._entry_points_reported else self._entry_points[1]
        self._entry_points_reported = True
        return dir_candidates(self.workers_dir) + self._entry_points[0], fresh

    async def scan(self) -> ScanReport:
        """One pass: load new workers, reload changed ones, drop removed ones."""
        report = ScanReport()
        # Listing, stat-ing (and the first time, importing entry points) off the loop.
        candidates, ep_problems, stamps = await asyncio.to_thread(self._look)
        report.problems += ep_problems
        present = {c.dir for c in candidates}
        for wdir in [d for d in self._state if d not in present]:
            gone = self._state.pop(wdir)
            if gone.tool_name and await self.registry.remove(gone.tool_name):
                report.removed.append(gone.tool_name)
        self._retry_rejected(report)
        for c in candidates:
            await self._scan_one(c, stamps[c.dir], report)
        self._retry_rejected(report)  # a rename frees a name too: next pass
        for p in report.problems:
            log.warning("worker rejected: %s", p)
        if report.problems and self._on_problems is not None:
            self._on_problems(report.problems)
        return report

    def _look(self) -> tuple[list[Candidate], list[ManifestProblem], dict[Path, tuple]]:
        candidates, problems = self._candidates()
        return candidates, problems, {c.dir: files_stamp(c.dir) for c in candidates}

    def _retry_rejected(self, report: ScanReport) -> None:
        """A freed name may let a rejected worker in: check those again."""
        if report.removed:
            for state in self._state.values():
                if state.problems:
                    state.stamp = ()

    async def _scan_one(self, c: Candidate, stamp: tuple, report: ScanReport) -> None:
        state = self._state.get(c.dir)
        if state is not None and state.stamp == stamp:
            return
        if state is None:
            state = self._state[c.dir] = _Loaded(stamp)
        state.stamp = stamp
        mine = state.tool_name
        known = {n: s for n, s in self.registry.sources().items() if n != mine}
        spec, problems = await asyncio.to_thread(check_worker, c, known)
        if spec is None:
            state.problems = problems
            report.problems += problems
            return
        name = spec.manifest.name
        try:
            tool = self._factory(spec.manifest, spec.dir, spec.entry)
            if mine == name:
                await self.registry.replace(tool, spec.source)
                report.replaced.append(name)
            else:
                await self.registry.add(tool, spec.source)
                report.added.append(name)
                if mine is not None:  # renamed: the old name goes once the new one runs
                    await self.registry.remove(mine)
                    report.removed.append(mine)
        except ToolCollision as err:
            state.problems = [ManifestProblem(str(spec.manifest_file), 1, 1, err.code,
                                              err.message)]
        except Exception as err:  # its start() failed: keep whatever was serving
            log.debug("starting worker %s failed", name, exc_info=True)
            state.problems = [ManifestProblem(str(spec.manifest_file), 1, 1,
                                              "worker.start_failed",
                                              f"worker {name!r} did not start: {err}")]
        else:
            state.tool_name, state.problems = name, []
            return
        report.problems += state.problems

    # -- polling -----------------------------------------------------------------------
    def start(self) -> asyncio.Task:
        """Poll for changes until `stop()`; the task is owned by this watcher."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll(),
                                                                name="worker-watcher")
        return self._task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.scan()
            except Exception:  # one bad pass must not end hot reload for good
                log.exception("scanning the workers dir failed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass


async def discover(registry: ToolRegistry, workers_dir: Path,
                   tool_factory: ToolFactory = default_tool_factory,
                   group: str | None = ENTRY_POINT_GROUP) -> tuple[WorkerWatcher, ScanReport]:
    """Load every good worker into `registry` once; returns the watcher (call its
    `start()` for hot reload) and what happened, including every rejected worker."""
    watcher = WorkerWatcher(registry, workers_dir, tool_factory, group)
    return watcher, await watcher.scan()
