"""When and how the chain anchor is written: only after the rows it names are on disk
(the database commits with synchronous=NORMAL), the marker copy before the keyring's,
in a thread that never holds up Heron's exit, and once at close however often close is
called."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from audit_support import fill, open_log

from assistant.audit.anchor import ANCHOR_SECRET, AnchorStore
from assistant.audit.reset import reset_chain
from assistant.secrets import SecretStore

REPO = Path(__file__).resolve().parents[2]


def stored(store: SecretStore) -> dict:
    return json.loads(store.get(ANCHOR_SECRET))


def test_the_database_is_synced_before_every_anchor_write(storage, store, marker,
                                                          monkeypatch):
    events: list[str] = []
    query, write = storage.query, AnchorStore.write

    def recording_query(sql: str, params: tuple = ()):
        if sql.startswith("PRAGMA wal_checkpoint"):
            events.append("sync")
        return query(sql, params)

    def recording_write(self, a) -> None:
        events.append("anchor")
        write(self, a)

    monkeypatch.setattr(storage, "query", recording_query)
    monkeypatch.setattr(AnchorStore, "write", recording_write)
    audit = open_log(storage, store, marker)  # a first start anchors the empty chain
    fill(audit, 5)  # the first row at once, in the writer thread
    audit.close()  # the rest
    reset_chain(storage, store, "new disk", marker)  # the new chain, synchronously
    assert events == ["sync", "anchor"] * 4


def test_a_batched_update_waits_while_the_rows_may_not_be_on_disk(storage, store, marker):
    audit = open_log(storage, store, marker)
    fill(audit, 1)
    audit._writer.wait()
    # Another process reading an older snapshot keeps the new rows out of the checkpoint.
    reader = sqlite3.connect(storage.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM audit").fetchone()
    fill(audit, 3)
    assert audit.flush()
    assert stored(store)["count"] == 1  # deferred: rows 2-4 could still roll back
    reader.execute("COMMIT")
    reader.close()
    fill(audit, 1)
    audit.close()
    assert stored(store)["count"] == 5 and audit.check().ok


def test_closing_twice_flushes_once(storage, store, marker, monkeypatch):
    audit = open_log(storage, store, marker)
    fill(audit, 3)
    flushes: list[float] = []
    flush = audit._writer.flush

    def counting_flush(timeout_s: float = 10.0) -> bool:
        flushes.append(timeout_s)
        return flush(timeout_s)

    monkeypatch.setattr(audit._writer, "flush", counting_flush)
    audit.close()  # Core.aclose, in a worker thread
    audit.close()  # Core.close, on the loop: must not wait on the keyring again
    assert len(flushes) == 1 and stored(store)["count"] == 3


# Heron with a keyring that never answers (an unlock prompt nobody sees): the secret
# store is the one object faked here, at its lowest level.
HUNG = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from assistant.audit import AuditLog
    from assistant.audit.anchor import ANCHOR_SECRET
    from assistant.secrets import SecretStore
    from assistant.storage import Storage

    entered = threading.Event()

    class HungKeyring(SecretStore):
        def set(self, name, value):
            if name == ANCHOR_SECRET:
                entered.set()
                threading.Event().wait()
            super().set(name, value)

    data = Path(sys.argv[1])
    storage = Storage(data / "heron.db")
    audit = AuditLog.open(storage, HungKeyring(data, use_keyring=False),
                          anchor_path=Path(sys.argv[2]))
    audit.append("call", {"tool": "get_time", "status": "ok"})  # anchored at once
    entered.wait()
    print("exiting", flush=True)
""")


def test_a_hung_keyring_does_not_hold_up_the_exit_and_the_marker_is_current(
        storage, store, marker, data_dir):
    open_log(storage, store, marker)  # a chain with no rows yet: the next row is anchored
    done = subprocess.run([sys.executable, "-c", HUNG, str(data_dir), str(marker)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "exiting" in done.stdout, done.stderr
    assert json.loads(marker.read_text())["count"] == 1  # written before the keyring
    assert stored(store)["count"] == 0  # the keyring's copy never came
    report = open_log(storage, store, marker).check()
    assert report.ok, report.problems
