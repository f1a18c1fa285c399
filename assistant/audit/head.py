"""The chain head file (`audit-head.json` beside the database): the last row's id and
mac and the row count, MACed with the audit key, rewritten after every append.

It is cheap to update, so it is exact, but it lives in the data dir: deleting it is
detected (head_missing), and the anchors (anchor.py) cover a data dir wiped whole."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from assistant.audit.report import ChainHead, HeadState
from assistant.secrets import file_lock, write_private


class HeadFile:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def mac(self, head: ChainHead) -> str:
        msg = json.dumps(["head", head.last_id, head.last_mac, head.count]).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def read(self) -> tuple[ChainHead | None, HeadState]:
        """(head, state); the head only when the state is OK."""
        head, mac, state = _parse(self.path)
        if head is None:
            return None, state
        if not hmac.compare_digest(mac, self.mac(head)):
            return None, HeadState.BAD_MAC
        return head, HeadState.OK

    def write(self, head: ChainHead) -> None:
        doc = {**asdict(head), "mac": self.mac(head)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # No fsync: the database commits with synchronous=NORMAL, so after a power cut a
        # durable head could be *ahead* of the table and read as truncation; a lost head
        # write only leaves it behind, which check() reports as harmless.
        write_private(self.path, json.dumps(doc) + "\n", sync=False)

    def advance(self, new: ChainHead, row_mac: Callable[[int], str | None]) -> None:
        """Write `new` unless another process already wrote a later head that is still
        consistent with the table (heads never move backwards)."""
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            cur, state = self.read()
            if state == HeadState.OK and cur is not None and cur.count >= new.count \
                    and row_mac(cur.last_id) == cur.last_mac:
                return
            self.write(new)


def unverified_count(path: Path) -> int | None:
    """The row count a head file claims, read without the key (None: no usable file).
    Only used to tell a crash on first start (count 0) from a log that had rows."""
    head, _, state = _parse(path)
    if head is not None:
        return head.count
    return None if state == HeadState.MISSING else -1


def _parse(path: Path) -> tuple[ChainHead | None, str, HeadState]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        head = ChainHead(int(raw["last_id"]), str(raw["last_mac"]), int(raw["count"]))
        return head, str(raw["mac"]), HeadState.OK
    except FileNotFoundError:
        return None, "", HeadState.MISSING
    except (OSError, ValueError, KeyError, TypeError):
        return None, "", HeadState.CORRUPT
