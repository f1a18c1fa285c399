"""The satellite's Wyoming server inside the running Heron: listens where [satellite]
uri says (checked, and a taken port refused, before Heron says it is ready), is
announced over zeroconf when asked, and closes with Heron."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wyoming.server import AsyncServer

from assistant.wyoming.address import ServeOptions
from assistant.wyoming.announce import Announcement, default_name
from assistant.wyoming.info import satellite_info
from assistant.wyoming.satellite import Satellite
from assistant.wyoming.server import listen, server_for

if TYPE_CHECKING:
    from assistant.service import HeronService

log = logging.getLogger(__name__)


class SatelliteServer:
    def __init__(self, service: HeronService) -> None:
        options = service.config.satellite
        self.serve = ServeOptions.parse(options.uri, options.zeroconf)
        name = options.name or self.serve.zeroconf_name or default_name()
        stack = service.stack
        self.satellite = Satellite(
            options, service.bus, describe=lambda: satellite_info(stack, options, name),
            output=lambda: service.output, announce=service.announce_soon)
        self._server: AsyncServer = server_for(self.serve.address)
        self._announcement: Announcement | None = None

    async def start(self) -> None:
        await listen(self._server, self.serve.address, self.satellite.handler)
        if self.serve.zeroconf_name is not None:
            self._announcement = Announcement(self.serve.address, self.serve.zeroconf_name)
            try:
                await self._announcement.start()
            except BaseException:
                await self._server.stop()
                raise
        log.info("satellite: waiting for Home Assistant on %s", self.serve.address.uri)

    async def aclose(self) -> None:
        if self._announcement is not None:
            await self._announcement.stop()
        link = self.satellite.link
        if link is not None:
            link.replaced()  # the connection closes with Heron
        await self._server.stop()
