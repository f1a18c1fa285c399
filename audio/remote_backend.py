"""`backend = "wyoming://HOST:PORT"` in [asr], [tts] and [wake]: a stage served by a
Wyoming server (wyoming-faster-whisper, wyoming-piper, wyoming-openwakeword, or another
Heron) instead of this machine's model, which stays loaded as the fallback. "" = this
machine only."""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEME = "wyoming"


def parse_backend(stage: str, value: str) -> tuple[str, int] | None:
    """(host, port) of a remote backend, None for the local one; ValueError naming the
    key for anything else."""
    if not value:
        return None
    example = f'{stage}.backend = "wyoming://192.168.1.20:10300" (or "" for this machine)'
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != SCHEME or not parts.hostname or not port or parts.path not in ("", "/"):
        raise ValueError(f"{stage}.backend {value!r} is not wyoming://HOST:PORT; "
                         f"e.g. {example}")
    return parts.hostname, port
