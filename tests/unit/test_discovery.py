"""Third-party workers found on disk and through entry points: bad ones are rejected
with clear errors while the good ones keep answering; edits are hot-reloaded.

The worker host (assistant.workers.host.SandboxedTool) is tested on its own; here a
small stand-in with the same constructor and hooks runs the worker's entry file in
this process, so these tests exercise discovery and the registry alone."""

import asyncio
import importlib.util
import itertools
import shutil
import time
from functools import partial
from pathlib import Path

import pytest

from assistant.tools.call import ToolCall
from assistant.workers import discovery
from assistant.workers.discovery import WorkerWatcher, discover, find_workers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workers"
_ids = itertools.count()


class InProcessWorker:
    """SandboxedTool's interface: (manifest, worker_dir, entry), start/stop/run."""

    def __init__(self, manifest, worker_dir, entry, events):
        self.manifest, self._file, self._events = manifest, Path(worker_dir) / entry, events
        self._module = None

    async def start(self):
        spec = importlib.util.spec_from_file_location(f"heron_test_worker_{next(_ids)}",
                                                      self._file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # a worker that fails to import fails to start
        self._module = module
        self._events.append(("start", self.manifest.name, self.manifest.version))

    async def stop(self):
        self._events.append(("stop", self.manifest.name, self.manifest.version))

    async def run(self, args, ctx):
        result = self._module.run(args, ctx.caps)
        return await result if asyncio.iscoroutine(result) else result


class Yes:
    """The user answering "yes" to every prompt."""

    async def ask(self, request):
        return request.yes


@pytest.fixture
def events():
    return []


@pytest.fixture
def factory(events):
    return partial(InProcessWorker, events=events)


@pytest.fixture
def workers(tmp_path):
    d = tmp_path / "workers"
    d.mkdir()
    return d


def install(workers: Path, fixture: str, as_name: str | None = None) -> Path:
    src = FIXTURES / fixture
    return Path(shutil.copytree(src, workers / (as_name or src.name)))


def call(core, tool, **args):
    core.registry.prompter = Yes()
    return asyncio.run(core.registry.call(ToolCall(tool, args)))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


BROKEN = {"bad_confirm": "manifest.bad_confirm", "bad_effects": "manifest.bad_effects",
          "bad_input_schema": "manifest.bad_schema", "bad_name": "manifest.bad_name",
          "bad_scope": "manifest.bad_scope", "bad_semver": "manifest.bad_version",
          "duplicate_name": "manifest.duplicate_name",
          "entry_missing": "manifest.entry_missing",
          "incompatible_api": "manifest.incompatible_api",
          "missing_field": "manifest.missing_field", "toml_syntax": "manifest.toml_syntax"}


def test_good_workers_are_served_while_broken_ones_are_rejected(core, workers, factory,
                                                                caplog):
    for case in BROKEN:
        install(workers, f"broken/{case}")
    install(workers, "good/word_count")
    install(workers, "good/shout")
    _, report = asyncio.run(discover(core.registry, workers, factory, group=None))
    assert sorted(report.added) == ["shout", "word_count"]
    found = {Path(p.file).parent.name: p.code for p in report.problems}
    assert found == BROKEN
    assert all(p.line >= 1 and p.column >= 1 for p in report.problems)
    assert "duplicate_name/heron-worker.toml:2:1" in caplog.text  # logged, with position
    outcome = call(core, "word_count", text="one two three")
    assert outcome.status == "ok" and outcome.result["speech"] == "That is 3 words."
    assert call(core, "shout", text="hi").result["text"] == "HI"
    assert call(core, "get_time").status == "ok"  # the built-ins are untouched
    rows = {i.manifest.name: i for i in core.registry.listing()}
    assert rows["word_count"].source.kind == "path"
    assert rows["word_count"].source.detail == str(workers / "word_count")
    assert rows["get_time"].source.kind == "builtin"


def test_two_workers_with_one_name_the_second_is_rejected_naming_both(core, workers,
                                                                       factory):
    first = install(workers, "good/word_count", "a_words")
    second = install(workers, "good/word_count")
    _, report = asyncio.run(discover(core.registry, workers, factory, group=None))
    assert report.added == ["word_count"]
    [p] = report.problems
    assert p.code == "manifest.duplicate_name" and (p.line, p.column) == (2, 1)
    assert str(first) in p.message and str(second) in p.message
    assert core.registry.sources()["word_count"].detail == str(first)


def test_a_rejected_name_is_taken_once_the_other_worker_is_removed(core, workers, factory):
    first = install(workers, "good/word_count", "a_words")
    install(workers, "good/word_count")

    async def scenario():
        watcher, report = await discover(core.registry, workers, factory, group=None)
        assert len(report.problems) == 1
        shutil.rmtree(first)
        report = await watcher.scan()
        assert report.removed == ["word_count"] and report.added == ["word_count"]
        assert watcher.problems == []
    asyncio.run(scenario())
    assert core.registry.sources()["word_count"].detail == str(workers / "word_count")


def test_lifecycle_start_on_discovery_stop_on_close(core, workers, factory, events):
    install(workers, "good/word_count")

    async def scenario():
        await discover(core.registry, workers, factory, group=None)
        assert events == [("start", "word_count", "1.2.0")]
        await core.registry.aclose()
    asyncio.run(scenario())
    assert events[-1] == ("stop", "word_count", "1.2.0")
    assert core.registry.get("word_count") is None
    assert core.registry.get("get_time") is not None


def test_hot_reload_swaps_a_changed_worker_and_keeps_it_through_a_broken_edit(
        core, workers, factory, events):
    wdir = install(workers, "good/word_count")
    toml, code = wdir / "heron-worker.toml", wdir / "worker.py"

    async def scenario():
        watcher, _ = await discover(core.registry, workers, factory, group=None)
        assert (await watcher.scan()).added == []  # nothing changed, nothing reloaded
        edit(code, 'f"That is {count}', 'f"Counted {count}')
        edit(toml, 'version = "1.2.0"', 'version = "1.3.0"')
        report = await watcher.scan()
        assert report.replaced == ["word_count"]
        # the new version starts before the old one stops: no gap in service
        assert events == [("start", "word_count", "1.2.0"), ("start", "word_count", "1.3.0"),
                          ("stop", "word_count", "1.2.0")]
        r = await core.registry.call(ToolCall("word_count", {"text": "a b"}))
        assert r.result["speech"] == "Counted 2 words."

        edit(toml, 'effects = "read"', 'effects = "explode"')
        report = await watcher.scan()
        [p] = report.problems
        assert (p.code, p.line) == ("manifest.bad_effects", 9)
        assert watcher.problems == [p]
        assert core.registry.get("word_count").version == "1.3.0"  # the last good one
        r = await core.registry.call(ToolCall("word_count", {"text": "still here"}))
        assert r.status == "ok" and r.result["speech"] == "Counted 2 words."
        assert events[-1] == ("stop", "word_count", "1.2.0")  # nothing was stopped

        edit(toml, 'effects = "explode"', 'effects = "read"')
        assert (await watcher.scan()).replaced == ["word_count"]
        assert watcher.problems == []

        shutil.rmtree(wdir)
        assert (await watcher.scan()).removed == ["word_count"]
        assert events[-1] == ("stop", "word_count", "1.3.0")
        r = await core.registry.call(ToolCall("word_count", {"text": "gone"}))
        assert r.status == "unknown"

    core.registry.prompter = Yes()
    asyncio.run(scenario())


def test_a_new_version_that_fails_to_start_leaves_the_old_one_serving(core, workers,
                                                                       factory):
    wdir = install(workers, "good/word_count")

    async def scenario():
        watcher, _ = await discover(core.registry, workers, factory, group=None)
        edit(wdir / "worker.py", '"""Counts', 'raise ImportError("numpy is missing")\n"""')
        [p] = (await watcher.scan()).problems
        assert p.code == "worker.start_failed" and "numpy is missing" in p.message
        r = await core.registry.call(ToolCall("word_count", {"text": "a b c"}))
        assert r.result["count"] == 3

    core.registry.prompter = Yes()
    asyncio.run(scenario())


def test_a_renamed_worker_replaces_its_old_name(core, workers, factory, events):
    wdir = install(workers, "good/word_count")

    async def scenario():
        watcher, _ = await discover(core.registry, workers, factory, group=None)
        edit(wdir / "heron-worker.toml", 'name = "word_count"', 'name = "count_words"')
        report = await watcher.scan()
        assert (report.added, report.removed) == (["count_words"], ["word_count"])
    asyncio.run(scenario())
    assert core.registry.get("word_count") is None
    assert core.registry.get("count_words") is not None


def test_the_watcher_polls_for_new_and_changed_workers(core, workers, factory):
    async def wait_for(condition, timeout_s=5.0):
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "the watcher did not notice"
            await asyncio.sleep(0.02)

    async def scenario():
        watcher = WorkerWatcher(core.registry, workers, factory, group=None, poll_s=0.05)
        await watcher.scan()
        task = watcher.start()
        wdir = install(workers, "good/word_count")
        await wait_for(lambda: core.registry.get("word_count") is not None)
        edit(wdir / "heron-worker.toml", 'version = "1.2.0"', 'version = "2.0.0"')
        await wait_for(lambda: core.registry.get("word_count").version == "2.0.0")
        await watcher.stop()
        assert task.done()
    asyncio.run(scenario())


def test_entry_point_workers_are_found_and_checked_like_the_others(core, workers, factory,
                                                                    tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "heron_demo_workers-1.0.dist-info").mkdir(parents=True)
    (site / "heron_demo_workers-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: heron-demo-workers\nVersion: 1.0\n")
    (site / "heron_demo_workers-1.0.dist-info" / "entry_points.txt").write_text(
        "[heron.workers]\nshouter = heron_demo_workers:shout_dir\n"
        "counter = heron_demo_workers:count_dir\nbroken = heron_demo_workers:nowhere\n")
    (site / "heron_demo_workers.py").write_text(
        "from pathlib import Path\n\n"
        f"def shout_dir():\n    return Path({str(FIXTURES / 'good' / 'shout')!r})\n\n"
        f"def count_dir():\n    return Path({str(FIXTURES / 'good' / 'word_count')!r})\n")
    monkeypatch.syspath_prepend(str(site))
    install(workers, "good/word_count")  # the workers dir comes first: it keeps the name
    _, report = asyncio.run(discover(core.registry, workers, factory))
    assert sorted(report.added) == ["shout", "word_count"]
    source = core.registry.sources()["shout"]
    assert source.kind == "entry point"
    assert source.detail == "shouter = heron_demo_workers:shout_dir (heron-demo-workers)"
    codes = sorted((p.code, p.file) for p in report.problems)
    assert codes[0][0] == "manifest.duplicate_name"
    assert codes[1] == ("worker.entry_point_failed", "entry point broken = "
                        "heron_demo_workers:nowhere (heron-demo-workers)")
    assert call(core, "shout", text="hey").result["speech"] == "HEY"


def test_discovered_workers_run_in_the_real_sandbox_host(core, workers):
    install(workers, "good/word_count")

    async def scenario():
        watcher, report = await discover(core.registry, workers, group=None)
        assert report.added == ["word_count"]
        [info] = [i for i in core.registry.listing() if i.manifest.name == "word_count"]
        assert info.sandbox == "subprocess"
        r = await core.registry.call(ToolCall("word_count", {"text": "in a box"}))
        assert r.status == "ok", r.error
        assert r.result["speech"] == "That is 3 words."
        await core.registry.aclose()
        assert core.registry.get("word_count") is None

    core.registry.prompter = Yes()
    asyncio.run(scenario())


@pytest.mark.parametrize("bomb", [
    "x-deep = " + "[" * 10_000 + "]" * 10_000,
    "x-deep." + ".".join(["a"] * 20_000) + " = 1",
])
def test_a_manifest_bomb_is_rejected_while_the_others_load(core, workers, factory, bomb):
    install(workers, "good/word_count")
    bad = install(workers, "good/shout")
    toml = bad / "heron-worker.toml"
    toml.write_text(bomb + "\n" + toml.read_text())
    _, report = asyncio.run(discover(core.registry, workers, factory, group=None))
    assert report.added == ["word_count"]
    [p] = report.problems
    assert (p.code, p.file, p.line) == ("manifest.too_deep", str(toml), 1)
    assert call(core, "word_count", text="still here").result["speech"] == "That is 2 words."


@pytest.mark.parametrize(("body", "code", "says"), [
    ("x = " + "1 + " * 200_000 + "1\n", "worker.entry_syntax", "nests too deeply"),  # Recursion
    ("x = " + "-" * 200_000 + "1\n", "worker.entry_syntax", "nests too deeply"),  # MemoryError
    ("def run(args, caps):\n    return {}\n" + "#" * (1024 * 1024) + "\n",
     "worker.entry_too_large", "1048576"),
])
def test_a_hostile_entry_file_is_rejected_while_the_others_load(core, workers, factory,
                                                                 body, code, says):
    install(workers, "good/word_count")
    bad = install(workers, "good/shout")
    (bad / "shout.py").write_text(body)
    specs, problems = find_workers(workers, group=None)  # `heron workers list|validate`
    assert [s.manifest.name for s in specs] == ["word_count"]
    assert [(p.code, says in p.message) for p in problems] == [(code, True)]
    _, report = asyncio.run(discover(core.registry, workers, factory, group=None))
    assert report.added == ["word_count"]
    [p] = report.problems
    assert p.code == code and says in p.message
    assert call(core, "word_count", text="still here").result["speech"] == "That is 2 words."


def test_an_unforeseen_failure_while_checking_rejects_that_worker_alone(
        core, workers, factory, monkeypatch):
    install(workers, "good/word_count")
    bad = install(workers, "good/shout")
    real = discovery.load_worker

    def load_worker(path, known=None, source=None):
        if Path(path) == bad:
            raise LookupError("a bug nobody foresaw")
        return real(path, known, source)

    monkeypatch.setattr(discovery, "load_worker", load_worker)
    specs, problems = find_workers(workers, group=None)
    assert [s.manifest.name for s in specs] == ["word_count"]
    _, report = asyncio.run(discover(core.registry, workers, factory, group=None))
    assert report.added == ["word_count"]
    for found in (problems, report.problems):
        [p] = found
        assert (p.code, p.file) == ("worker.check_failed", str(bad / "heron-worker.toml"))
        assert "a bug nobody foresaw" in p.message and "Traceback" not in p.message
