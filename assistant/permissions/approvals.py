"""Remembered answers to permission prompts.

"Always allow" and "always deny" are rows of the SQLite `grants` table, keyed by tool
and scope; "allow for this session" lives only in this object, so a restart forgets
it. Scope `*` covers the whole tool. The policy remembers an "always allow" once per
scope the tool's manifest asks for, so a worker update that asks for more is asked
about again; an "always deny" is remembered for `*`.

"Allow for MCP clients" (`heron workers allow TOOL --mcp`) is a row per scope too, under
`mcp:<scope>` (`mcp:*` for a tool with none): it covers only calls from MCP clients, and
a version of the tool that asks for more scopes is not covered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from assistant.storage import Storage
from models.errors import CodedError

ANY_SCOPE = "*"
MCP_PREFIX = "mcp:"
ANSWERS = ("always", "never")


class ApprovalError(CodedError):
    exit_code = 2


@dataclass(frozen=True)
class Grant:
    tool: str
    scope: str
    answer: str  # always | never
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "scope": self.scope, "answer": self.answer,
                "created_at": self.created_at}


class ApprovalStore:
    """Persistent answers in `storage` (or in memory when there is none) plus the
    answers given for this session."""

    def __init__(self, storage: Storage | None = None) -> None:
        self._storage = storage
        self._memory: dict[tuple[str, str], Grant] = {}  # used only without storage
        self._session: set[tuple[str, str]] = set()

    # -- persisted: always / never ---------------------------------------------------
    def remember(self, tool: str, answer: str, scope: str = ANY_SCOPE) -> Grant:
        """Persist `answer` ('always' or 'never') for `tool` and `scope`, replacing any
        earlier answer for the same pair."""
        if answer not in ANSWERS:
            raise ApprovalError("approvals.bad_answer",
                                f"cannot remember {answer!r} for {tool}",
                                "a remembered answer is 'always' or 'never'")
        if not tool or not scope:
            raise ApprovalError("approvals.bad_key", "a grant needs a tool name and a scope",
                                f"use scope {ANY_SCOPE!r} for the whole tool")
        grant = Grant(tool, scope, answer, time.time())
        if self._storage is None:
            self._memory[(tool, scope)] = grant
        else:
            with self._storage.transaction() as cur:
                cur.execute("INSERT OR REPLACE INTO grants(tool, scope, answer, created_at) "
                            "VALUES (?,?,?,?)", (tool, scope, answer, grant.created_at))
        if answer == "never":
            self._session = {k for k in self._session if k[0] != tool}
        return grant

    def answer_for(self, tool: str, scope: str = ANY_SCOPE) -> str | None:
        """'always', 'never' or None for exactly this tool and scope."""
        if self._storage is None:
            grant = self._memory.get((tool, scope))
            return grant.answer if grant else None
        rows = self._storage.query("SELECT answer FROM grants WHERE tool=? AND scope=?",
                                   (tool, scope))
        return rows[0]["answer"] if rows else None

    def grants(self, tool: str | None = None) -> list[Grant]:
        """Remembered answers, oldest first (all tools, or one)."""
        if self._storage is None:
            found = [g for g in self._memory.values() if tool is None or g.tool == tool]
            return sorted(found, key=lambda g: (g.created_at, g.tool, g.scope))
        sql = "SELECT tool, scope, answer, created_at FROM grants"
        params: tuple = ()
        if tool is not None:
            sql, params = sql + " WHERE tool=?", (tool,)
        rows = self._storage.query(sql + " ORDER BY created_at, tool, scope", params)
        return [Grant(r["tool"], r["scope"], r["answer"], r["created_at"]) for r in rows]

    def revoke(self, tool: str, scope: str | None = None) -> int:
        """Forget remembered answers for `tool` (one scope, or all of them) and its
        session answers. Returns how many remembered rows were removed."""
        self._session = {k for k in self._session
                         if not (k[0] == tool and (scope is None or k[1] == scope))}
        if self._storage is None:
            keys = [k for k in self._memory if k[0] == tool and scope in (None, k[1])]
            for k in keys:
                del self._memory[k]
            return len(keys)
        with self._storage.transaction() as cur:
            if scope is None:
                cur.execute("DELETE FROM grants WHERE tool=?", (tool,))
            else:
                cur.execute("DELETE FROM grants WHERE tool=? AND scope=?", (tool, scope))
            return cur.rowcount

    # -- calls from MCP clients ------------------------------------------------------
    def allow_for_mcp(self, tool: str, scopes: tuple[str, ...]) -> list[Grant]:
        """Remember that MCP clients may call `tool` with these scopes unasked."""
        return [self.remember(tool, "always", MCP_PREFIX + s) for s in scopes or (ANY_SCOPE,)]

    def revoke_for_mcp(self, tool: str) -> int:
        """Forget only what `allow_for_mcp` remembered for `tool` (its `mcp:` rows); its
        other "always" and "never" answers stay. Returns how many rows were removed."""
        if self._storage is None:
            keys = [k for k in self._memory if k[0] == tool and k[1].startswith(MCP_PREFIX)]
            for k in keys:
                del self._memory[k]
            return len(keys)
        with self._storage.transaction() as cur:
            # substr, not LIKE: a scope may hold "_" or "%", which LIKE treats as wildcards
            cur.execute("DELETE FROM grants WHERE tool=? AND substr(scope, 1, ?)=?",
                        (tool, len(MCP_PREFIX), MCP_PREFIX))
            return cur.rowcount

    def allowed_for_mcp(self, tool: str, scopes: tuple[str, ...]) -> bool:
        """Whether MCP clients may call `tool` unasked: every scope it asks for now
        was allowed for MCP."""
        return all(self.answer_for(tool, MCP_PREFIX + s) == "always"
                   for s in scopes or (ANY_SCOPE,))

    # -- this session only ------------------------------------------------------------
    def allow_for_session(self, tool: str, scope: str = ANY_SCOPE) -> None:
        self._session.add((tool, scope))

    def allowed_for_session(self, tool: str, scope: str = ANY_SCOPE) -> bool:
        return (tool, scope) in self._session
