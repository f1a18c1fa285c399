"""Append-only audit log: each row is chained to the previous one with HMAC-SHA256; the
chain head (last id, its mac, row count) is kept beside the database (head.py) and, as
the anchor, with the key in the secret store plus a marker outside the data dir
(anchor.py). So edits, deletions, reordering, truncation, a replaced or deleted key and
a wiped log (rows + head, or the whole data dir) are all detected by `check()`.

Appends from several Heron processes are safe: the previous mac is read inside the
SQLite write transaction, and the head file is replaced after the commit under a file
lock, never moving backwards. A process killed between its commit and the head write
leaves the head *behind* the table; since rows carry valid macs only a key holder could
have written them, so `check()` reports that as a note, not tampering. A head or anchor
whose last row is gone means rows were deleted: an append that finds that first writes
an `audit.gap` row recording it, so carrying on never hides a truncation or a wipe.

A missing key is never replaced silently while anything shows a chain existed (anchor,
marker, rows, a head with rows): `open()` raises `audit.key_missing` (exit 8), and a new
chain is started only by `heron audit reset --yes` (reset.py).

Limits: whoever holds the key can rewrite everything (with the file fallback the key is
a 0600 file of the same user); rows written since the last anchor update (fewer than
EVERY_ROWS, within EVERY_S seconds) can be cut off unseen by someone who also puts back
an older copy of the head file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.audit import verify
from assistant.audit.anchor import Anchor, AnchorStore, AnchorWriter
from assistant.audit.head import HeadFile, unverified_count
from assistant.audit.report import (
    AuditError,
    AuditProblem,
    AuditReport,
    ChainHead,
    HeadState,
    ProblemKind,
)
from assistant.audit.verify import GAP_KIND, GENESIS, RESET_KIND
from assistant.secrets import SecretError, SecretStore
from assistant.storage import Storage

log = logging.getLogger(__name__)

AUDIT_KEY = "audit-hmac-key"
HEAD_FILE = "audit-head.json"
__all__ = ["AUDIT_KEY", "GAP_KIND", "GENESIS", "HEAD_FILE", "RESET_KIND", "AuditLog"]


class AuditLog:
    def __init__(self, storage: Storage, key: bytes, head_path: Path | None = None,
                 anchors: AnchorStore | None = None) -> None:
        """`head_path=None` keeps no head outside the database (truncation then goes
        unnoticed), `anchors=None` no anchor (a wiped log then goes unnoticed);
        `AuditLog.open` always sets both."""
        self._storage = storage
        self._key = key
        self.head_path = head_path
        self._head = HeadFile(head_path, key) if head_path is not None else None
        self.anchors = anchors
        self._writer = AnchorWriter(anchors) if anchors is not None else None
        self._anchor: Anchor | None = None  # the latest point we know is anchored
        self._anchor_damaged = False
        self._closed = False

    @classmethod
    def open(cls, storage: Storage, store: SecretStore, head_path: Path | None = None,
             legacy_key_file: Path | None = None, anchor_path: Path | None = None) -> AuditLog:
        """The audit log with its key from `store` (created on a clean first start, or
        taken over from the legacy 0600 `audit.key` file), its head next to the secrets
        and its anchor in `store` plus the marker `anchor_path` (outside the data dir).
        Raises AuditError `audit.key_missing` when the key is gone but a chain existed."""
        head_path = head_path or store.data_dir / HEAD_FILE
        legacy = legacy_key_file or store.data_dir / "audit.key"
        with store.lock():
            key_hex = store.get(AUDIT_KEY)
            kept = key_hex is not None
            if kept:
                if legacy.is_file():
                    log.warning("ignoring %s: the audit key is already in the %s", legacy,
                                store.backend)
                key = key_bytes(key_hex, store.backend)
            else:
                key = _first_key(storage, store, head_path, legacy, anchor_path)
            anchors = AnchorStore(store, anchor_path, key, durable_hook(storage))
            audit = cls(storage, key, head_path, anchors)
            audit._adopt_anchor(key_was_stored=kept)
            return audit

    def _adopt_anchor(self, key_was_stored: bool) -> None:
        """Take the stored anchor; with none anywhere (a fresh key, or the first start
        of a version that keeps one, whose head file is intact), anchor what the head
        file vouches for; otherwise mark it damaged."""
        assert self.anchors is not None and self._head is not None
        reading = self.anchors.read()
        best = reading.best
        head, state = self._head.read()
        if best is not None and best.anchor is not None:
            self._anchor = best.anchor
        elif reading.present or (key_was_stored and state != HeadState.OK):
            # A stored key with no valid head and no anchor is no upgrade: every version
            # wrote the head before storing the key, so both copies of the anchor and the
            # head were deleted (a wipe). check() reports it; the next append records it.
            self._anchor_damaged = True
        else:
            base = head if state == HeadState.OK and head is not None \
                else tail_head(self._storage)
            self._anchor = Anchor(secrets.token_hex(8), base.last_id, base.last_mac,
                                  base.count)
            self.anchors.advance(self._anchor, force=True)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Bring the anchor up to the last append and wait for it (False on timeout)."""
        return self._writer.flush(timeout_s) if self._writer is not None else True

    def close(self) -> None:
        """At a clean shutdown: anchor the last rows (the database stays open). Only the
        first call waits: a second one (Core.close after Core.aclose) must not wait on
        a hung keyring again."""
        if self._closed:
            return
        self._closed = True
        if not self.flush():
            log.warning("audit log: the chain anchor update did not finish in time")

    # -- writing ------------------------------------------------------------------------
    def _mac(self, prev: str, ts: float, kind: str, data: str) -> str:
        msg = json.dumps([prev, ts, kind, data], separators=(",", ":")).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def append(self, kind: str, data: dict[str, Any]) -> int:
        """Append one entry; returns its row id."""
        payload = dump_payload(data)
        forced = False
        with self._storage.transaction() as cur:
            tail = cur.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = tail["mac"] if tail else GENESIS
            base: ChainHead | None = None
            if self._head is not None:
                head, state = self._head.read()
                gap = verify.gap_found(cur, head, state, tail, self._anchor_head(cur))
                if gap is None and self._anchor_damaged:
                    gap = {"reason": "the chain anchor was missing, edited or signed with "
                                     "another key",
                           "table_last_id": tail["id"] if tail else 0}
                if gap is None:
                    base = head
                else:
                    log.warning("audit log: %s", gap["reason"])
                    prev = self._insert(cur, prev, GAP_KIND, dump_payload(gap))[1]
                    forced = True
            row_id, mac = self._insert(cur, prev, kind, payload)
            if self._head is None:
                return row_id
            if base is not None and base.count:  # counting after a trusted head is cheap
                after = cur.execute("SELECT count(*) FROM audit WHERE id > ?",
                                    (base.last_id,)).fetchone()[0]
                count = base.count + after
            else:
                count = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
        new = ChainHead(row_id, mac, count)
        self._head.advance(new, self._row_mac)
        self._note_anchor(new, forced)
        return row_id

    def _insert(self, cur, prev: str, kind: str, payload: str,
                row_id: int | None = None) -> tuple[int, str]:
        ts = time.time()
        mac = self._mac(prev, ts, kind, payload)
        cur.execute("INSERT INTO audit(id, ts, kind, data, prev_mac, mac) VALUES (?,?,?,?,?,?)",
                    (row_id, ts, kind, payload, prev, mac))
        return int(cur.lastrowid), mac

    def _anchor_head(self, cur) -> ChainHead | None:
        """The anchored head to hold the table to; re-read from the store when ours no
        longer fits (another process may have reset the chain)."""
        if self.anchors is None or self._anchor is None:
            return None
        if self._anchor.count and not verify.has_row(cur, self._anchor.head):
            try:
                best = self.anchors.read().best
            except SecretError as err:  # a locked keyring must not stop the tool call
                log.warning("audit log: cannot re-read the chain anchor: %s", err.message)
                best = None
            if best is not None and best.anchor is not None:
                self._anchor = best.anchor
        return self._anchor.head

    def _note_anchor(self, new: ChainHead, forced: bool) -> None:
        if self._writer is None:
            return
        first = self._anchor is None or self._anchor.count == 0 or self._anchor_damaged
        chain = self._anchor.chain if self._anchor is not None else secrets.token_hex(8)
        self._anchor = Anchor(chain, new.last_id, new.last_mac, new.count)
        self._anchor_damaged = False
        # The first row is anchored at once: from then on, a wiped log is detected.
        self._writer.note(self._anchor, force=forced or first)

    def _row_mac(self, row_id: int) -> str | None:
        rows = self._storage.query("SELECT mac FROM audit WHERE id = ?", (row_id,))
        return rows[0]["mac"] if rows else None

    # -- reading ------------------------------------------------------------------------
    def entries(self, limit: int = 100, tool: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` entries, oldest first, optionally only one tool's."""
        if tool is None:
            rows = self._storage.query(
                "SELECT id, ts, kind, data FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._storage.query(
                "SELECT id, ts, kind, data FROM audit WHERE json_valid(data) "
                "AND json_extract(data, '$.tool') = ? ORDER BY id DESC LIMIT ?",
                (tool, limit))
        out = []
        for r in reversed(rows):
            try:
                data = json.loads(r["data"])
            except ValueError:
                data = {"data": r["data"]}
            if not isinstance(data, dict):
                data = {"data": data}
            out.append({**data, "id": r["id"], "ts": r["ts"], "kind": r["kind"]})
        return out

    def verify(self) -> list[AuditProblem]:
        """Evidence of tampering (empty when intact)."""
        return self.check().problems

    def check(self) -> AuditReport:
        """Verify every row, the chain order, the head and the anchor; see
        AuditProblem.kind."""
        self.flush()  # our own pending anchor update is not evidence of anything
        # Head and anchor first, rows second: a concurrent append can then only make
        # them look behind (harmless), never ahead (which would read as truncation).
        head, state = self._head.read() if self._head is not None else (None, None)
        reading = self.anchors.read() if self.anchors is not None else None
        rows = self._storage.query(
            "SELECT id, ts, kind, data, prev_mac, mac FROM audit ORDER BY id")
        problems: list[AuditProblem] = []
        notes: list[str] = []
        mac_ok = [hmac.compare_digest(r["mac"], self._mac(r["prev_mac"], r["ts"], r["kind"],
                                                          r["data"])) for r in rows]
        wrong_key = (bool(rows) and not any(mac_ok)) or (not rows and state == HeadState.BAD_MAC)
        if wrong_key:
            problems.append(AuditProblem(
                ProblemKind.WRONG_KEY, f"none of the {len(rows)} rows nor the head match the "
                "audit key: the key was replaced, or the log was written with another key"))
        problems += verify.chain_problems(rows, mac_ok, report_macs=not wrong_key)
        reset = verify.reset_note(rows, mac_ok)
        if reset:
            notes.append(reset)
        if self._head is None:
            notes.append("no chain head is kept for this log: truncation cannot be detected")
        elif not wrong_key:  # with another key the head cannot be trusted either
            problems += verify.head_problems(rows, head, state, str(self.head_path), notes,
                                             structural=bool(problems))
        if reading is not None and not wrong_key:
            problems += verify.anchor_problems(rows, reading, notes,
                                               {p.kind for p in problems})
        return AuditReport(len(rows), problems, notes, head)


def durable_hook(storage: Storage, tries: int = 3) -> Callable[[], bool]:
    """What runs before an anchor is written: a checkpoint, which syncs the WAL (the
    database commits with synchronous=NORMAL, so its last commits could roll back after
    a power cut and leave a durable anchor past the table's end; head.py avoids the same
    trap by not syncing the head file). True when every committed frame was
    checkpointed; another process's open read can hold frames back, so it retries."""
    def sync() -> bool:
        for attempt in range(tries):
            busy, frames, done = tuple(storage.query("PRAGMA wal_checkpoint(PASSIVE)")[0])
            if not busy and frames == done:
                return True
            if attempt + 1 < tries:
                time.sleep(0.02)  # readers are short, and this is rare and off the append path
        return False
    return sync


def tail_head(storage: Storage) -> ChainHead:
    """The head the table itself shows (unverified)."""
    rows = storage.query("SELECT id, mac, (SELECT count(*) FROM audit) AS n "
                         "FROM audit ORDER BY id DESC LIMIT 1")
    if not rows:
        return ChainHead(0, GENESIS, 0)
    return ChainHead(rows[0]["id"], rows[0]["mac"], rows[0]["n"])


def _first_key(storage: Storage, store: SecretStore, head_path: Path, legacy: Path,
               anchor_path: Path | None) -> bytes:
    """No key in the store: take over the legacy file, refuse when a chain existed, or
    create one on a clean first start."""
    migrating = legacy.is_file()
    rows = storage.query("SELECT count(*) AS n FROM audit")[0]["n"]
    if not migrating:
        evidence = _chain_evidence(rows, store, head_path, anchor_path)
        if evidence:
            raise AuditError(
                "audit.key_missing",
                f"the audit key is missing from the {store.backend}, but {evidence}: a new "
                "key would hide whatever happened to the log",
                "restore the key (secret 'audit-hmac-key') from a backup; or start a new "
                "chain with `heron audit reset --yes`, which archives the old rows and "
                "records where they ended")
    key_hex = legacy.read_text().strip() if migrating else secrets.token_hex(32)
    key = key_bytes(key_hex, str(legacy) if migrating else store.backend)
    head = HeadFile(head_path, key)
    # The head is written before the key is stored: a crash in between leaves no key
    # and a head with no rows, which the next start takes for a clean first start.
    if not rows or (migrating and not head_path.exists()):
        head.write(tail_head(storage))  # legacy rows: trust on first use
    store.set(AUDIT_KEY, key_hex)
    if migrating:
        legacy.unlink()
        log.info("moved the audit key from %s into the %s", legacy, store.backend)
    return key


def _chain_evidence(rows: int, store: SecretStore, head_path: Path,
                    anchor_path: Path | None) -> str | None:
    """Why a missing key cannot be a clean first start (None: nothing says a chain was
    ever started here)."""
    reading = AnchorStore(store, anchor_path).read()
    if reading.present:
        return f"a chain was started here (anchor in {reading.describe()})"
    if rows:
        return f"the log has {rows} row(s)"
    claimed = unverified_count(head_path)
    if claimed:  # 0 is what a first start killed before storing the key leaves
        return (f"the head file {head_path} records {claimed} row(s)" if claimed > 0
                else f"the head file {head_path} exists but is damaged")
    return None


def dump_payload(data: dict[str, Any]) -> str:
    """An entry as stored: canonical JSON, so the mac covers exactly these bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def key_bytes(key_hex: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(key_hex.strip())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuditError("audit.bad_key", f"the audit key in {where} is damaged",
                         "restore it from a backup; if it is lost, start a new chain with "
                         "`heron audit reset --yes` (the old rows can then no longer be "
                         "verified)")
    return key
