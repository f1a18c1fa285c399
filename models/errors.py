"""Coded errors shared by the libraries (models/, audio/, vision/) and the core."""

from __future__ import annotations


class CodedError(Exception):
    """An error a user can act on: a stable `code`, a message and a next step."""

    exit_code = 1

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def sentence(self) -> str:
        """The message and the next step in one line, for a window or a dialog."""
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]" + (f"\n  → {self.hint}" if self.hint else "")


class ModelError(CodedError):
    """A model file is missing, corrupt or unknown."""

    exit_code = 4
