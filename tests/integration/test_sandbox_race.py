"""A worker races the broker: while it asks the host to read or write a file of its own
home (inside its fs grant), a thread of it keeps swapping that file, or a folder on the
way to it, for a symlink to a secret outside the grant. The host opens first and checks
what it opened, so thousands of tries never read the secret nor create a file outside,
and the audit log names the real target of every refusal. Real sandbox, real registry,
real SQLite; runs as root and as a normal user (the secret is a 0600 file of ours)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from assistant.audit import AuditLog
from assistant.tools.call import ToolCall
from assistant.tools.manifest import manifest_from_document
from assistant.tools.registry import ToolOutcome, ToolRegistry
from assistant.workers.host import SandboxedTool

pytest.register_assert_rewrite("sandbox_harness")  # a helper module: before its import
from sandbox_harness import make_registry  # noqa: E402

RACER = Path(__file__).resolve().parents[1] / "fixtures" / "sandbox" / "racer"
ATTEMPTS, BUDGET_S = 3000, 12.0  # per race; the worker stops at whichever comes first
SECRET_TEXT = "the secret outside the grant"


@dataclass
class Arena:
    registry: ToolRegistry
    audit: AuditLog
    racer: SandboxedTool
    granted: Path  # fs.read + fs.write; the worker's private home is made in here
    outside: Path
    secret: Path

    def call(self, **args: Any) -> ToolOutcome:
        async def main() -> ToolOutcome:
            try:
                return await self.registry.call(ToolCall("racer", args))
            finally:
                await self.racer.stop()
        return asyncio.run(main())

    def capability_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.audit.entries(limit=100_000)
                if r["kind"] == "capability" and r["tool"] == "racer"]


@pytest.fixture
def arena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Arena:
    # below /tmp, not pytest's 0700 tmp_path: the worker's own uid must reach its home
    base = Path(tempfile.mkdtemp(prefix="heron-race-", dir="/tmp"))
    granted, outside = base / "granted", base / "outside"
    for folder in (base, granted, outside):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
    secret = outside / "secret.txt"
    secret.write_text(SECRET_TEXT)
    secret.chmod(0o600)
    # the host makes the worker's private dir with tempfile: put it inside the grant, so
    # the worker owns files the grant covers and can turn them into links
    monkeypatch.setattr(tempfile, "tempdir", str(granted))
    storage, audit, registry = make_registry(tmp_path)
    doc = tomllib.loads((RACER / "heron-worker.toml").read_text())
    manifest = replace(manifest_from_document(doc), permissions=(
        f"fs.read:{granted}/**", f"fs.write:{granted}/**"))
    racer = SandboxedTool(manifest, RACER, doc["entry"])
    registry.register(racer)
    yield Arena(registry, audit, racer, granted, outside, secret)
    storage.close()
    shutil.rmtree(base, ignore_errors=True)


def read_targets(arena: Arena) -> list[str]:
    targets = [str(arena.secret)]
    if os.geteuid() == 0:  # a real one too, where the host can read it and the worker not
        targets.append("/etc/shadow")
    return targets


@pytest.mark.parametrize("layout", ["leaf", "middle"])
def test_a_symlink_swapped_in_mid_read_never_reads_outside_the_grant(
        arena: Arena, layout: str) -> None:
    for target in read_targets(arena):
        out = arena.call(mode="race_read", target=target, layout=layout,
                         attempts=ATTEMPTS, budget_s=BUDGET_S)
        assert out.status == "ok", out
        texts, codes = out.result["texts"], out.result["codes"]
        # never a byte of the secret ("" is the worker's bait caught half-written)
        assert set(texts) <= {"bait", ""}, (target, texts)
        assert texts.get("bait"), out.result  # the real file was read while it was one
        assert codes.get("capability.denied"), out.result  # and the link was met: a race
        assert out.result["tries"] >= 200, out.result
    rows = arena.capability_rows()
    home_of_worker = str(arena.granted) + "/"
    assert all(r["target"].startswith(home_of_worker) for r in rows if r["allowed"]), [
        r["target"] for r in rows if r["allowed"] and not r["target"].startswith(
            home_of_worker)][:5]
    denied = {r["target"] for r in rows if not r["allowed"]}
    # the refusal names what the link really led to, not the harmless path asked for
    assert str(arena.secret) in denied, sorted(denied)[:5]
    # outside its home, nothing else was even named; inside, a path can be refused when
    # the link flips faster than it can be followed (too many links): safe, not a leak
    beyond = {t for t in denied if not t.startswith(home_of_worker)}
    assert beyond <= {str(arena.secret), "/etc/shadow", str(arena.outside)}, sorted(beyond)


@pytest.mark.parametrize("layout", ["leaf", "middle"])
def test_a_symlink_swapped_in_mid_write_never_writes_outside_the_grant(
        arena: Arena, layout: str) -> None:
    existing = arena.outside / "existing.txt"
    existing.write_text("original")
    for target in (arena.outside / "created.txt", existing):
        out = arena.call(mode="race_write", target=str(target), layout=layout,
                         attempts=ATTEMPTS, budget_s=BUDGET_S)
        assert out.status == "ok", out
        codes = out.result["codes"]
        assert codes.get("ok") and codes.get("capability.denied"), out.result
        assert not (arena.outside / "created.txt").exists()
        assert existing.read_text() == "original"
    assert sorted(p.name for p in arena.outside.iterdir()) == ["existing.txt", "secret.txt"]
    rows = arena.capability_rows()
    assert all(r["target"].startswith(str(arena.granted) + "/") for r in rows if r["allowed"])
    denied = {r["target"] for r in rows if not r["allowed"]}
    assert str(existing) in denied, sorted(denied)[:5]


def test_a_nul_byte_in_a_path_from_a_worker_is_a_coded_error(arena: Arena) -> None:
    out = arena.call(mode="read", layout="", target=f"{arena.granted}/a\x00b")
    assert (out.status, out.code) == ("error", "capability.bad_path"), out
    assert "NUL" in out.error and "Traceback" not in out.error
    out = arena.call(mode="read", layout="", target=str(arena.secret))  # still answers
    assert (out.status, out.code) == ("error", "capability.denied"), out
    assert str(arena.secret) in out.error
