"""The zeroconf (mDNS) announcement of `heron wyoming` as `_wyoming._tcp`, the service
type Home Assistant's Wyoming integration discovers."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket

from assistant.wyoming.address import ServeAddress
from assistant.wyoming.errors import ServeError

log = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."
MDNS_GROUP = "224.0.0.251"


def default_name() -> str:
    """heron-HOSTNAME: tells apart the Herons on one LAN."""
    host = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname().split(".")[0]).strip("-")
    return f"heron-{host or 'wyoming'}"


def announced_ip(host: str) -> str:
    """The IPv4 address to announce: the host's own, or for a wildcard (0.0.0.0) the
    address this machine reaches the mDNS group from."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            return socket.gethostbyname(host)
        except OSError as err:
            raise ServeError("wyoming.zeroconf", f"cannot resolve {host} to announce it",
                             "serve on an IP address: --uri tcp://0.0.0.0:10700") from err
    if ip.version != 4:
        if not ip.is_unspecified:
            raise ServeError("wyoming.zeroconf", "zeroconf announces IPv4 addresses only",
                             "serve on an IPv4 address, e.g. --uri tcp://0.0.0.0:10700")
    elif not ip.is_unspecified:
        return host
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:  # a UDP "connect" sends nothing: it only picks the outgoing interface
        probe.connect((MDNS_GROUP, 5353))
        return probe.getsockname()[0]
    except OSError as err:
        raise ServeError("wyoming.zeroconf", f"no network to announce on ({err})",
                         "connect to the LAN, or leave out --zeroconf") from err
    finally:
        probe.close()


class Announcement:
    """Registered while the server runs; withdrawn (a goodbye packet) when it stops."""

    def __init__(self, address: ServeAddress, name: str) -> None:
        self.address = address
        self.name = name or default_name()
        self.ip = announced_ip(address.host)
        self._zc = None

    async def start(self) -> None:
        from zeroconf import NonUniqueNameException
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        info = AsyncServiceInfo(
            SERVICE_TYPE, f"{self.name}.{SERVICE_TYPE}", port=self.address.port,
            parsed_addresses=[self.ip], server=f"{self.name}.local.")
        try:
            self._zc = AsyncZeroconf(interfaces=[self.ip])
            await self._zc.async_register_service(info)
        except NonUniqueNameException as err:
            await self.stop()
            raise ServeError("wyoming.zeroconf", f"another service on the LAN is already "
                             f"called {self.name!r}", "give another name: --zeroconf NAME"
                             ) from err
        except OSError as err:
            await self.stop()
            raise ServeError("wyoming.zeroconf", f"cannot announce on {self.ip} ({err})",
                             "check the network, or leave out --zeroconf") from err
        log.info("zeroconf: announced %s at %s:%d", self.name, self.ip, self.address.port)

    async def stop(self) -> None:
        zc, self._zc = self._zc, None
        if zc is not None:
            await zc.async_unregister_all_services()
            await zc.async_close()
