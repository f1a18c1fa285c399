"""The assistant's state is derived from (muted, turn phase, speaking) by its one owner,
which publishes it only when it changes."""

from __future__ import annotations

from assistant.bus import EventBus
from assistant.events import AssistantState, StateChanged
from assistant.voice.state import StateOwner, TurnPhase


def owner(starting: bool = False) -> tuple[StateOwner, list[str]]:
    bus = EventBus()
    states: list[str] = []
    bus.subscribe(lambda e: states.append(e.state), StateChanged)
    return StateOwner(bus, starting=starting), states


def test_nothing_but_starting_until_ready_then_idle_once():
    state, published = owner(starting=True)
    state.set_phase(TurnPhase.WAITING)
    state.set_muted(False)
    assert state.state == AssistantState.STARTING and published == []
    state.ready()
    state.ready()
    assert published == ["idle"]


def test_unmuting_returns_to_the_phase_the_turn_is_in():
    state, published = owner()
    state.set_phase(TurnPhase.WAITING)
    state.set_muted(True)
    state.set_muted(False)
    state.set_phase(TurnPhase.LISTENING)
    state.set_muted(True)
    state.set_muted(False)
    assert published == ["idle", "muted", "idle", "listening", "muted", "listening"]


def test_speaking_in_the_middle_of_a_turn_ends_back_in_it():
    state, published = owner()
    state.set_phase(TurnPhase.THINKING)
    with state.speaking():  # an announcement
        with state.speaking():  # a second one, queued behind it
            assert state.state == AssistantState.SPEAKING
        assert state.state == AssistantState.SPEAKING
    assert state.state == AssistantState.THINKING
    assert published == ["thinking", "speaking", "thinking"]


def test_speech_shows_while_muted_and_muted_shows_after_it():
    state, published = owner()
    state.set_muted(True)
    with state.speaking():  # the reply to a typed question
        pass
    assert published == ["muted", "speaking", "muted"]


def test_the_reply_phase_is_speaking_and_the_states_are_plain_strings():
    state, published = owner()
    state.set_phase(TurnPhase.REPLYING)
    with state.speaking():
        pass
    state.set_phase(TurnPhase.WAITING)
    assert published == ["speaking", "idle"]
    assert StateChanged(state=state.state).to_dict()["state"] == "idle"
