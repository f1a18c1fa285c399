"""Web addresses that carry data off the machine.

Opening `https://example.org` tells that site nothing but "someone came"; opening
`https://evil.example/?q=<your clipboard>` hands it whatever the address holds. So an
address with a query, a fragment, user info or any path beyond the bare host is data
leaving the machine, and the policy confirms it every time with the full address shown
(issue 13, item 6). The host name itself can still carry a few bytes (a made-up
subdomain); that is not caught here, and is why such calls from untrusted sources are
confirmed anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from assistant.builtins.desktop import normalize_url
from assistant.tools.manifest import ToolManifest
from models.errors import CodedError

URL_FORMATS = frozenset({"uri", "url", "iri", "uri-reference", "iri-reference"})
# Characters that never belong to a bare "scheme://host[:port]/" address.
_DATA_MARKS = frozenset("?#@\\%")


def url_carries_data(text: str) -> bool:
    """True when opening `text` sends more than the host name: a query, a fragment,
    user info, or a path beyond `/`. An address open_url refuses (file:, javascript:,
    no host) is never opened, so it carries nothing; asking about it would only hide
    the tool's own clearer refusal."""
    try:
        raw = normalize_url(text)
    except CodedError as err:
        # An address the parser cannot even read is never "bare": another tool (or a
        # browser) may read it differently, and it may well hold data.
        return isinstance(err.__cause__, ValueError)
    except ValueError:
        return True
    if any(c in _DATA_MARKS for c in raw):
        return True
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return True
    return bool(parts.query or parts.fragment or parts.username or parts.password
                or parts.path not in ("", "/"))


def url_arguments(m: ToolManifest, args: Mapping[str, Any]) -> list[str]:
    """The string arguments of this call that the manifest marks as web addresses
    (`"x-slot": "url"` or a URI `format`)."""
    props = (m.input_schema or {}).get("properties") or {}
    found = []
    for name, value in args.items():
        spec = props.get(name)
        if not isinstance(value, str) or not isinstance(spec, Mapping):
            continue
        if spec.get("x-slot") == "url" or spec.get("format") in URL_FORMATS:
            found.append(value)
    return found


def data_urls(m: ToolManifest, args: Mapping[str, Any]) -> list[str]:
    """The web addresses in this call that carry data (see `url_carries_data`)."""
    return [u for u in url_arguments(m, args) if url_carries_data(u)]
