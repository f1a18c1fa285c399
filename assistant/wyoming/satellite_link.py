"""One Home Assistant connection to Heron as its satellite (satellite.py): run/pause,
ping, timers and Describe handled here, a turn's events passed to its inbox
(satellite_turn.py), audio outside a turn played as an announcement, then Played."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

import numpy as np
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.satellite import PauseSatellite, RunSatellite
from wyoming.server import AsyncEventHandler
from wyoming.snd import Played

from assistant.voice.speech_output import SpeechOutput
from models.errors import CodedError

log = logging.getLogger(__name__)


class LinkOwner(Protocol):
    """What a connection reports to (Satellite)."""

    def describe(self) -> Info: ...

    def output(self) -> SpeechOutput: ...

    def connected(self, link: SatelliteLink) -> None: ...

    def disconnected(self, link: SatelliteLink) -> None: ...

    def running_changed(self, running: bool) -> None: ...

    def on_timer(self, event: Event) -> None: ...


class SatelliteLink(AsyncEventHandler):
    """One Home Assistant connection."""

    def __init__(self, satellite: LinkOwner, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.satellite = satellite
        self.running = False  # RunSatellite came, and no PauseSatellite since
        self.gone = asyncio.Event()
        self.turn_inbox: asyncio.Queue[Event] | None = None  # a turn in progress reads it
        self._paused = asyncio.Event()  # a turn in progress must end at once
        self._announcement: asyncio.Queue[bytes | None] | None = None
        self._announcing: set[asyncio.Task] = set()
        self._announce_rate = 0
        self._claimed = False  # a Describe-only probe never takes the satellite over
        self._draining_until = 0.0  # a run given up on: its late events are dropped
        self._ending: asyncio.Task | None = None

    async def send(self, event: Event) -> None:
        if self.gone.is_set():
            raise ConnectionResetError("Home Assistant disconnected")
        await self.write_event(event)

    @contextlib.contextmanager
    def turn(self) -> Iterator[asyncio.Queue[Event]]:
        """The events of one turn go to its inbox while it lasts."""
        inbox: asyncio.Queue[Event] = asyncio.Queue()
        self.turn_inbox = inbox
        self._paused.clear()
        self._draining_until = 0.0
        try:
            yield inbox
        finally:
            self.turn_inbox = None

    def abandon(self, drain_s: float) -> None:
        """The turn ended before Home Assistant's run did (push-to-talk, mute, a
        timeout): end its audio stream (AudioStop) and drop what that run still sends
        — its transcript, its reply — for up to `drain_s`, instead of playing it as an
        announcement after the user stopped it."""
        self._draining_until = time.monotonic() + drain_s
        if not self.gone.is_set():
            self._ending = asyncio.get_running_loop().create_task(self._send_quietly(
                AudioStop().event()))

    async def _send_quietly(self, event: Event) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self.send(event)

    @property
    def paused(self) -> asyncio.Event:
        return self._paused

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(self.satellite.describe().event())
            return True
        if not self._claimed:  # Home Assistant's own link, not a probe: it takes over
            self._claimed = True
            self.satellite.connected(self)
        if RunSatellite.is_type(event.type):
            self.running = True
            self.satellite.running_changed(True)
        elif PauseSatellite.is_type(event.type):
            self.running = False
            self._paused.set()
            self.satellite.running_changed(False)
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Pong.is_type(event.type):
            pass
        elif event.type.startswith("timer-"):
            self.satellite.on_timer(event)
        elif self.turn_inbox is not None:
            self.turn_inbox.put_nowait(event)
        elif time.monotonic() < self._draining_until:  # the run given up on
            if AudioStop.is_type(event.type) or Error.is_type(event.type):
                self._draining_until = 0.0  # its end: later audio is an announcement
        elif AudioStart.is_type(event.type) or AudioChunk.is_type(event.type) \
                or AudioStop.is_type(event.type):
            self._announcement_audio(event)
        elif Error.is_type(event.type):
            error = Error.from_event(event)
            log.warning("satellite: Home Assistant: %s [%s]", error.text, error.code)
        else:
            log.debug("satellite: not used here: %s", event.type)
        return True

    async def disconnect(self) -> None:
        self.gone.set()
        self.running = False
        if self._announcement is not None:
            self._announcement.put_nowait(None)
        if self._claimed:
            self.satellite.disconnected(self)

    def replaced(self) -> None:
        """A newer connection took over: this one ends."""
        self.gone.set()
        self.running = False
        self._paused.set()
        with contextlib.suppress(Exception):
            self.writer.close()

    def _announcement_audio(self, event: Event) -> None:
        """Audio outside a turn: an announcement, played like any reply, then Played."""
        if AudioStart.is_type(event.type):
            if self._announcement is not None:
                self._announcement.put_nowait(None)  # a second start ends the first
            self._announce_rate = AudioStart.from_event(event).rate
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            self._announcement = queue
            task = asyncio.create_task(self._announce(self._announce_rate, queue))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)
        elif self._announcement is not None and AudioChunk.is_type(event.type):
            self._announcement.put_nowait(mono16(AudioChunk.from_event(event),
                                                 self._announce_rate))
        elif self._announcement is not None:  # AudioStop
            self._announcement.put_nowait(None)
            self._announcement = None

    async def _announce(self, rate: int, queue: asyncio.Queue[bytes | None]) -> None:
        try:
            played = await self.satellite.output().play("", rate, queued_audio(queue))
            log.info("satellite: played an announcement of %d ms", played.audio_ms)
        except CodedError as err:  # no speaker: Home Assistant still hears it ended
            log.warning("satellite: announcement not played: %s", err.message)
        finally:
            await self._send_quietly(Played().event())


async def queued_audio(queue: asyncio.Queue[bytes | None]) -> AsyncIterator[np.ndarray]:
    """int16 samples from raw 16-bit mono chunks, until None."""
    while (data := await queue.get()) is not None:
        if data:
            yield np.frombuffer(data, dtype=np.int16)


def mono16(chunk: AudioChunk, rate: int) -> bytes:
    """The chunk as 16-bit mono at `rate`, whatever width and channels it came in."""
    return AudioChunkConverter(rate=rate, width=2, channels=1).convert(chunk).audio
