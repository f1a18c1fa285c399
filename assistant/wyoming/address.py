"""Where `heron wyoming` listens (--uri, the flag the Wyoming servers use) and whether
it is announced over zeroconf; checked before anything loads."""

from __future__ import annotations

import ipaddress
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from assistant.wyoming.errors import ServeError

DEFAULT_URI = "tcp://127.0.0.1:10700"  # 10700: the port Home Assistant's examples use
_URI_HINT = ("use tcp://HOST:PORT (e.g. tcp://127.0.0.1:10700; tcp://0.0.0.0:10700 opens "
             "it to the LAN) or unix://PATH")


@dataclass(frozen=True)
class ServeAddress:
    uri: str
    scheme: str  # "tcp" or "unix"
    host: str = ""  # tcp only
    port: int = 0  # tcp only
    path: Path | None = None  # unix only

    @property
    def loopback(self) -> bool:
        """Reachable from this machine only (a unix socket, or a loopback address)."""
        if self.scheme != "tcp":
            return True
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: whatever it resolves to may be on the LAN
            return False


@dataclass(frozen=True)
class ServeOptions:
    address: ServeAddress
    zeroconf_name: str | None = None  # None: not announced; "": this machine's name

    @classmethod
    def parse(cls, uri: str, zeroconf_name: str | None) -> ServeOptions:
        address = parse_uri(uri)
        if zeroconf_name is not None and address.loopback:
            raise ServeError(
                "wyoming.zeroconf_loopback",
                f"--zeroconf announces the server on the LAN, but {uri} is reachable from "
                "this machine only, so nobody could connect to what is announced",
                "open it to the LAN as well: --uri tcp://0.0.0.0:10700 --zeroconf "
                "(or leave out --zeroconf)")
        return cls(address, zeroconf_name)


def parse_uri(uri: str) -> ServeAddress:
    parsed = urlparse(uri.strip())
    if parsed.scheme == "tcp":
        try:
            port = parsed.port
        except ValueError as err:  # not a number, or out of range
            raise ServeError("wyoming.bad_uri", f"{uri!r} has no usable port ({err})",
                             _URI_HINT) from err
        if not parsed.hostname or port is None or port == 0:
            raise ServeError("wyoming.bad_uri", f"{uri!r} needs a host and a port",
                             _URI_HINT)
        return ServeAddress(uri, "tcp", host=parsed.hostname, port=port)
    if parsed.scheme == "unix":
        if not parsed.netloc + parsed.path:
            raise ServeError("wyoming.bad_uri", f"{uri!r} names no socket path", _URI_HINT)
        path = Path(parsed.netloc + parsed.path)  # unix://rel.sock and unix:///abs.sock
        _check_socket_path(path)
        return ServeAddress(uri, "unix", path=path)
    raise ServeError("wyoming.bad_uri", f"{uri!r} is not an address `heron wyoming` serves on",
                     _URI_HINT)


def _check_socket_path(path: Path) -> None:
    """The Wyoming server deletes whatever is at the path before it listens: only an
    old socket nobody answers on may go."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ServeError("wyoming.bad_uri", f"{path} exists and is not a socket",
                         "choose a path where nothing is, e.g. "
                         "unix:///run/user/UID/heron-wyoming.sock")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return  # left behind by a server that ended: safe to replace
    finally:
        probe.close()
    raise ServeError("wyoming.address_in_use", f"another server is listening on {path}",
                     "stop it, or choose another unix:// path")
