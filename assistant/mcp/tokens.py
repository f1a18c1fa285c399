"""The bearer token `heron mcp --http` wants from its clients (a secret made once), and
the coded error of the HTTP side. Light: no MCP SDK, no web server."""

from __future__ import annotations

import secrets

from assistant.secrets import SecretStore
from models.errors import CodedError

TOKEN_SECRET = "mcp_http_token"


class McpHttpError(CodedError):
    exit_code = 7


def server_token(store: SecretStore, renew: bool = False) -> str:
    """The token clients must send; made on first use, replaced with `renew`."""
    if renew:
        token = secrets.token_urlsafe(32)
        store.set(TOKEN_SECRET, token)
        return token
    return store.get_or_create(TOKEN_SECRET, lambda: secrets.token_urlsafe(32))[0]
