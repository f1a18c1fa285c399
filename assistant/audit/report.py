"""What the audit checks report: problems (evidence of tampering), the chain head, and
the coded error for a log that cannot be checked or written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from models.errors import CodedError


class AuditError(CodedError):
    """The audit log was tampered with or cannot be checked."""

    exit_code = 8


class ProblemKind(StrEnum):
    """What an AuditProblem is evidence of."""

    EDITED = "edited"
    MISSING = "missing"  # rows deleted inside the chain
    REORDERED = "reordered"
    DUPLICATED = "duplicated"
    TRUNCATED = "truncated"  # rows deleted from the end
    WRONG_KEY = "wrong_key"
    HEAD_MISSING = "head_missing"
    HEAD_INVALID = "head_invalid"
    GAP = "gap"  # a gap an append found and recorded
    ANCHOR_MISSING = "anchor_missing"
    ANCHOR_INVALID = "anchor_invalid"


@dataclass(frozen=True)
class AuditProblem:
    """One piece of evidence of tampering."""

    kind: ProblemKind
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


class HeadState(StrEnum):
    """How a stored chain head read back: the head file (HeadFile.read) or a copy of
    the anchor (AnchorCopy.state)."""

    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"  # not a head at all
    BAD_MAC = "bad_mac"  # edited, or signed with another key
    UNVERIFIED = "unverified"  # an anchor copy read without the key


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
