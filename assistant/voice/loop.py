"""The voice loop: turn after turn on one microphone, and what can happen between or
in the middle of them — push-to-talk, the kill switch (mute), the microphone lent out
(wake word enrolment) and a turn that fails. The running Heron (assistant/service.py)
opens the microphone and hands this loop the pipeline and the frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum

from assistant.commands import CommandRefused
from assistant.events import Stage
from assistant.supervisor import back_off
from assistant.voice.feed import FrameFeed
from assistant.voice.pipeline import TurnFailed, VoicePipeline
from assistant.voice.state import StateOwner, TurnPhase
from models.errors import CodedError

log = logging.getLogger(__name__)
SPIN_S = 2.0  # a turn failing sooner than this is a stage broken for good: back off
LEND_WAIT_S = 10.0  # how long a borrower waits for the turn in progress to let go

# What to do when a turn fails outside a coded error: say so (the stage, the error, how
# many turns failed in a row) and back off.
FailureHandler = Callable[[Stage, Exception, int], Awaitable[None]]


class Toggled(StrEnum):
    """What push-to-talk did."""

    LISTENING = "listening"  # a turn began without the wake word
    STOPPED = "stopped"  # the turn in progress (listening, thinking, speaking) ended
    MUTED = "muted"  # nothing: the microphone is muted
    NO_MIC = "no_mic"  # nothing: no voice loop runs


class VoiceLoop:
    def __init__(self, status: StateOwner, on_failed: FailureHandler) -> None:
        self.status = status
        self._on_failed = on_failed
        self._pipeline: VoicePipeline | None = None
        self._feed: FrameFeed | None = None
        self._turn: asyncio.Task | None = None  # cancelled to start or stop a turn
        self._talk_now = False  # the next turn skips the wake word (push-to-talk)
        # another user of the microphone (wake word enrolment) parks the loop
        self._free = asyncio.Event()
        self._free.set()
        self._parked = asyncio.Event()

    async def run(self, pipeline: VoicePipeline, feed: FrameFeed) -> None:
        """Turns, one after another, until cancelled. A failing turn is reported and
        the next one begins; a stage that fails at once on every turn is backed off."""
        self._pipeline, self._feed = pipeline, feed
        follow_up = False  # after a barge-in the user is already talking: no wake word
        failures = 0  # turns failed in a row
        try:
            while True:
                if not self._free.is_set():  # the microphone is lent out
                    self._parked.set()
                    await self._free.wait()
                    self._parked.clear()
                    follow_up = False
                wake = pipeline.stack.config.wake.enabled  # changes live
                use_wake = wake and not (follow_up or self._talk_now)
                self._talk_now = False
                began = asyncio.get_running_loop().time()
                turn = asyncio.create_task(pipeline.run_turn(feed, use_wake,
                                                             barge_in_allowed=True))
                self._turn = turn
                failed: Exception | None = None
                coded = False  # a coded failure: its StageError is out, no apology
                try:
                    await asyncio.wait({turn})
                    if turn.cancelled():  # push-to-talk or mute: begin, or end, a turn
                        follow_up = False
                        continue
                    follow_up = bool(turn.result().interrupted)
                    failures = 0
                except TurnFailed as err:
                    failed = err
                except CodedError as err:
                    log.warning("turn failed: %s", err)  # StageError already published
                    follow_up = False
                    coded = True
                except Exception as err:  # outside any stage: still only this turn's
                    failed = err
                finally:
                    if not turn.done():  # the loop itself is being cancelled
                        turn.cancel()
                        await asyncio.gather(turn, return_exceptions=True)
                if (failed is not None or coded) and \
                        asyncio.get_running_loop().time() - began > SPIN_S:
                    failures = 0  # the user got this far (a wake word, speech): no spin
                if failed is not None:
                    follow_up = False
                    failures += 1
                    stage = failed.stage if isinstance(failed, TurnFailed) else Stage.TURN
                    await self._on_failed(stage, failed, failures)
                elif coded:  # a stage failing at once on every turn must not spin either
                    failures += 1
                    await back_off(failures)
        finally:
            self._turn = None
            self._pipeline = self._feed = None

    def toggle(self) -> Toggled:
        """Push-to-talk: start listening now (no wake word), or stop what the turn is
        doing (listening, thinking or speaking)."""
        turn = self._turn
        if turn is None or turn.done():
            return Toggled.NO_MIC
        if self.status.muted:
            return Toggled.MUTED
        if self.status.phase == TurnPhase.WAITING:  # for the wake word
            output = self._pipeline.output if self._pipeline is not None else None
            if output is not None:
                output.stop()  # like the wake word: an announcement gives way
            self._talk_now = True
            turn.cancel()
            return Toggled.LISTENING
        turn.cancel()
        return Toggled.STOPPED

    def set_muted(self, muted: bool) -> None:
        """The microphone was muted (the kill switch) or unmuted. A command being heard
        when it is muted is dropped, never acted on later with whatever follows the
        unmute, and frames captured before the mute and not yet read are dropped; a turn
        thinking, asking for a spoken yes/no or replying goes on (its reply is spoken;
        an approval can be answered elsewhere), and the state is "muted" after it."""
        pipeline, turn = self._pipeline, self._turn
        hearing = pipeline is not None and pipeline.hearing_command
        self.status.set_muted(muted)
        if muted and self._feed is not None:
            self._feed.drop_pushed()  # the microphone drops what it had queued itself
        if muted and hearing and turn is not None and not turn.done():
            turn.cancel()
            # abandoned now, not when the task next runs: an unmute that comes first
            # must not show "listening" for a turn that is gone
            self.status.set_phase(TurnPhase.WAITING)

    @contextlib.asynccontextmanager
    async def lent(self) -> AsyncIterator[None]:
        """The loop parked (the turn in progress ends) while another user has the
        microphone; one borrower at a time. Refused when no loop runs or it is muted."""
        if self._turn is None:
            raise CommandRefused("instance.no_mic", "Heron has no microphone open",
                                 "connect one (or start Heron without --no-mic)")
        if self.status.muted:
            raise CommandRefused("instance.muted", "the microphone is muted",
                                 "unmute it from the tray menu first")
        if not self._free.is_set():
            raise CommandRefused("instance.busy", "the microphone is already lent out",
                                 "wait for the enrolment in progress to finish")
        self._free.clear()
        try:
            turn = self._turn
            if turn is not None and not turn.done():
                turn.cancel()
            try:
                await asyncio.wait_for(self._parked.wait(), LEND_WAIT_S)
            except TimeoutError as err:
                raise CommandRefused("instance.no_mic", "the voice loop did not let go of "
                                     "the microphone", "try again in a moment") from err
            yield
        finally:
            self._free.set()
