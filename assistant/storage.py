"""SQLite storage (WAL) in the data dir: timers, audit, history, grants, notes, lists,
reminders, the notification outbox, preferences. Schema migrations
run in order; every write is one short transaction."""

from __future__ import annotations

import os
import shlex
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.errors import CodedError

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE timers (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL DEFAULT '',
        duration_s INTEGER NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'fired', 'cancelled')),
        fired_at REAL
    );
    CREATE INDEX timers_pending ON timers(state, due_at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_mac TEXT NOT NULL,
        mac TEXT NOT NULL
    );
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        role TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL
    );
    """,
    # issue 4: approvals, notes, reminders, the phone outbox, preferences, worker runs
    """
    CREATE TABLE grants (
        tool TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '*',
        answer TEXT NOT NULL CHECK (answer IN ('always', 'never')),
        created_at REAL NOT NULL,
        PRIMARY KEY (tool, scope)
    );
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        text TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'fired', 'cancelled')),
        fired_at REAL
    );
    CREATE INDEX reminders_pending ON reminders(state, due_at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        delivered_at REAL
    );
    CREATE TABLE preferences (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # a reply that carried untrusted text (a file, the clipboard, …) stays untrusted
    # when it comes back as conversation history for the LLM
    """
    ALTER TABLE history ADD COLUMN untrusted INTEGER NOT NULL DEFAULT 0;
    """,
    # the phone companion: paired devices (token hashes only), one-time pairing
    # codes, Web Push subscriptions, and the delivery state of each outbox entry per
    # notification bridge
    """
    CREATE TABLE companion_devices (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        last_seen_at REAL,
        revoked_at REAL
    );
    CREATE TABLE companion_pairing (
        code_hash TEXT PRIMARY KEY,
        expires_at REAL NOT NULL,
        used_at REAL
    );
    CREATE TABLE companion_push (
        endpoint TEXT PRIMARY KEY,
        device_id INTEGER NOT NULL REFERENCES companion_devices(id),
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE outbox_delivery (
        outbox_id INTEGER NOT NULL REFERENCES outbox(id),
        bridge TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        delivered_at REAL,
        last_error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (outbox_id, bridge)
    );
    CREATE INDEX outbox_delivery_due ON outbox_delivery(state, next_attempt_at)
    """,
    # 5: timers can be paused (remaining_s holds what is left while paused); named lists
    # (shopping list, to-do …) with items that can be checked off.
    """
    CREATE TABLE timers_v2 (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL DEFAULT '',
        duration_s INTEGER NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'paused', 'fired', 'cancelled')),
        fired_at REAL,
        remaining_s REAL
    );
    INSERT INTO timers_v2(id, label, duration_s, created_at, due_at, state, fired_at)
        SELECT id, label, duration_s, created_at, due_at, state, fired_at FROM timers;
    DROP TABLE timers;
    ALTER TABLE timers_v2 RENAME TO timers;
    CREATE INDEX timers_pending ON timers(state, due_at);
    CREATE TABLE lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at REAL NOT NULL
    );
    CREATE TABLE list_items (
        id INTEGER PRIMARY KEY,
        list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX list_items_list ON list_items(list_id, done)
    """,
)


class StorageError(CodedError):
    """heron.db cannot be used (damaged, full disk, read-only): exit 7, as for anything
    essential that is missing; the message names the file and the next step."""

    exit_code = 7


class Storage:
    """One connection shared by the loop thread and executors, serialised by a lock.
    Statements are tiny, so holding the loop for them is acceptable."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = self._connect()
        try:
            self._migrate()
        except BaseException:
            # The error's traceback keeps this half-made object alive in a cycle: close
            # now, or each retry on a damaged file holds a file descriptor until gc.
            self._conn.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # private: SQLite gives -wal/-shm the same mode
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            conn = sqlite3.connect(self.path, check_same_thread=False,
                                   isolation_level=None, timeout=10)
        except (OSError, sqlite3.Error) as err:
            raise _storage_error(self.path, err) from err
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")  # the first read: a damaged file fails
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as err:
            conn.close()  # as above: not left to the garbage collector
            raise _storage_error(self.path, err) from err
        return conn

    def _migrate(self) -> None:
        with self.transaction() as cur:
            version = cur.execute("PRAGMA user_version").fetchone()[0]
            for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version={i}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                yield cur
                cur.execute("COMMIT")
            except BaseException as err:
                if self._conn.in_transaction:
                    cur.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    raise _storage_error(self.path, err) from err
                raise
            finally:
                cur.close()

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as err:
                raise _storage_error(self.path, err) from err

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _storage_error(path: Path, err: Exception) -> StorageError:
    text = str(err)
    if "disk is full" in text or getattr(err, "errno", None) == 28:
        return StorageError("storage.full", f"cannot write {path}: the disk is full",
                            f"free some space on the disk holding {path.parent}")
    if "readonly" in text or "permission" in text.lower():
        return StorageError("storage.readonly", f"cannot write {path}: {text}",
                            f"make {path.parent} writable, or set HERON_HOME to a writable dir")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StorageError(
            "storage.corrupt", f"{path} is damaged ({text})",
            f"move it aside (`mv {shlex.quote(str(path))} {shlex.quote(f'{path}.broken')}`, "
            "and its -wal and -shm files if "
            "any); Heron makes a new, empty one at the next start (history, timers, "
            "notes and approvals start afresh)")
    return StorageError("storage.error", f"database error in {path}: {text}",
                        "run `heron doctor`")
