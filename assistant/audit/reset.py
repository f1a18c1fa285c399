"""`heron audit reset --yes`: start a new chain on purpose. The old rows move to an
archive file (still verifiable with the old key, if there was one), and the new chain's
first row (`audit.reset`) records where the old chain ended, when and why.

This is the only way to a new key while a chain exists: `AuditLog.open` refuses to make
one silently. Stop Heron first: an append racing the reset is recorded as a gap."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.audit.anchor import Anchor, AnchorStore
from assistant.audit.head import HeadFile
from assistant.audit.log import (
    AUDIT_KEY,
    HEAD_FILE,
    AuditLog,
    dump_payload,
    durable_hook,
    key_bytes,
    tail_head,
)
from assistant.audit.report import AuditError, ChainHead, HeadState
from assistant.audit.verify import GENESIS, RESET_KIND
from assistant.secrets import SecretStore, write_private
from assistant.storage import Storage

ARCHIVE_DIR = "audit-archive"


@dataclass(frozen=True)
class ResetPlan:
    """What a reset finds and will do (shown when --yes is missing)."""

    rows: int
    table_last_id: int
    previous: dict[str, Any] | None  # where the old chain ended, and who says so
    key: str  # "kept" | "new: …why"

    def describe(self) -> str:
        prev = self.previous
        end = (f"its head ({prev['source']}) records {prev['count']} row(s) ending at row "
               f"{prev['last_id']}" if prev else "no head of it was found")
        return (f"the current log has {self.rows} row(s); {end}; the audit key will be "
                f"{self.key}")


@dataclass(frozen=True)
class ResetResult:
    plan: ResetPlan
    chain: str
    row_id: int
    archive: str | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "plan": asdict(self.plan)}


def plan_reset(storage: Storage, store: SecretStore, anchor_path: Path | None,
               head_path: Path | None = None) -> ResetPlan:
    key, why = _current_key(store)
    head_path = head_path or store.data_dir / HEAD_FILE
    tail = tail_head(storage)
    found: list[tuple[str, ChainHead, str | None]] = []
    if key is not None:
        head, state = HeadFile(head_path, key).read()
        if state == HeadState.OK and head is not None:
            found.append(("head file, verified", head, None))
    best = AnchorStore(store, anchor_path, key).read().best
    if best is not None and best.anchor is not None:
        found.append((f"anchor in {best.where}, {best.state}", best.anchor.head,
                      best.anchor.chain))
    if not found and tail.count:
        found.append(("table, unverified", tail, None))
    previous = None
    if found:  # the one that saw the most rows: a wipe leaves the others behind
        source, head, chain = max(found, key=lambda f: f[1].count)
        chain = chain or (best.anchor.chain if best and best.anchor else None)
        previous = {**asdict(head), "chain": chain, "source": source}
    return ResetPlan(tail.count, tail.last_id, previous, "kept" if key else f"new: {why}")


def reset_chain(storage: Storage, store: SecretStore, reason: str,
                anchor_path: Path | None, head_path: Path | None = None) -> ResetResult:
    """Archive the old rows and start a new chain whose first row names the old head."""
    head_path = head_path or store.data_dir / HEAD_FILE
    with store.lock():
        plan = plan_reset(storage, store, anchor_path, head_path)
        key_hex = store.get(AUDIT_KEY) if plan.key == "kept" else secrets.token_hex(32)
        assert key_hex is not None
        key = bytes.fromhex(key_hex)
        audit = AuditLog(storage, key)
        now = dt.datetime.now(dt.UTC)
        # Ids go on after every id the old chain used, so no row id is ever reused.
        used = max([plan.table_last_id] + ([plan.previous["last_id"]] if plan.previous
                                           else []))
        with storage.transaction() as cur:
            # Archived inside the write transaction: no append can slip in between.
            rows = cur.execute("SELECT id, ts, kind, data, prev_mac, mac FROM audit "
                               "ORDER BY id").fetchall()
            if len(rows) != plan.rows:
                raise AuditError("audit.reset_raced", "rows were appended while resetting",
                                 "stop Heron (and any `heron` command) and run the reset "
                                 "again")
            archive = _archive(rows, store.data_dir, now, plan, reason) if rows else None
            data = {"reason": reason, "reset_at": now.isoformat(timespec="seconds"),
                    "previous": plan.previous, "archive": str(archive) if archive else None,
                    "rows_archived": plan.rows, "key": plan.key}
            cur.execute("DELETE FROM audit")
            row_id, mac = audit._insert(cur, GENESIS, RESET_KIND, dump_payload(data), used + 1)
            if plan.key != "kept":  # stored last: a failure above leaves everything as it was
                store.set(AUDIT_KEY, key_hex)
        head = ChainHead(row_id, mac, 1)
        HeadFile(head_path, key).write(head)
        chain = secrets.token_hex(8)
        anchors = AnchorStore(store, anchor_path, key, durable_hook(storage))
        anchors.advance(Anchor(chain, row_id, mac, 1), force=True)
    return ResetResult(plan, chain, row_id, str(archive) if archive else None)


def _current_key(store: SecretStore) -> tuple[bytes | None, str]:
    key_hex = store.get(AUDIT_KEY)
    if key_hex is None:
        return None, "the old one is missing"
    try:
        return key_bytes(key_hex, store.backend), ""
    except AuditError:
        return None, "the old one is damaged"


def _archive(rows, data_dir: Path, now: dt.datetime, plan: ResetPlan, reason: str) -> Path:
    """The old rows as JSON lines (a header, then every column of every row), 0600,
    on disk in full before any row is deleted."""
    folder = data_dir / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"audit-{stamp}-{secrets.token_hex(3)}.jsonl"
    lines = [json.dumps({"archived_at": stamp, "reason": reason,
                         "previous": plan.previous, "rows": plan.rows})]
    lines += [json.dumps(dict(r)) for r in rows]
    write_private(path, "\n".join(lines) + "\n")  # atomic, 0600, fsynced
    return path
