"""The tamper-evident audit log: an HMAC-SHA256 chain in SQLite (log.py), its head and
anchors kept outside the database (head.py, anchor.py), checks (verify.py), reset."""

from assistant.audit.log import AUDIT_KEY, GAP_KIND, GENESIS, HEAD_FILE, RESET_KIND, AuditLog
from assistant.audit.report import AuditError, AuditProblem, AuditReport, ChainHead

__all__ = ["AUDIT_KEY", "GAP_KIND", "GENESIS", "HEAD_FILE", "RESET_KIND", "AuditError",
           "AuditLog", "AuditProblem", "AuditReport", "ChainHead"]
