"""`heron mcp`'s forced exit (its client left and the server is stuck): the rows written
since the last anchor update are anchored first, and a hung flush cannot keep the
process alive. The client is a real pipe; only the final os._exit is swapped, since a
real one would end pytest."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from assistant.audit import AuditLog
from assistant.audit.anchor import ANCHOR_SECRET
from assistant.cli.mcp_cmd import ClientWatch


def watch_a_client_that_leaves(before_exit) -> list[int]:
    read_end, write_end = os.pipe()
    watch = ClientWatch(read_end, grace_s=0)
    codes: list[int] = []
    exited = threading.Event()

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    watch._exit = fake_exit
    watch.before_exit = before_exit
    threading.Thread(target=watch._run, daemon=True).start()
    os.close(write_end)  # the client hangs up
    assert exited.wait(60), "the watcher never ended the process"
    os.close(read_end)
    return codes


def test_a_forced_exit_anchors_the_last_rows_first(storage, store, tmp_path: Path):
    audit = AuditLog.open(storage, store, anchor_path=tmp_path / "config" / "anchor.json")
    for i in range(4):  # the first row is anchored at once, the rest batched
        audit.append("call", {"tool": "get_time", "status": "ok", "i": i})
    audit._writer.wait()
    assert json.loads(store.get(ANCHOR_SECRET))["count"] == 1
    assert watch_a_client_that_leaves(audit.flush) == [0]
    assert json.loads(store.get(ANCHOR_SECRET))["count"] == 4


def test_a_hung_flush_does_not_keep_the_process_alive():
    hung = threading.Event()
    assert watch_a_client_that_leaves(lambda timeout_s: hung.wait()) == [0]
