"""What a pairing QR code holds, and the code drawn for a terminal or the tray."""

from __future__ import annotations

import io
from urllib.parse import quote

from assistant.companion.server import Endpoint


def pairing_payload(endpoint: Endpoint, code: str) -> str:
    """The app's URL with the one-time code and the certificate's fingerprint in the
    fragment (a fragment is never sent to a server, nor logged by one)."""
    frag = f"pair={code}"
    if endpoint.fingerprint:
        frag += f"&fp={quote(endpoint.fingerprint)}"
    return f"{endpoint.url}/#{frag}"


def qr_terminal(payload: str) -> str:
    """The QR code as text for a terminal (half-block characters)."""
    import segno

    out = io.StringIO()
    segno.make(payload, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def qr_png(payload: str, scale: int = 6) -> bytes:
    """The QR code as PNG bytes, for the tray's settings (a QPixmap loads them)."""
    import segno

    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
