"""Heron as a Home Assistant voice satellite (`heron wyoming --satellite`, or
[satellite] enabled for `heron run`): a Wyoming server Home Assistant's Wyoming
integration connects to, as it does to wyoming-satellite.

Home Assistant connects, asks Describe (the answer says "satellite"), sends
RunSatellite when it is ready to run pipelines and PauseSatellite when it is not.
While it runs, the turns of the satellite's wake words are its own (satellite_turn.py):
Heron detects the word locally, sends Detection and RunPipeline (asr → tts), streams
the microphone until Home Assistant has heard the command, and plays the reply it
sends back through the one speech output, then says Played. Announcements (audio
outside a turn) are played the same way, and Home Assistant's timer events are
followed (a finished timer is announced). Everything else — other wake words,
push-to-talk, the tray, the phone, the CLI — stays Heron's own, and so does every turn
while Home Assistant is not connected or has paused the satellite."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from wyoming.event import Event
from wyoming.info import Info
from wyoming.timer import TimerCancelled, TimerFinished, TimerStarted, TimerUpdated

from assistant.bus import EventBus
from assistant.events import SatelliteTimer, TimerEvent
from assistant.voice.feed import FrameFeed
from assistant.voice.ports import HandedOff
from assistant.voice.speech_output import SpeechOutput
from assistant.wyoming.satellite_link import SatelliteLink
from assistant.wyoming.satellite_options import SatelliteOptions
from assistant.wyoming.satellite_turn import SatelliteTurn

log = logging.getLogger(__name__)

Announce = Callable[[str], None]  # queue a sentence on the speech output


class Satellite:
    """The satellite's side of the protocol: at most one Home Assistant connected (a
    new connection replaces the old, as with wyoming-satellite), its run/pause state,
    its timers; and the TurnHandoff the voice pipeline asks after a wake word."""

    def __init__(self, options: SatelliteOptions, bus: EventBus,
                 describe: Callable[[], Info], output: Callable[[], SpeechOutput],
                 announce: Announce) -> None:
        self.options = options
        self.bus = bus
        self.describe = describe
        self.output = output  # made on first use (the speaker's rate is the voice's)
        self.announce = announce
        self.link: SatelliteLink | None = None
        self.timers: dict[str, TimerStarted] = {}
        self._said_absent = False

    # TurnHandoff
    def takes(self, wake_word: str) -> bool:
        if wake_word not in self.options.wake_words:
            return False
        link = self.link
        if link is None or not link.running:
            if not self._said_absent:  # once, until Home Assistant runs it again
                self._said_absent = True
                log.warning("satellite: Home Assistant is %s; Heron answers %r itself",
                            "not connected" if link is None else "pausing the satellite",
                            wake_word)
            return False
        return True

    async def run(self, wake_word: str, feed: FrameFeed, output: SpeechOutput
                  ) -> HandedOff | None:
        link = self.link
        if link is None or not link.running:
            return None
        return await SatelliteTurn(link, self.options, self.bus).run(wake_word, feed, output)

    # the connection
    def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                ) -> SatelliteLink:
        return SatelliteLink(self, reader, writer)

    def connected(self, link: SatelliteLink) -> None:
        old, self.link = self.link, link
        log.info("satellite: Home Assistant connected")
        if old is not None:
            old.replaced()

    def disconnected(self, link: SatelliteLink) -> None:
        if self.link is link:
            self.link = None
            log.info("satellite: Home Assistant disconnected")

    def running_changed(self, running: bool) -> None:
        if running:
            self._said_absent = False
        log.info("satellite: Home Assistant %s the satellite",
                 "runs" if running else "paused")

    def on_timer(self, event: Event) -> None:
        """Home Assistant's timers (set by voice on this satellite): followed, and a
        finished one announced."""
        if TimerStarted.is_type(event.type):
            timer = TimerStarted.from_event(event)
            self.timers[timer.id] = timer
            self._publish(timer.id, TimerEvent.STARTED, timer.total_seconds)
        elif TimerUpdated.is_type(event.type):
            update = TimerUpdated.from_event(event)
            self._publish(update.id, TimerEvent.UPDATED if update.is_active
                          else TimerEvent.PAUSED, update.total_seconds)
        elif TimerCancelled.is_type(event.type):
            timer_id = TimerCancelled.from_event(event).id
            self._publish(timer_id, TimerEvent.CANCELLED, 0)
            self.timers.pop(timer_id, None)
        elif TimerFinished.is_type(event.type):
            timer_id = TimerFinished.from_event(event).id
            self._publish(timer_id, TimerEvent.FINISHED, 0)
            started = self.timers.pop(timer_id, None)
            name = started.name if started is not None else None
            self.announce(f"The {name} timer is done." if name else "Your timer is done.")

    def _publish(self, timer_id: str, what: TimerEvent, total_s: int) -> None:
        started = self.timers.get(timer_id)
        self.bus.publish(SatelliteTimer(timer_id=timer_id, event=what,
                                        name=(started.name or "") if started else "",
                                        total_s=total_s))
