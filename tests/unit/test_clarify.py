"""The agent asks one short question when unsure, and takes the next utterance from the
same source as the answer (real core: registry, policy, audit, SQLite)."""

import asyncio

import pytest

from assistant.agent.agent import Agent
from assistant.builtins.reminders import SetReminder
from assistant.scheduling.reminder_store import ReminderStore

AMBIGUOUS = "set a timer reminder for five minutes"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def agent(core):
    if core.registry.get("set_reminder") is None:
        core.registry.register(SetReminder(ReminderStore(core.storage)))
    now = [1000.0]
    a = Agent(core.registry, core.bus, core.storage, clock=lambda: now[0])
    a.now = now
    return a


def reminders(core):
    return core.storage.query("SELECT * FROM reminders")


def test_unsure_between_timer_and_reminder_asks_and_the_answer_picks(core, agent):
    reply = run(agent.handle(AMBIGUOUS))
    assert reply.text in ("Do you want to set a reminder or a timer?",
                          "Do you want to set a timer or a reminder?")
    assert reply.tool_calls == () and core.timers.pending() == []
    done = run(agent.handle("the timer"))
    assert done.text == "OK, timer set for 5 minutes."
    assert [t.duration_s for t in core.timers.pending()] == [300]
    assert reminders(core) == []


def test_picking_the_reminder_then_asks_what_to_remind_of(core, agent):
    run(agent.handle(AMBIGUOUS))
    ask = run(agent.handle("reminder"))
    assert ask.text == "What should I remind you of?"
    done = run(agent.handle("to take the bread out"))
    assert done.tool_calls[0].status == "ok", done.text
    assert done.tool_calls[0].args == {"seconds": 300, "text": "take the bread out"}
    assert core.timers.pending() == []


def test_never_mind_drops_the_question(core, agent):
    run(agent.handle(AMBIGUOUS))
    assert run(agent.handle("neither")).text == "OK, never mind."
    assert agent.pending_question() is None
    assert core.timers.pending() == [] and reminders(core) == []


def test_a_missing_duration_is_asked_for_and_filled(core, agent):
    assert run(agent.handle("set a timer")).text.startswith("For how long?")
    done = run(agent.handle("two and a half minutes"))
    assert done.text == "OK, timer set for 2 minutes and 30 seconds."


def test_the_question_expires(core, agent):
    run(agent.handle(AMBIGUOUS))
    agent.now[0] += 31
    assert agent.pending_question() is None
    reply = run(agent.handle("the timer"))
    assert reply.tool_calls == () and core.timers.pending() == []


def test_questions_are_kept_per_source(core, agent):
    run(agent.handle(AMBIGUOUS, source="voice"))
    assert agent.pending_question("text") is None
    run(agent.handle("what time is it", source="text"))  # another surface talks meanwhile
    assert run(agent.handle("timer", source="voice")).text == "OK, timer set for 5 minutes."


def test_a_new_command_instead_of_an_answer_is_just_done(core, agent):
    run(agent.handle("remind me in ten minutes"))
    assert agent.pending_question() == "What should I remind you of?"
    reply = run(agent.handle("what time is it"))
    assert reply.tool_calls[0].tool == "get_time"
    assert reminders(core) == []
