"""Errors of `heron wyoming`: a client's bad request (sent back to it as an Error
event, the connection stays open) and the server's own failures to start."""

from __future__ import annotations

from models.errors import CodedError


class RequestError(CodedError):
    """A request this server cannot serve; the client gets Error(text, code)."""


class ServeError(CodedError):
    """`heron wyoming` cannot start: a bad --uri, an address in use, …"""

    exit_code = 2  # a usage error
