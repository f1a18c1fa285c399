"""Append-only audit log: each row is chained to the previous one with HMAC-SHA256, and the
chain head (last id, its mac, row count) is also kept outside the database, so edits,
deletions, reordering, truncation and a replaced key are all detected by `verify()`.

Appends from several Heron processes are safe: the previous mac is read inside the
SQLite write transaction, and the head file is replaced after the commit under a file
lock, never moving backwards. A process killed between its commit and the head write
leaves the head *behind* the table; since rows carry valid macs only a key holder could
have written them, so `check()` reports that as a note, not tampering, and the next
append brings the head up to date. A head *ahead* of the table means rows were deleted.
An append that finds the head ahead of (or missing from) the table first writes an
`audit.gap` row recording what it found, so carrying on never hides a truncation.

Limits: whoever holds the key can rewrite everything (with the file fallback the key is
a 0600 file of the same user); an older head file copied back together with a matching
truncation is not detectable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.secrets import SecretStore, file_lock, write_private
from assistant.storage import Storage
from models.errors import CodedError

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AUDIT_KEY = "audit-hmac-key"
HEAD_FILE = "audit-head.json"
GAP_KIND = "audit.gap"


class AuditError(CodedError):
    """The audit log was tampered with or cannot be checked."""

    exit_code = 8


def load_key(path: Path) -> bytes:
    """Legacy: the audit key as a 0600 file. Use `AuditLog.open`, which keeps the key in
    the SecretStore and migrates this file into it."""
    if path.is_file():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


@dataclass(frozen=True)
class AuditProblem:
    """One piece of evidence of tampering. kind: edited | missing | reordered |
    duplicated | truncated | wrong_key | head_missing | head_invalid | gap."""

    kind: str
    message: str
    row_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row_id}: " if self.row_id is not None else ""
        return f"{where}{self.message} [{self.kind}]"

    def __contains__(self, text: str) -> bool:
        """`"deleted" in problem` searches its text form."""
        return text in str(self)


@dataclass(frozen=True)
class ChainHead:
    last_id: int
    last_mac: str
    count: int


@dataclass(frozen=True)
class AuditReport:
    rows_checked: int
    problems: list[AuditProblem]
    notes: list[str] = field(default_factory=list)
    head: ChainHead | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows_checked": self.rows_checked,
                "problems": [p.to_dict() for p in self.problems], "notes": self.notes,
                "head": asdict(self.head) if self.head else None}


class AuditLog:
    def __init__(self, storage: Storage, key: bytes, head_path: Path | None = None) -> None:
        """`head_path=None` keeps no head outside the database (truncation then goes
        unnoticed); `AuditLog.open` always sets one."""
        self._storage = storage
        self._key = key
        self.head_path = head_path

    @classmethod
    def open(cls, storage: Storage, store: SecretStore, head_path: Path | None = None,
             legacy_key_file: Path | None = None) -> AuditLog:
        """The audit log with its key from `store` (created on first use, or taken over
        from the legacy 0600 `audit.key` file) and its head next to the secrets."""
        head_path = head_path or store.data_dir / HEAD_FILE
        legacy = legacy_key_file or store.data_dir / "audit.key"
        with store.lock():
            key_hex = store.get(AUDIT_KEY)
            if key_hex is not None:
                if legacy.is_file():
                    log.warning("ignoring %s: the audit key is already in the %s", legacy,
                                store.backend)
                return cls(storage, _key_bytes(key_hex, store.backend), head_path)
            migrating = legacy.is_file()
            key_hex = legacy.read_text().strip() if migrating else secrets.token_hex(32)
            audit = cls(storage, _key_bytes(key_hex, str(legacy)), head_path)
            empty = not storage.query("SELECT 1 FROM audit LIMIT 1")
            # The head is written before the key is stored: a crash in between leaves no
            # key, and the next start simply does this again.
            if empty or (migrating and not head_path.exists()):
                audit._write_head(audit._tail_head())  # legacy rows: trust on first use
            store.set(AUDIT_KEY, key_hex)
            if migrating:
                legacy.unlink()
                log.info("moved the audit key from %s into the %s", legacy, store.backend)
            elif not empty:
                log.warning("created a new audit key although the log has rows: they "
                            "will not verify (was the old key deleted?)")
            return audit

    # -- writing ------------------------------------------------------------------------
    def _mac(self, prev: str, ts: float, kind: str, data: str) -> str:
        msg = json.dumps([prev, ts, kind, data], separators=(",", ":")).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def append(self, kind: str, data: dict[str, Any]) -> int:
        """Append one entry; returns its row id."""
        payload = _dump(data)
        with self._storage.transaction() as cur:
            tail = cur.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = tail["mac"] if tail else GENESIS
            base: ChainHead | None = None
            if self.head_path is not None:
                head, state = self._read_head()
                gap = _gap_found(cur, head, state, tail)
                if gap is None:
                    base = head
                else:
                    log.warning("audit log: %s", gap["reason"])
                    prev = self._insert(cur, prev, GAP_KIND, _dump(gap))[1]
            row_id, mac = self._insert(cur, prev, kind, payload)
            if self.head_path is None:
                return row_id
            if base is not None:  # counting only the rows after a trusted head is cheap
                after = cur.execute("SELECT count(*) FROM audit WHERE id > ?",
                                    (base.last_id,)).fetchone()[0]
                count = base.count + after
            else:
                count = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
        self._advance_head(ChainHead(row_id, mac, count))
        return row_id

    def _insert(self, cur, prev: str, kind: str, payload: str) -> tuple[int, str]:
        ts = time.time()
        mac = self._mac(prev, ts, kind, payload)
        cur.execute("INSERT INTO audit(ts, kind, data, prev_mac, mac) VALUES (?,?,?,?,?)",
                    (ts, kind, payload, prev, mac))
        return int(cur.lastrowid), mac

    # -- the head outside the database --------------------------------------------------
    def _head_mac(self, head: ChainHead) -> str:
        msg = json.dumps(["head", head.last_id, head.last_mac, head.count]).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def _read_head(self) -> tuple[ChainHead | None, str]:
        """(head, state) with state ok | missing | corrupt | bad_mac."""
        assert self.head_path is not None
        try:
            raw = json.loads(self.head_path.read_text(encoding="utf-8"))
            head = ChainHead(int(raw["last_id"]), str(raw["last_mac"]), int(raw["count"]))
            mac = str(raw["mac"])
        except FileNotFoundError:
            return None, "missing"
        except (OSError, ValueError, KeyError, TypeError):
            return None, "corrupt"
        if not hmac.compare_digest(mac, self._head_mac(head)):
            return None, "bad_mac"
        return head, "ok"

    def _write_head(self, head: ChainHead) -> None:
        assert self.head_path is not None
        doc = {**asdict(head), "mac": self._head_mac(head)}
        self.head_path.parent.mkdir(parents=True, exist_ok=True)
        # No fsync: the database commits with synchronous=NORMAL, so after a power cut a
        # durable head could be *ahead* of the table and read as truncation; a lost head
        # write only leaves it behind, which check() reports as harmless.
        write_private(self.head_path, json.dumps(doc) + "\n", sync=False)

    def _advance_head(self, new: ChainHead) -> None:
        """Write `new` unless another process already wrote a later head that is still
        consistent with the table (heads never move backwards)."""
        assert self.head_path is not None
        with file_lock(self.head_path.with_name(self.head_path.name + ".lock")):
            cur, state = self._read_head()
            if state == "ok" and cur is not None and cur.count >= new.count:
                row = self._storage.query("SELECT mac FROM audit WHERE id = ?",
                                          (cur.last_id,))
                if row and row[0]["mac"] == cur.last_mac:
                    return
            self._write_head(new)

    def _tail_head(self) -> ChainHead:
        rows = self._storage.query("SELECT id, mac, (SELECT count(*) FROM audit) AS n "
                                   "FROM audit ORDER BY id DESC LIMIT 1")
        if not rows:
            return ChainHead(0, GENESIS, 0)
        return ChainHead(rows[0]["id"], rows[0]["mac"], rows[0]["n"])

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
        """Verify every row, the chain order and the head; see AuditProblem.kind."""
        # Head first, rows second: a concurrent append can then only make the head look
        # behind (harmless), never ahead (which would read as truncation).
        head, state = self._read_head() if self.head_path else (None, "none")
        rows = self._storage.query(
            "SELECT id, ts, kind, data, prev_mac, mac FROM audit ORDER BY id")
        problems: list[AuditProblem] = []
        notes: list[str] = []
        mac_ok = [hmac.compare_digest(r["mac"], self._mac(r["prev_mac"], r["ts"], r["kind"],
                                                          r["data"])) for r in rows]
        wrong_key = (bool(rows) and not any(mac_ok)) or (not rows and state == "bad_mac")
        if wrong_key:
            problems.append(AuditProblem(
                "wrong_key", f"none of the {len(rows)} rows nor the head match the audit "
                "key: the key was replaced, or the log was written with another key"))
        problems += _chain_problems(rows, mac_ok, report_macs=not wrong_key)
        if self.head_path is None:
            notes.append("no chain head is kept for this log: truncation cannot be detected")
        elif not wrong_key:  # with another key the head cannot be trusted either
            problems += self._head_problems(rows, head, state, notes, structural=bool(problems))
        return AuditReport(len(rows), problems, notes, head)

    def _head_problems(self, rows, head: ChainHead | None, state: str, notes: list[str],
                       structural: bool) -> list[AuditProblem]:
        where = self.head_path
        if state == "missing":
            return [AuditProblem("head_missing", f"the chain head {where} is missing: it was "
                                 "deleted, so truncation cannot be ruled out")]
        if state != "ok" or head is None:
            return [AuditProblem("head_invalid", f"the chain head {where} was edited or "
                                 "signed with another key")]
        if head.count == 0:
            if rows:
                notes.append(_behind(rows, 0))
            return []
        index = next((i for i, r in enumerate(rows) if r["id"] == head.last_id), None)
        if index is None or rows[index]["mac"] != head.last_mac:
            moved = next((r["id"] for r in rows if r["mac"] == head.last_mac), None)
            if moved is not None:
                return [AuditProblem("reordered", f"the last row of the chain was row "
                                     f"{head.last_id} and is now stored as row {moved}", moved)]
            if not rows:
                return [AuditProblem("truncated", f"all rows were deleted: the head records "
                                     f"{head.count} rows ending at row {head.last_id}",
                                     head.last_id)]
            lost = max(head.count - len(rows), 0)
            return [AuditProblem(
                "truncated", f"rows were deleted from the end: the head records {head.count} "
                f"rows ending at row {head.last_id}, the table has {len(rows)} ending at row "
                f"{rows[-1]['id']}" + (f" ({lost} missing)" if lost else ""), head.last_id)]
        if index + 1 < len(rows):
            notes.append(_behind(rows, index + 1))
        if index + 1 != head.count and not structural:
            return [AuditProblem("missing", f"the head records {head.count} rows up to row "
                                 f"{head.last_id}, the table has {index + 1}", head.last_id)]
        return []


def _behind(rows, start: int) -> str:
    n = len(rows) - start
    return (f"the chain head is behind by {n} row(s) (rows {rows[start]['id']}–"
            f"{rows[-1]['id']}): they were written with the key but the head was not "
            "updated (a Heron process stopped mid-append); not tampering, and the next "
            "append updates the head")


def _chain_problems(rows, mac_ok: list[bool], report_macs: bool) -> list[AuditProblem]:
    owner: dict[str, int] = {}
    problems: list[AuditProblem] = []
    for r in rows:
        if r["mac"] in owner:
            problems.append(AuditProblem("duplicated", f"a copy of row {owner[r['mac']]}",
                                         r["id"]))
        owner.setdefault(r["mac"], r["id"])
    prev_mac, prev_id = GENESIS, None
    for r, ok in zip(rows, mac_ok, strict=True):
        rid = r["id"]
        if report_macs and not ok:
            problems.append(AuditProblem("edited", "contents altered after writing (data, "
                                         "time or kind changed)", rid))
        if r["prev_mac"] != prev_mac and (ok or not report_macs):
            after = f"row {prev_id}" if prev_id is not None else "the start"
            if r["prev_mac"] == GENESIS:
                text = f"out of order: it is the first row of the chain but is stored after {after}"
                problems.append(AuditProblem("reordered", f"chain broken: {text}", rid))
            elif r["prev_mac"] in owner:
                text = (f"out of order: it follows row {owner[r['prev_mac']]} in the chain but "
                        f"is stored after {after}")
                problems.append(AuditProblem("reordered", f"chain broken: {text}", rid))
            else:
                gap = rid - prev_id - 1 if prev_id is not None else rid - 1
                count = f"{gap} row(s)" if gap > 0 else "row(s)"
                text = f"{count} deleted between {after} and row {rid}"
                problems.append(AuditProblem("missing", f"chain broken: {text}", rid))
        if ok and r["kind"] == GAP_KIND:
            problems.append(AuditProblem("gap", _gap_text(r["data"]), rid))
        prev_mac, prev_id = r["mac"], rid
    return problems


def _gap_found(cur, head: ChainHead | None, state: str, tail) -> dict[str, Any] | None:
    """What an append must record before writing (None when the head fits the table)."""
    table_last = tail["id"] if tail else 0
    if state == "missing":
        if tail is None:
            return None  # nothing logged yet and no head: a fresh log
        reason = "the chain head file was missing"
    elif state != "ok" or head is None:
        reason = "the chain head file was edited or signed with another key"
    elif head.count == 0:
        return None
    else:
        row = cur.execute("SELECT mac FROM audit WHERE id = ?", (head.last_id,)).fetchone()
        if row is not None and row["mac"] == head.last_mac:
            return None
        reason = (f"rows were deleted: the head recorded {head.count} rows ending at row "
                  f"{head.last_id}, the table ended at row {table_last}")
    table_count = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
    return {"reason": reason, "head": asdict(head) if head else None,
            "table_last_id": table_last, "table_count": table_count}


def _gap_text(data: str) -> str:
    try:
        reason = json.loads(data)["reason"]
    except (ValueError, KeyError, TypeError):
        reason = "the log was found damaged"
    return f"found when this row was written: {reason}"


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _key_bytes(key_hex: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(key_hex.strip())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuditError("audit.bad_key", f"the audit key in {where} is damaged",
                         "restore it from a backup; if it is lost, move heron.db and "
                         "audit-head.json aside to start a new log (the old one can no "
                         "longer be verified)")
    return key
