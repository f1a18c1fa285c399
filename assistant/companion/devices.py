"""Paired phones: one-time pairing codes and per-device tokens, both stored as
sha256 hashes only, and the rate limiter for failed attempts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.storage import Storage
from models.errors import CodedError

PAIRING_TTL_S = 300.0  # a pairing code is valid for 5 minutes
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: typed on a phone
CODE_LEN = 8


class CompanionError(CodedError):
    exit_code = 1


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    created_at: float
    last_seen_at: float | None
    revoked_at: float | None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "created_at": self.created_at,
                "last_seen_at": self.last_seen_at, "revoked": self.revoked_at is not None}


class DeviceStore:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    def new_pairing_code(self) -> tuple[str, float]:
        """A fresh one-time code and when it expires (epoch seconds)."""
        code = "".join(secrets.choice(CODE_CHARS) for _ in range(CODE_LEN))
        expires = self._clock() + PAIRING_TTL_S
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM companion_pairing WHERE expires_at < ?", (self._clock(),))
            cur.execute("INSERT INTO companion_pairing(code_hash, expires_at) VALUES (?,?)",
                        (_hash(code.upper()), expires))
        return code, expires

    def pair(self, code: str, name: str) -> tuple[Device, str]:
        """Trade a valid, unused code for a new device and its token (shown once)."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        with self._db.transaction() as cur:
            row = cur.execute("SELECT expires_at, used_at FROM companion_pairing "
                              "WHERE code_hash=?", (_hash(code.strip().upper()),)).fetchone()
            if row is None or row["used_at"] is not None or row["expires_at"] < now:
                raise CompanionError("companion.bad_code",
                                     "that pairing code is wrong, used or expired",
                                     "run `heron companion pair` for a new code")
            cur.execute("UPDATE companion_pairing SET used_at=? WHERE code_hash=?",
                        (now, _hash(code.strip().upper())))
            cur.execute("INSERT INTO companion_devices(name, token_hash, created_at) "
                        "VALUES (?,?,?)", (name[:80] or "phone", _hash(token), now))
            device_id = int(cur.lastrowid)
        return self.get(device_id), token

    def authenticate(self, token: str | None) -> Device | None:
        """The device `token` belongs to, or None (unknown or revoked)."""
        if not token:
            return None
        digest = _hash(token)
        rows = self._db.query("SELECT * FROM companion_devices WHERE token_hash=? "
                              "AND revoked_at IS NULL", (digest,))
        # The lookup is by hash; compare again in constant time so equality is never
        # decided by a short-circuiting string compare on secret-derived data.
        if not rows or not hmac.compare_digest(rows[0]["token_hash"], digest):
            return None
        with self._db.transaction() as cur:
            cur.execute("UPDATE companion_devices SET last_seen_at=? WHERE id=?",
                        (self._clock(), rows[0]["id"]))
        return _device(rows[0])

    def get(self, device_id: int) -> Device:
        rows = self._db.query("SELECT * FROM companion_devices WHERE id=?", (device_id,))
        if not rows:
            raise CompanionError("companion.no_device", f"no paired device {device_id}",
                                 "see `heron companion devices`")
        return _device(rows[0])

    def active(self, device_id: int) -> bool:
        return bool(self._db.query("SELECT 1 FROM companion_devices WHERE id=? AND "
                                   "revoked_at IS NULL", (device_id,)))

    def list(self) -> list[Device]:
        return [_device(r) for r in self._db.query("SELECT * FROM companion_devices "
                                                   "ORDER BY id")]

    def revoke(self, device_id: int) -> Device:
        self.get(device_id)
        with self._db.transaction() as cur:
            cur.execute("UPDATE companion_devices SET revoked_at=? WHERE id=? "
                        "AND revoked_at IS NULL", (self._clock(), device_id))
        return self.get(device_id)


def _device(row) -> Device:
    return Device(row["id"], row["name"], row["created_at"], row["last_seen_at"],
                  row["revoked_at"])


class RateLimiter:
    """At most `limit` failures per key (a kind and a client: "pair:10.0.0.7") in a
    sliding `window_s`. Only failures are recorded, so it never refuses a valid token."""

    MAX_KEYS = 10_000  # a spray of source addresses cannot grow it without bound

    def __init__(self, limit: int = 10, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def blocked(self, key: str) -> bool:
        now = self._clock()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return len(recent) >= self.limit

    def failed(self, key: str) -> None:
        if key not in self._failures and len(self._failures) >= self.MAX_KEYS:
            self._forget_oldest()
        self._failures.setdefault(key, []).append(self._clock())

    def _forget_oldest(self) -> None:
        now = self._clock()
        for key in [k for k, ts in self._failures.items() if now - ts[-1] >= self.window_s]:
            del self._failures[key]
        for key in list(self._failures):  # insertion order: the first seen go first
            if len(self._failures) < self.MAX_KEYS:
                break
            del self._failures[key]
