"""A voice stage served by a Wyoming server ([asr]/[tts]/[wake] backend = "wyoming://HOST:PORT"),
behind a circuit breaker, with this machine's model as the fallback.

Each request is one connection and one exchange of events (the Wyoming servers serve
one request per connection). A server that refuses the connection, breaks it, answers
with an error or does not answer within the timeout fails the request: the stage uses
the local model for it, the breaker opens, and the next requests go straight to the
local model until the cooldown is over; then one request tries the server again. The
user is told once per outage (a warning in the log, and `heron doctor`), not at every
turn. Blocking: runs on the stage's executor thread, like the local model.

The wake word is one long stream rather than requests (assistant/wyoming/wake_link.py):
it uses the same breaker and messages through allow / succeeded / failed."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event

from assistant.agent.llm_breaker import BreakerState, CircuitBreaker
from audio.remote_backend import parse_backend

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_S = 1.5  # a server on the LAN answers in milliseconds
COOLDOWN_S = 30.0  # after a failure, the local model serves this long before a retry


class RemoteFailed(Exception):
    """The server answered with something other than what the exchange expects."""


@dataclass(frozen=True)
class RemoteHealth:
    """What `heron doctor` and the log say about one remote stage."""

    stage: str
    uri: str
    state: BreakerState
    last_ms: float | None  # the last successful exchange, end to end
    last_error: str

    @property
    def healthy(self) -> bool:
        return self.state is BreakerState.CLOSED and not self.last_error


class RemoteStage:
    """The connection side of one remote stage; `exchange` does the talking."""

    def __init__(self, stage: str, backend: str, timeout_s: float,
                 clock: Callable[[], float] = time.monotonic,
                 cooldown_s: float = COOLDOWN_S) -> None:
        address = parse_backend(stage, backend)
        if address is None:
            raise ValueError(f"{stage}: no remote backend configured")
        self.stage = stage
        self.host, self.port = address
        self.uri = backend
        self.timeout_s = timeout_s
        self.breaker = CircuitBreaker(failure_threshold=1, cooldown_s=cooldown_s, clock=clock)
        self.last_ms: float | None = None
        self.last_error = ""
        self._told = False  # the user was told of this outage
        self._lock = threading.Lock()

    def health(self) -> RemoteHealth:
        return RemoteHealth(self.stage, self.uri, self.breaker.state, self.last_ms,
                            self.last_error)

    def run(self, exchange: Callable[[AsyncTcpClient], Awaitable[T]]) -> T | None:
        """`exchange` on a new connection, or None when the server is skipped (breaker
        open) or fails: the caller then uses its local model."""
        if not self.allow():
            return None
        t0 = time.perf_counter()
        try:
            result = asyncio.run(self._connected(exchange))
        except Exception as err:  # whatever the server did, the turn goes on locally
            self.failed(err)
            return None
        self.succeeded(round((time.perf_counter() - t0) * 1000, 1))
        return result

    def allow(self) -> bool:
        """Whether the server may be asked now (the breaker is closed, or this is the
        one trial after the cooldown)."""
        with self._lock:
            return self.breaker.allow()

    def succeeded(self, ms: float) -> None:
        """An exchange with the server went through in `ms`, end to end."""
        with self._lock:
            self.breaker.record_success()
            self.last_ms = ms
            self.last_error = ""
            if self._told:
                log.warning("%s: the Wyoming server at %s answers again; using it",
                            self.stage, self.uri)
                self._told = False

    async def _connected(self, exchange: Callable[[AsyncTcpClient], Awaitable[T]]) -> T:
        client = AsyncTcpClient(self.host, self.port, connect_timeout=CONNECT_TIMEOUT_S)
        async with asyncio.timeout(self.timeout_s):
            await client.connect()
            try:
                return await exchange(client)
            finally:
                await client.disconnect()

    def failed(self, err: BaseException) -> None:
        """The server failed: the breaker opens, and the user is told once per outage."""
        why = _why(err)
        with self._lock:
            self.breaker.record_failure()
            self.last_error = why
            if not self._told:  # once per outage
                log.warning("%s: the Wyoming server at %s failed (%s); using this machine's "
                            "model, and trying the server again in %g s", self.stage,
                            self.uri, why, self.breaker.cooldown_s)
                self._told = True


async def read_until(client: AsyncTcpClient, wanted: Callable[[Event], bool]) -> Event:
    """The next event `wanted` accepts; an error event or a closed connection fails."""
    while True:
        event = await read_checked(client)
        if wanted(event):
            return event


async def read_checked(client: AsyncTcpClient) -> Event:
    """The next event; RemoteFailed for an error event or a closed connection."""
    event = await client.read_event()
    if event is None:
        raise RemoteFailed("the server closed the connection")
    if Error.is_type(event.type):
        raise RemoteFailed(f"the server said: {Error.from_event(event).text}")
    return event


def _why(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "no answer in time"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    return str(err) or type(err).__name__
