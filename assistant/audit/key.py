"""Where the audit log used to live: it is now the `assistant.audit` package. These
names stay importable from here for older callers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from assistant.audit import (
    AUDIT_KEY,
    GAP_KIND,
    GENESIS,
    HEAD_FILE,
    RESET_KIND,
    AuditError,
    AuditLog,
    AuditProblem,
    AuditReport,
    ChainHead,
)

__all__ = ["AUDIT_KEY", "GAP_KIND", "GENESIS", "HEAD_FILE", "RESET_KIND", "AuditError",
           "AuditLog", "AuditProblem", "AuditReport", "ChainHead", "load_key"]


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
