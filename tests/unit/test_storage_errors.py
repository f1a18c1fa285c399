"""A damaged heron.db, as every command that opens it reports it: a coded error naming
the file and the next step (exit 7), never an internal error; the file is left alone,
and once it is moved aside Heron makes a new one."""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import run_heron

from assistant.storage import Storage, StorageError

COMMANDS = {
    "ask": ("ask", "--local", "what time is it"),
    "audit": ("audit",),
    "run": ("run", "--headless", "--no-mic", "--exit-after", "5"),
}


def garbage(db: Path) -> None:
    db.write_bytes(os.urandom(8192))


def truncated(db: Path) -> None:
    """A real database with rows in several tables, cut in half (a crash while copying
    it, a full disk during a backup restore)."""
    storage = Storage(db)
    with storage.transaction() as cur:
        for n in range(200):
            cur.execute("INSERT INTO history (ts, role, source, text) VALUES (?, ?, ?, ?)",
                        (n, "user", "text", f"line {n} " * 20))
            cur.execute("INSERT INTO notes (created_at, text) VALUES (?, ?)", (n, "x" * 300))
    storage.close()
    with sqlite3.connect(db) as conn:  # everything into the main file, then cut it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)


@pytest.mark.parametrize("damage", [garbage, truncated], ids=["garbage", "truncated"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_damaged_db_is_a_coded_error_naming_the_file(tmp_path, damage, command):
    db = tmp_path / "data" / "heron.db"
    db.parent.mkdir(parents=True)
    damage(db)
    before = db.read_bytes()
    proc = run_heron(tmp_path, *COMMANDS[command], timeout=180)
    assert proc.returncode == 7, proc.stderr
    assert "Traceback" not in proc.stderr
    first, hint = proc.stderr.strip().splitlines()[-2:]
    assert first.startswith(f"heron: {db} is damaged") and first.endswith("[storage.corrupt]")
    assert f"mv {db} {db}.broken" in hint and "makes a new" in hint
    assert db.read_bytes() == before  # the user's data is not touched


def test_once_moved_aside_a_new_db_is_made(tmp_path):
    db = tmp_path / "data" / "heron.db"
    db.parent.mkdir(parents=True)
    garbage(db)
    assert run_heron(tmp_path, "history").returncode == 7
    db.rename(f"{db}.broken")
    proc = run_heron(tmp_path, "history")
    assert proc.returncode == 0, proc.stderr
    assert db.is_file()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("damage", [garbage, truncated], ids=["garbage", "truncated"])
def test_failing_to_open_a_damaged_db_leaks_no_file_descriptors(tmp_path, damage):
    db = tmp_path / "heron.db"
    damage(db)
    # Only reference counting frees objects here, as between two collections: a
    # connection kept alive by the error's reference cycle would stay open.
    gc.collect()
    gc.disable()
    try:
        before = _open_fds()
        for _ in range(50):  # e.g. a part that retries opening it
            with pytest.raises(StorageError) as err:
                Storage(db)
            assert err.value.code == "storage.corrupt"
            del err
        after = _open_fds()
    finally:
        gc.enable()
    assert after == before
