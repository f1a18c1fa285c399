"""The chain anchor kept with the key: a wiped log is caught even after Heron carries on,
a missing key is refused instead of replaced, the anchor is written in batches (never
on every append) and never moves backwards, and a damaged anchor is reported."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from audit_support import fill, open_log

from assistant.audit import AUDIT_KEY, HEAD_FILE, AuditError
from assistant.audit.anchor import ANCHOR_SECRET, Anchor, AnchorStore, AnchorWriter
from assistant.audit.reset import reset_chain
from assistant.secrets import SecretStore
from assistant.storage import Storage


def wipe(storage: Storage, data_dir: Path) -> None:
    con = sqlite3.connect(storage.path, isolation_level=None)
    con.execute("DELETE FROM audit")
    con.close()
    (data_dir / HEAD_FILE).unlink()


def stored(store: SecretStore) -> dict:
    return json.loads(store.get(ANCHOR_SECRET))


def test_a_wiped_log_is_still_caught_after_heron_carries_on(storage, store, marker, data_dir):
    audit = open_log(storage, store, marker)
    fill(audit, 5)
    audit.close()
    wipe(storage, data_dir)
    report = audit.check()
    assert [p.kind for p in report.problems] == ["head_missing", "truncated"]
    assert "the anchor in the secret store" in report.problems[1].message
    again = open_log(storage, store, marker)  # the next start
    fill(again, 2)
    problems = again.check().problems
    assert [(p.kind, p.row_id) for p in problems] == [("gap", 1)]
    assert "the anchor recorded 5 rows ending at row 5" in problems[0].message


def test_the_first_row_is_anchored_at_once_the_rest_in_batches_and_at_close(
        storage, store, marker):
    audit = open_log(storage, store, marker)
    assert stored(store)["count"] == 0  # a clean first start anchors the empty chain
    fill(audit, 5)
    audit._writer.wait()
    assert stored(store)["count"] == 1 and json.loads(marker.read_text())["count"] == 1
    audit.close()
    assert stored(store)["count"] == 5 and json.loads(marker.read_text())["count"] == 5
    assert stored(store)["chain"] == json.loads(marker.read_text())["chain"]


class Recorder:
    def __init__(self) -> None:
        self.written: list[tuple[int, bool]] = []

    def advance(self, anchor: Anchor, force: bool = False) -> None:
        self.written.append((anchor.count, force))


def anchor(n: int) -> Anchor:
    return Anchor("c", n, f"m{n}", n)


def test_the_writer_batches_by_rows_and_by_seconds():
    rec, now = Recorder(), [0.0]
    writer = AnchorWriter(rec, every_rows=4, every_s=60, clock=lambda: now[0])  # type: ignore[arg-type]
    writer.note(anchor(1), force=True)
    for n in (2, 3, 4):
        writer.note(anchor(n))
    writer.wait()
    assert rec.written == [(1, True)]
    writer.note(anchor(5))  # the 4th row since the last write
    writer.wait()
    assert rec.written[-1] == (5, False)
    writer.note(anchor(6))
    now[0] = 61.0
    writer.note(anchor(7))  # a minute since the last write
    writer.wait()
    assert rec.written[-1] == (7, False) and len(rec.written) == 3
    writer.note(anchor(8))
    assert writer.flush()
    assert rec.written[-1] == (8, False)


def test_the_anchor_never_moves_backwards_unless_forced(store, marker):
    anchors = AnchorStore(store, marker, b"k" * 32)
    anchors.advance(Anchor("c1", 9, "m9", 9), force=True)
    anchors.advance(Anchor("c1", 4, "m4", 4))  # a slower process with an older view
    assert stored(store)["count"] == 9
    anchors.advance(Anchor("other", 12, "m12", 12))  # not this chain's head: dropped
    assert stored(store)["chain"] == "c1" and stored(store)["count"] == 9
    anchors.advance(Anchor("c2", 1, "m1", 1), force=True)  # a gap or a reset
    assert stored(store)["chain"] == "c2" and stored(store)["count"] == 1


def test_a_missing_key_with_rows_left_is_refused(storage, store, marker, data_dir):
    audit = open_log(storage, store, marker)
    fill(audit, 3)
    audit.close()
    store.delete(AUDIT_KEY)
    store.delete(ANCHOR_SECRET)
    marker.unlink()
    (data_dir / HEAD_FILE).unlink()
    with pytest.raises(AuditError) as err:
        open_log(storage, store, marker)
    assert err.value.code == "audit.key_missing" and err.value.exit_code == 8
    assert "the log has 3 row(s)" in err.value.message
    assert store.get(AUDIT_KEY) is None  # no key was made behind the user's back


def test_a_missing_key_with_only_a_head_file_left_is_refused(storage, store, marker,
                                                            data_dir):
    fill(open_log(storage, store, marker), 3)
    wipe_rows = sqlite3.connect(storage.path, isolation_level=None)
    wipe_rows.execute("DELETE FROM audit")
    wipe_rows.close()
    store.delete(AUDIT_KEY)
    store.delete(ANCHOR_SECRET)
    marker.unlink()
    with pytest.raises(AuditError, match="records 3 row"):
        open_log(storage, store, marker)


def test_a_first_start_killed_before_storing_the_key_starts_clean(storage, store, marker):
    open_log(storage, store, marker)
    # what a kill between writing the empty head and storing the key leaves behind
    store.delete(AUDIT_KEY)
    store.delete(ANCHOR_SECRET)
    marker.unlink()
    audit = open_log(storage, store, marker)
    fill(audit, 2)
    assert audit.check().ok


def test_an_edited_anchor_is_reported_and_recorded_by_the_next_append(storage, store,
                                                                       marker):
    audit = open_log(storage, store, marker)
    fill(audit, 3)
    audit.close()
    doc = stored(store)
    store.set(ANCHOR_SECRET, json.dumps({**doc, "count": 1, "last_id": 1}))
    report = audit.check()  # the marker copy is intact and used
    assert report.ok and any("is damaged" in n for n in report.notes)
    marker.write_text("{}")
    reopened = open_log(storage, store, marker)
    assert [p.kind for p in reopened.check().problems] == ["anchor_invalid"]
    fill(reopened, 1)
    problems = reopened.check().problems
    assert [p.kind for p in problems] == ["gap"]
    assert "the chain anchor was missing, edited or signed" in problems[0].message


def test_an_unwritable_marker_does_not_stop_the_log(storage, store, tmp_path, caplog):
    blocker = tmp_path / "config"
    blocker.write_text("not a directory")
    caplog.set_level(logging.WARNING)
    audit = open_log(storage, store, blocker / "audit-anchor.json")
    fill(audit, 2)
    audit.close()
    assert audit.check().ok and stored(store)["count"] == 2
    assert "cannot write the anchor marker" in caplog.text


def test_deleting_the_log_and_both_anchor_copies_but_keeping_the_key_is_caught(
        storage, store, marker, data_dir):
    audit = open_log(storage, store, marker)
    fill(audit, 5)
    audit.close()
    wipe(storage, data_dir)  # rows and head...
    store.delete(ANCHOR_SECRET)  # ...and both copies of the anchor; the key stays
    marker.unlink()
    again = open_log(storage, store, marker)  # once looked like an upgrade: anchored empty
    assert "anchor_missing" in {p.kind for p in again.check().problems}
    fill(again, 2)
    problems = again.check().problems
    assert [(p.kind, p.row_id) for p in problems] == [("gap", 1)]
    assert "the chain anchor was missing, edited or signed with another key" \
        in problems[0].message
    assert open_log(storage, store, marker).check().problems == problems  # stays caught


def test_a_batched_anchor_of_the_old_chain_is_not_written_after_a_reset(storage, store,
                                                                         marker):
    running = open_log(storage, store, marker)  # Heron, running during the reset
    fill(running, 3)
    running._writer.wait()  # row 1 is anchored; rows 2-3 wait for the next batch
    result = reset_chain(storage, store, "new laptop", marker)
    running.close()  # Heron exits with no further append: its old head must not land
    assert stored(store)["chain"] == result.chain and stored(store)["count"] == 1
    report = open_log(storage, store, marker).check()
    assert report.ok, report.problems
