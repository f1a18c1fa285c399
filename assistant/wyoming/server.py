"""`heron wyoming`'s server: listen first (a bad address fails at once), load and warm
the stages while early clients wait on them, announce, then serve until SIGTERM or
Ctrl-C; everything is closed on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
from collections.abc import Callable
from functools import partial

from wyoming.server import AsyncServer, AsyncTcpServer, AsyncUnixServer

from assistant.core import Core
from assistant.voice.stack import VoiceStack
from assistant.wyoming.address import ServeAddress, ServeOptions
from assistant.wyoming.announce import Announcement
from assistant.wyoming.errors import ServeError
from assistant.wyoming.handle_session import AgentDesk
from assistant.wyoming.handler import HeronEventHandler, Services
from assistant.wyoming.info import build_info
from assistant.wyoming.wake_session import WakePool

log = logging.getLogger(__name__)

PROGRAMS = ("asr", "tts", "wake", "handle")


async def serve(core: Core, stack: VoiceStack, options: ServeOptions,
                on_ready: Callable[[str], None]) -> None:
    """Serve until stopped; `on_ready(line)` once the stages are loaded."""
    pool = WakePool(stack)
    services = Services(stack=stack, wake=pool, desk=AgentDesk(core),
                        describe=lambda: build_info(stack, pool), tts_lock=asyncio.Lock())
    server = server_for(options.address)
    announcement: Announcement | None = None
    stop = asyncio.Event()
    try:
        await listen(server, options.address, partial(HeronEventHandler, services))
        await _load(core, stack, pool)
        if options.zeroconf_name is not None:
            announcement = Announcement(options.address, options.zeroconf_name)
            await announcement.start()
        _stop_on_signals(stop)
        said = f" (announced as {announcement.name})" if announcement else ""
        on_ready(f"serving {', '.join(PROGRAMS)} on {options.address.uri}{said}")
        await stop.wait()
    finally:
        if announcement is not None:
            await announcement.stop()
        await server.stop()
        await core.aclose()
        stack.close()


def server_for(address: ServeAddress) -> AsyncServer:
    if address.scheme == "unix":
        return AsyncUnixServer(address.path)
    return AsyncTcpServer(address.host, address.port)


async def listen(server: AsyncServer, address: ServeAddress, factory) -> None:
    try:
        await server.start(factory)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise ServeError("wyoming.address_in_use",
                             f"{address.uri} is in use by another program",
                             "stop it, or choose another port: --uri tcp://HOST:PORT") from err
        raise ServeError("wyoming.cannot_listen", f"cannot listen on {address.uri}: "
                         f"{err.strerror or err}", "check the host is an address of this "
                         "machine and the port is allowed (ports below 1024 need root)"
                         ) from err


async def _load(core: Core, stack: VoiceStack, pool: WakePool) -> None:
    """Load what every program needs, concurrently; a missing model fails here."""
    async def one_detector() -> None:
        words = pool.configured
        await pool.release(words, await pool.acquire(words))

    for problem in await core.start_workers():
        log.warning("worker not loaded: %s", problem)
    await asyncio.gather(stack.on_work(lambda: stack.asr), stack.on_work(lambda: stack.tts),
                         one_detector(), core.warm_up())


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
