"""Conversation history and user preferences in SQLite, and the recent turns as
OpenAI-style chat messages: the context the LLM gets."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from assistant.permissions.provenance import Origin, tag
from assistant.storage import Storage
from models.errors import CodedError

ROLES = ("user", "assistant", "system", "tool")
CHARS_PER_TOKEN = 4  # a rough, tokenizer-free estimate; fine for budgeting context
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators in chat templates


class HistoryError(CodedError):
    """Bad input to the conversation memory or preferences."""

    exit_code = 2


@dataclass(frozen=True)
class Turn:
    id: int
    ts: float
    role: str
    source: str
    text: str
    untrusted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def approx_tokens(text: str) -> int:
    """Tokens a message costs in a chat prompt, estimated from its length."""
    return -(-len(text) // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS


class Memory:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    # -- conversation -------------------------------------------------------------------
    def add(self, role: str, source: str, text: str, untrusted: bool = False) -> int | None:
        """Remember one turn; empty text is not stored (returns None). `untrusted`: the
        text carries content the user did not say (a file read aloud, the clipboard)."""
        if role not in ROLES:
            raise HistoryError("history.bad_role", f"unknown role {role!r}",
                               f"use one of: {', '.join(ROLES)}")
        if not text or not text.strip():
            return None
        with self._storage.transaction() as cur:
            cur.execute("INSERT INTO history(ts, role, source, text, untrusted) "
                        "VALUES (?,?,?,?,?)", (time.time(), role, source, text, int(untrusted)))
            return int(cur.lastrowid)

    def turns(self, limit: int = 50) -> list[Turn]:
        """The newest `limit` turns, oldest first."""
        rows = self._storage.query(
            "SELECT id, ts, role, source, text, untrusted FROM history ORDER BY id DESC "
            "LIMIT ?",
            (max(limit, 0),))
        return [_turn(r) for r in reversed(rows)]

    def recent(self, max_turns: int = 20, max_tokens: int | None = None) -> list[dict[str, str]]:
        """The newest turns as [{"role", "content"}], oldest first, within `max_turns`
        and (estimated) `max_tokens`. Older turns are dropped first; a newest turn larger
        than the whole budget is cut to fit. The window never starts with an assistant
        turn, since several chat templates require the user to speak first."""
        picked: list[Turn] = []
        used = 0
        for turn in reversed(self.turns(max_turns)):
            cost = approx_tokens(turn.text)
            if max_tokens is not None and used + cost > max_tokens:
                if not picked:
                    room = max(max_tokens - MESSAGE_OVERHEAD_TOKENS, 0) * CHARS_PER_TOKEN
                    if room:
                        picked.append(Turn(turn.id, turn.ts, turn.role, turn.source,
                                           turn.text[:room], turn.untrusted))
                break
            picked.append(turn)
            used += cost
        picked.reverse()
        while picked and picked[0].role == "assistant":
            picked.pop(0)
        # untrusted turns come back tagged (provenance): the LLM turn then treats its
        # tool calls as untrusted, so they are confirmed
        return [{"role": t.role,
                 "content": tag(t.text, Origin.TOOL_OUTPUT) if t.untrusted else t.text}
                for t in picked]

    def search(self, query: str, limit: int = 50) -> list[Turn]:
        """Turns containing `query` (case-insensitive for ASCII), oldest first."""
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._storage.query(
            "SELECT id, ts, role, source, text, untrusted FROM history "
            "WHERE text LIKE ? ESCAPE '\\' "
            "ORDER BY id DESC LIMIT ?", (pattern, max(limit, 0)))
        return [_turn(r) for r in reversed(rows)]

    def count(self) -> int:
        return int(self._storage.query("SELECT count(*) FROM history")[0][0])

    def clear(self) -> int:
        """Forget the whole conversation; returns how many turns were deleted."""
        with self._storage.transaction() as cur:
            return int(cur.execute("DELETE FROM history").rowcount)

    # -- preferences (values are stored as JSON, so numbers and booleans round-trip) -----
    def preference(self, key: str, default: Any = None) -> Any:
        rows = self._storage.query("SELECT value FROM preferences WHERE key = ?", (key,))
        return _load(rows[0]["value"]) if rows else default

    def set_preference(self, key: str, value: Any) -> None:
        if not key:
            raise HistoryError("preferences.bad_key", "a preference needs a name",
                               "pass a non-empty key, e.g. \"units\"")
        with self._storage.transaction() as cur:
            cur.execute("INSERT INTO preferences(key, value, updated_at) VALUES (?,?,?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                        "updated_at = excluded.updated_at",
                        (key, json.dumps(value, ensure_ascii=False), time.time()))

    def delete_preference(self, key: str) -> bool:
        with self._storage.transaction() as cur:
            return cur.execute("DELETE FROM preferences WHERE key = ?", (key,)).rowcount > 0

    def preferences(self) -> dict[str, Any]:
        rows = self._storage.query("SELECT key, value FROM preferences ORDER BY key")
        return {r["key"]: _load(r["value"]) for r in rows}


def _turn(row) -> Turn:
    return Turn(row["id"], row["ts"], row["role"], row["source"], row["text"],
                bool(row["untrusted"]))


def _load(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:  # written by hand or by an older version: plain text
        return value
