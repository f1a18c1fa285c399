"""The audit hash chain and its head: every kind of tampering is detected, appends from
several processes at once stay a valid chain, and the legacy key file is taken over."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import load_key

from assistant.audit import AUDIT_KEY, HEAD_FILE, AuditLog
from assistant.builtins.clock import GetTime
from assistant.bus import EventBus
from assistant.secrets import SecretStore
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def audit(storage, store) -> AuditLog:
    return AuditLog.open(storage, store)


def fill(audit: AuditLog, n: int = 6) -> None:
    for i in range(n):
        audit.append("call", {"call_id": f"c{i}", "tool": "set_timer", "args": {"seconds": 120},
                              "status": "ok", "code": "", "source": "cli"})


def attack(storage: Storage, *statements: str) -> None:
    """Change the database behind Heron's back, as another program would."""
    con = sqlite3.connect(storage.path, isolation_level=None)
    for sql in statements:
        con.execute(sql)
    con.close()


def kinds(problems) -> set[str]:
    return {p.kind for p in problems}


def test_an_untouched_log_verifies_and_counts_its_rows(audit):
    fill(audit)
    report = audit.check()
    assert report.ok and report.problems == [] and report.notes == []
    assert report.rows_checked == 6
    assert report.head is not None and report.head.count == 6 and report.head.last_id == 6


def test_every_tool_call_and_decision_is_in_the_chain(storage, audit):
    registry = ToolRegistry(EventBus(), audit)
    registry.register(GetTime())
    outcome = asyncio.run(registry.call(ToolCall("get_time", {}, source="cli")))
    assert outcome.status == "ok"
    entries = audit.entries()
    assert [e["kind"] for e in entries] == ["decision", "call"]
    assert entries[0]["decision"] == "allow" and entries[1]["status"] == "ok"
    assert audit.entries(tool="get_time") == entries
    assert audit.entries(tool="set_timer") == []
    assert audit.verify() == []


def test_an_edited_payload_is_caught(storage, audit):
    fill(audit)
    attack(storage, "UPDATE audit SET data = replace(data, '120', '999') WHERE id = 3")
    problems = audit.verify()
    assert [(p.kind, p.row_id) for p in problems] == [("edited", 3)]


def test_an_edited_timestamp_is_caught(storage, audit):
    fill(audit)
    attack(storage, "UPDATE audit SET ts = ts - 3600 WHERE id = 2")
    assert [(p.kind, p.row_id) for p in audit.verify()] == [("edited", 2)]


def test_an_edited_kind_is_caught(storage, audit):
    fill(audit)
    attack(storage, "UPDATE audit SET kind = 'decision' WHERE id = 5")
    assert [(p.kind, p.row_id) for p in audit.verify()] == [("edited", 5)]


def test_a_row_deleted_in_the_middle_is_caught(storage, audit):
    fill(audit)
    attack(storage, "DELETE FROM audit WHERE id = 3")
    problems = audit.verify()
    assert [(p.kind, p.row_id) for p in problems] == [("missing", 4)]
    assert "1 row(s) deleted between row 2 and row 4" in problems[0].message


def test_two_swapped_rows_are_caught(storage, audit):
    fill(audit)
    attack(storage, "UPDATE audit SET id = -2 WHERE id = 2", "UPDATE audit SET id = 2 WHERE id = 3",
           "UPDATE audit SET id = 3 WHERE id = -2")
    problems = audit.verify()
    assert kinds(problems) == {"reordered"}
    assert {p.row_id for p in problems} >= {2, 3}
    assert audit.check().rows_checked == 6


def test_a_truncated_tail_is_caught(storage, audit):
    fill(audit)
    attack(storage, "DELETE FROM audit WHERE id > 4")
    problems = audit.verify()
    assert [(p.kind, p.row_id) for p in problems] == [("truncated", 6)]
    assert "(2 missing)" in problems[0].message


def test_deleting_every_row_is_caught(storage, audit):
    fill(audit)
    attack(storage, "DELETE FROM audit")
    problems = audit.verify()
    assert [p.kind for p in problems] == ["truncated"]
    assert "all rows were deleted" in problems[0].message


def test_a_replaced_key_is_caught(storage, store, audit):
    fill(audit)
    store.set(AUDIT_KEY, secrets.token_hex(32))
    reopened = AuditLog.open(storage, store)
    assert kinds(reopened.verify()) == {"wrong_key"}
    # the log as a whole, not six separate edits
    assert len(reopened.verify()) == 1


def test_a_deleted_or_edited_head_is_caught(storage, data_dir, audit):
    fill(audit)
    head = data_dir / HEAD_FILE
    doc = json.loads(head.read_text())
    head.write_text(json.dumps({**doc, "count": 4, "last_id": 4}))
    assert kinds(audit.verify()) == {"head_invalid"}
    head.unlink()
    assert kinds(audit.verify()) == {"head_missing"}


def test_appending_after_a_truncation_does_not_hide_it(storage, audit):
    fill(audit)
    attack(storage, "DELETE FROM audit WHERE id > 4")
    audit.append("call", {"tool": "get_time", "status": "ok"})
    audit.append("call", {"tool": "get_time", "status": "ok"})
    problems = audit.verify()
    assert [(p.kind, p.row_id) for p in problems] == [("gap", 5)]
    assert "head recorded 6 rows ending at row 6" in problems[0].message
    assert audit.entries(1)[0]["tool"] == "get_time"


def test_a_head_left_behind_by_a_killed_writer_is_a_note_not_tampering(storage, audit):
    fill(audit, 3)
    # A writer that commits but never reaches the head update is what a kill between
    # the two leaves behind: same key, same table, no head write.
    killed = AuditLog(storage, audit._key, head_path=None)
    killed.append("call", {"tool": "get_time"})
    killed.append("call", {"tool": "get_time"})
    report = audit.check()
    assert report.ok
    assert len(report.notes) == 1 and "behind by 2 row(s) (rows 4–5)" in report.notes[0]
    audit.append("call", {"tool": "get_date"})
    report = audit.check()
    assert report.ok and report.notes == [] and report.head.count == 6


def test_legacy_key_file_moves_into_the_store_and_old_rows_still_verify(storage, store, data_dir):
    legacy = data_dir / "audit.key"
    old = AuditLog(storage, load_key(legacy))
    for i in range(3):
        old.append("decision", {"tool": "get_time", "decision": "allow", "i": i})
    audit = AuditLog.open(storage, store)
    assert not legacy.exists()
    assert store.get(AUDIT_KEY) is not None
    assert audit.check().ok and audit.check().head.count == 3
    audit.append("call", {"tool": "get_time"})
    assert AuditLog.open(storage, store).check().ok


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from assistant.secrets import SecretStore
    from assistant.storage import Storage
    from assistant.audit import AuditLog
    data, n, who = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    storage = Storage(data / "heron.db")
    audit = AuditLog.open(storage, SecretStore(data, use_keyring=False))
    for i in range(n):
        audit.append("call", {"tool": "get_time", "source": who, "i": i})
    storage.close()
""")


def test_processes_appending_at_once_keep_one_valid_chain(tmp_path):
    data = tmp_path / "data"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(data), "40", f"p{k}"],
                              cwd=REPO, stderr=subprocess.PIPE, text=True) for k in range(4)]
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read()
    storage = Storage(data / "heron.db")
    try:
        report = AuditLog.open(storage, SecretStore(data, use_keyring=False)).check()
    finally:
        storage.close()
    assert report.problems == [] and report.notes == []
    assert report.rows_checked == 160 and report.head.count == 160
