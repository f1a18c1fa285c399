"""What a pairing QR code holds, and the code drawn for a terminal or the tray."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from assistant.companion.devices import DeviceStore
from assistant.companion.options import CompanionOptions
from assistant.companion.server import Endpoint, running_endpoint
from assistant.storage import Storage


@dataclass(frozen=True)
class Pairing:
    code: str
    expires_at: float
    endpoint: Endpoint
    payload: str  # what the QR code holds
    server_running: bool

    @property
    def minutes_left(self) -> int:
        return max(0, round((self.expires_at - time.time()) / 60))


def pairing_endpoint(data_dir: Path, options: CompanionOptions) -> Endpoint:
    """Where a phone reaches this Heron: the running server, else where it will listen."""
    found = running_endpoint(data_dir)
    if found is not None:
        return found
    if options.lan:
        from assistant.companion.server import lan_address
        from assistant.companion.tls import ensure_certificate, fingerprint

        cert, _ = ensure_certificate(data_dir, [lan_address()])
        return Endpoint(f"https://{lan_address()}:{options.port}", fingerprint(cert))
    return Endpoint(f"http://127.0.0.1:{options.port}", "")


def new_pairing(storage: Storage, data_dir: Path, options: CompanionOptions) -> Pairing:
    """A fresh one-time code (5 minutes) and the QR payload for it."""
    code, expires = DeviceStore(storage).new_pairing_code()
    endpoint = pairing_endpoint(data_dir, options)
    return Pairing(code, expires, endpoint, pairing_payload(endpoint, code),
                   running_endpoint(data_dir) is not None)


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
