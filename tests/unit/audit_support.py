"""Helpers for the audit anchor tests: a log opened with its marker copy, and rows."""

from __future__ import annotations

from assistant.audit import AuditLog


def open_log(storage, store, marker) -> AuditLog:
    return AuditLog.open(storage, store, anchor_path=marker)


def fill(audit: AuditLog, n: int) -> None:
    for i in range(n):
        audit.append("call", {"tool": "get_time", "status": "ok", "i": i})
