"""The assistant's state, with one owner.

What the tray, the phone, push-to-talk and the instance socket call "the state" is
derived from three facts kept here and nowhere else: whether the microphone is muted,
where the voice turn is (waiting for the wake word, listening, thinking, replying) and
whether anything is being spoken (a reply or an announcement). StateOwner is the only
publisher of StateChanged, and publishes only when the derived state changes: an
announcement in the middle of a turn ends back in that turn's phase, and unmuting ends
back in it too, instead of whatever the last publisher happened to say."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from assistant.bus import EventBus
from assistant.events import AssistantState, StateChanged


class TurnPhase(StrEnum):
    """Where the voice turn is (VoicePipeline.run_turn)."""

    WAITING = "waiting"  # for the wake word, or between turns
    LISTENING = "listening"
    THINKING = "thinking"
    REPLYING = "replying"


_OF_PHASE = {TurnPhase.WAITING: AssistantState.IDLE,
             TurnPhase.LISTENING: AssistantState.LISTENING,
             TurnPhase.THINKING: AssistantState.THINKING,
             TurnPhase.REPLYING: AssistantState.SPEAKING}


class StateOwner:
    """Keeps muted / turn phase / speaking and publishes the state they make. Called on
    the event loop; the lock makes a call from another thread safe too, and keeps the
    published states in the order they were reached."""

    def __init__(self, bus: EventBus, starting: bool = False) -> None:
        self.bus = bus
        self._lock = threading.RLock()  # a handler of StateChanged may read the state
        self._starting = starting
        self._muted = False
        self._phase = TurnPhase.WAITING
        self._speaking = 0  # utterances playing now (SpeechOutput)
        # every Heron begins "starting": that is never announced, only left
        self._published = AssistantState.STARTING if starting else None

    @property
    def state(self) -> AssistantState:
        with self._lock:
            return self._derive()

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def phase(self) -> TurnPhase:
        return self._phase

    def ready(self) -> None:
        """Loading is over: from now on the state is what the facts say."""
        self._change(starting=False)

    def set_muted(self, muted: bool) -> None:
        self._change(muted=muted)

    def set_phase(self, phase: TurnPhase) -> None:
        self._change(phase=phase)

    @contextmanager
    def speaking(self) -> Iterator[None]:
        """From when an utterance is asked until it has played (SpeechOutput)."""
        self._change(speaking=1)
        try:
            yield
        finally:
            self._change(speaking=-1)

    def _derive(self) -> AssistantState:
        if self._starting:
            return AssistantState.STARTING
        if self._speaking:  # a reply to a typed question is spoken even while muted
            return AssistantState.SPEAKING
        if self._muted:
            return AssistantState.MUTED
        return _OF_PHASE[self._phase]

    def _change(self, *, starting: bool | None = None, muted: bool | None = None,
                phase: TurnPhase | None = None, speaking: int = 0) -> None:
        with self._lock:
            if starting is not None:
                self._starting = starting
            if muted is not None:
                self._muted = muted
            if phase is not None:
                self._phase = phase
            self._speaking += speaking
            state = self._derive()
            if state != self._published:
                self._published = state
                self.bus.publish(StateChanged(state=state))
