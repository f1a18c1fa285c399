"""Append-only audit log: each row is chained to the previous one with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from assistant.storage import Storage

GENESIS = "0" * 64


def load_key(path: Path) -> bytes:
    """The audit HMAC key; a 0600 file until the keyring backend lands."""
    if path.is_file():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


class AuditLog:
    def __init__(self, storage: Storage, key: bytes) -> None:
        self._storage = storage
        self._key = key

    def _mac(self, prev: str, ts: float, kind: str, data: str) -> str:
        msg = json.dumps([prev, ts, kind, data], separators=(",", ":")).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def append(self, kind: str, data: dict[str, Any]) -> int:
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        with self._storage.transaction() as cur:
            row = cur.execute("SELECT mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = row[0] if row else GENESIS
            ts = time.time()
            mac = self._mac(prev, ts, kind, payload)
            cur.execute("INSERT INTO audit(ts, kind, data, prev_mac, mac) VALUES (?,?,?,?,?)",
                        (ts, kind, payload, prev, mac))
            return int(cur.lastrowid)

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._storage.query(
            "SELECT id, ts, kind, data FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [{"id": r["id"], "ts": r["ts"], "kind": r["kind"], **json.loads(r["data"])}
                for r in reversed(rows)]

    def verify(self) -> list[str]:
        """Problems found in the chain (empty when intact)."""
        problems, prev = [], GENESIS
        for r in self._storage.query("SELECT * FROM audit ORDER BY id"):
            if r["prev_mac"] != prev:
                problems.append(f"row {r['id']}: chain broken (row missing or reordered)")
            if not hmac.compare_digest(r["mac"], self._mac(r["prev_mac"], r["ts"], r["kind"],
                                                           r["data"])):
                problems.append(f"row {r['id']}: contents altered")
            prev = r["mac"]
        return problems
