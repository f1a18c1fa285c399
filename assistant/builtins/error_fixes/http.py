"""Web errors: HTTP status pages (4xx, 5xx) as browsers and servers show them, the
browsers' own connection and certificate pages, and HTTP errors printed by programs."""

from __future__ import annotations

from assistant.builtins.error_fixes.table import FixEntry, rx

# status → (reason phrase, what it means, the next step)
STATUS: dict[str, tuple[str, str, str]] = {
    "400": ("Bad Request", "The server could not understand the request: a malformed "
            "address, form or parameter", "Check the address and what was sent, then try "
            "again"),
    "401": ("Unauthorized", "The page needs you to sign in, or the login or token that was "
            "sent is missing or expired", "Sign in again, or send a valid token"),
    "403": ("Forbidden", "The server understood who you are but does not allow you to see "
            "this", "Check that you are signed in with the right account, or ask the site's "
            "owner for access"),
    "404": ("Not Found", "The server has nothing at this address: a typo, a moved page, or "
            "an old link", "Check the address for typos, or start from the site's home page "
            "and search for it"),
    "405": ("Method Not Allowed", "The address exists but does not accept this kind of "
            "request (GET, POST …)", "Use the method the API documents for that address"),
    "408": ("Request Timeout", "The server waited too long for the request",
            "Try again, on a steadier connection"),
    "413": ("Payload Too Large", "What you sent is bigger than the server accepts",
            "Send a smaller file, or raise the server's upload limit if it is yours"),
    "429": ("Too Many Requests", "You sent more requests than the server allows in that "
            "time", "Wait a moment before retrying, and slow down the requests"),
    "500": ("Internal Server Error", "The server failed while handling the request; it is "
            "not something you did wrong", "Try again later; if it is your server, its "
            "log has the traceback"),
    "502": ("Bad Gateway", "The proxy in front got no valid answer from the server behind "
            "it, which is down or crashing", "Try again in a minute; if it is your server, "
            "check that the application behind the proxy is running"),
    "503": ("Service Unavailable", "The server is overloaded or down for maintenance",
            "Wait and try again later"),
    "504": ("Gateway Timeout", "The proxy in front waited too long for the server behind it",
            "Try again later; if it is your server, look at why the application is slow"),
}
# other wordings servers use for the same statuses
_MORE_REASONS = ("Authorization Required", "Gateway Time-out", "Request Entity Too Large",
                 "Access Denied", "Page Not Found", "File Not Found")
_REASONS = "|".join(r.replace(" ", r"\s*") for r in
                    [reason for reason, _, _ in STATUS.values()] + list(_MORE_REASONS))
_URL = rx(r"(?P<url>https?://[^\s'\"`‘’<>]+)")


def _status(names: dict[str, str]) -> dict[str, str] | None:
    code = names.get("status") or names.get("status2") or names.get("status3", "")
    known = STATUS.get(code)
    if known is None:
        return None
    reason, means, fix = known
    where = names.get("url", "")
    return {"status": code, "reason": reason, "_means": means,
            "_fix": fix + (f" (the address was {where})" if where and code == "404" else ""),
            "_command": ""}


ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("http.status",
             # not npm's "404 Not Found - GET registry…": a missing package (build.py)
             rx(rf"^(?!.*npm\s*ERR!).*?(?:\b(?P<status>[45]\d\d)\s*[\-:–]?\s*(?:{_REASONS})\b|"
                r"(?:HTTP\s*(?:ERROR|Status)?|Error|status(?:\s*code)?)\s*:?\s*"
                r"(?P<status2>[45]\d\d)\b|"
                r"(?P<status3>[45]\d\d)\s*(?:Client|Server)\s*Error)"),
             "The server answered with HTTP {status} {reason}", "", "", rank=3,
             derive=_status, context=(_URL,)),
    FixEntry("http.refused",
             rx(r"ERR_CONNECTION_REFUSED|refused\s*to\s*connect|Unable\s*to\s*connect"),
             "The browser could not connect to {host}",
             "Nothing is listening at that address: the server is not running, or the "
             "port is wrong",
             "Start the server, or check the address and port", rank=3,
             context=(rx(r"(?P<host>(?:localhost|127\.0\.0\.1|[\w\-]+\.[\w.\-]+)"
                         r"(?::\d+)?)\s*refused"),
                      rx(r"server\s*at\s*(?P<host>[\w.\-]+(?::\d+)?)")),
             defaults={"host": "the site"}),
    FixEntry("http.dns",
             rx(r"DNS_PROBE_FINISHED_NXDOMAIN|ERR_NAME_NOT_RESOLVED|"
                r"server\s*IP\s*address\s*could\s*not\s*be\s*found|"
                r"having\s*trouble\s*finding\s*that\s*site"),
             "The browser could not find the site {host}",
             "That name does not exist in DNS: it is misspelt, or your DNS or network is "
             "down", "Check the spelling of the address, then your connection", rank=3,
             context=(rx(r"(?P<host>[\w\-]+(?:\.[\w\-]+)+)\W?s\s*server\s*IP"),
                      rx(r"find\s*the\s*server\s*at\s*(?P<host>[\w.\-]+)")),
             defaults={"host": ""}),
    FixEntry("http.offline", rx(r"ERR_INTERNET_DISCONNECTED|You\W?re\s*offline|"
                                r"No\s*internet"),
             "The browser has no internet connection",
             "This computer is not connected to a network",
             "Check Wi-Fi or the network cable, then reload", rank=3),
    FixEntry("http.certificate",
             rx(r"NET::ERR_CERT_(?P<what>[A-Z_]+)|Your\s*connection\s*is\s*not\s*private|"
                r"Potential\s*Security\s*Risk\s*Ahead|SEC_ERROR_(?P<what2>[A-Z_]+)"),
             "The browser does not trust the site's certificate",
             "The certificate is expired, for another name, or self-signed; or this "
             "computer's clock is wrong",
             "Check that the computer's date and time are right; do not continue to a "
             "site you do not control", rank=3),
    FixEntry("http.redirects", rx(r"ERR_TOO_MANY_REDIRECTS|redirected\s*you\s*too\s*many"),
             "The site keeps redirecting in a loop",
             "Its settings, or an old cookie, send the browser round in circles",
             "Clear this site's cookies and reload", rank=3),
    FixEntry("http.timeout", rx(r"ERR_CONNECTION_TIMED_OUT|took\s*too\s*long\s*to\s*respond"),
             "The site took too long to respond",
             "The server is slow or unreachable, or a firewall drops the connection",
             "Try again later, or check your network", rank=3),
)
