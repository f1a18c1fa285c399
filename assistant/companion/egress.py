"""Where Heron may send a request that a paired device chose (a Web Push endpoint): https
on public addresses only. The host is resolved when the device subscribes and again at
every send (DNS can change), and the connection goes to the address that was checked,
so a name that flips to 127.0.0.1 between check and connect still cannot reach it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from assistant.companion.devices import CompanionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_S = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HINT = ("subscribe from the phone's browser again; a push endpoint must be https on "
         "the push service's public address")


class EgressError(CompanionError):
    """A device-supplied URL Heron refuses to send to. The refusal is for good (the
    rule says no), so a sender drops the URL rather than retrying it."""


class EgressUnresolved(EgressError):
    """The endpoint's name did not resolve now (offline, a DNS hiccup): try again later."""


def _refused(url: str, why: str, error: type[EgressError] = EgressError) -> EgressError:
    return error("companion.push_endpoint", f"push endpoint refused: {why} ({url[:80]})",
                 _HINT)


def _embedded_v4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64): the one it reaches."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    """Routable on the internet: not loopback, private, link-local, site-local (fec0::/10,
    deprecated but still routed inside some networks), multicast, reserved, unspecified
    or shared (CGNAT), nor an IPv6 form of one of those."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.teredo is not None:
        return False  # a tunnel to an address we cannot see: nothing a push service uses
    ip = _embedded_v4(ip)
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_multicast or ip.is_reserved or ip.is_unspecified
                                 or getattr(ip, "is_site_local", False))


@dataclass(frozen=True)
class PinnedTarget:
    """A checked endpoint: connect to `url` (host replaced by the checked address), send
    `host` as the Host header and check the certificate against `sni`."""

    url: str
    host: str
    sni: str


Resolve = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the loop's getaddrinfo: off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


@dataclass(frozen=True)
class Egress:
    """The rule for device-supplied URLs. `allow` and `resolve` exist so tests can let a
    loopback push service through; nothing in config.toml reaches them."""

    allow: Callable[[IPAddress], bool] = is_public
    resolve: Resolve = system_resolve
    timeout_s: float = RESOLVE_TIMEOUT_S

    def check_syntax(self, url: str) -> httpx.URL:
        """The parsed URL when its form is acceptable (https, a host, no user info)."""
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii")
            port = parsed.port
        except (httpx.InvalidURL, UnicodeError, ValueError) as err:
            raise _refused(url, "not a valid URL") from err
        if parsed.scheme != "https":
            raise _refused(url, "only https is allowed")
        if not host or parsed.userinfo:
            raise _refused(url, "it needs a host and no user name")
        if port is not None and not 0 < port < 65536:
            raise _refused(url, "bad port")
        return parsed

    async def target(self, url: str) -> PinnedTarget:
        """Resolve the endpoint now; every address must be allowed. Raises EgressError."""
        parsed = self.check_syntax(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or 443
        try:
            names = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                names = await asyncio.wait_for(self.resolve(host, port), self.timeout_s)
            except (OSError, UnicodeError, TimeoutError) as err:
                raise _refused(url, f"cannot resolve {host}", EgressUnresolved) from err
        addresses = []
        for name in names:
            try:
                addresses.append(ipaddress.ip_address(name))
            except ValueError as err:
                raise _refused(url, f"{host} gave an odd address", EgressUnresolved) from err
        if not addresses:
            raise _refused(url, f"cannot resolve {host}", EgressUnresolved)
        for address in addresses:
            if not self.allow(address):
                raise _refused(url, f"{host} is a local or private address ({address})")
        chosen = addresses[0]
        netloc = parsed.netloc.decode("ascii")
        return PinnedTarget(url=str(parsed.copy_with(host=str(chosen))), host=netloc,
                            sni=host)
