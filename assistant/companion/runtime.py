"""The companion inside `heron run`: started by HeronService when [companion] enabled."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.service import HeronService


async def run_companion(service: HeronService, stop: asyncio.Event) -> None:
    """Serve the companion for `service` until `stop` is set."""
    await stop.wait()
