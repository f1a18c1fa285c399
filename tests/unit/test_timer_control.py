"""Timers the way people use them: names, pause and resume, more or less time, status,
cancel one or all — through the real registry and SQLite, on a fake clock."""

import asyncio

import pytest

from assistant.agent.router import Router
from assistant.audit.log import AuditLog
from assistant.builtins.timers import (
    CancelTimer,
    ChangeTimer,
    ListTimers,
    PauseTimer,
    ResumeTimer,
    SetTimer,
)
from assistant.bus import EventBus
from assistant.events import TimerFired
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.service import Scheduler
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

TOOLS = (SetTimer, ListTimers, CancelTimer, PauseTimer, ResumeTimer, ChangeTimer)


class Kitchen:
    """The timer tools in a real registry over a real database, on a clock we move."""

    def __init__(self, db):
        self.db = db
        self.clock = [1_000.0]
        self.storage = Storage(db)
        self.store = TimerStore(self.storage, clock=lambda: self.clock[0])
        self.registry = ToolRegistry(EventBus(), AuditLog(Storage(db), b"k" * 32))
        for tool in TOOLS:
            self.registry.register(tool(self.store))

    def call(self, tool, **args):
        return asyncio.run(self.registry.call(ToolCall(tool, args)))

    def say(self, tool, **args):
        """What the user hears: the tool's speech, or the error message."""
        outcome = self.call(tool, **args)
        return outcome.result["speech"] if outcome.status == "ok" else outcome.error

    def left(self):
        return {t.label: round(t.remaining_s(self.clock[0])) for t in self.store.pending()}

    def fire_due(self):
        """Run the real scheduler briefly at the current fake time; what it said."""
        bus, said = EventBus(), []
        fired = []
        bus.subscribe(fired.append, TimerFired)
        service = Scheduler(self.store, ReminderStore(self.storage), bus,
                            announce=said.append, poll_s=0.05, clock=lambda: self.clock[0])

        async def briefly():
            task = asyncio.create_task(service.run())
            await asyncio.sleep(0.2)
            task.cancel()
        asyncio.run(briefly())
        return said


@pytest.fixture
def kitchen(tmp_path):
    return Kitchen(tmp_path / "heron.db")


def test_a_paused_timer_keeps_its_time_and_never_rings_until_resumed(kitchen):
    kitchen.say("set_timer", seconds=300, label="egg")
    kitchen.clock[0] += 60
    assert kitchen.say("pause_timer") == "Your egg timer is paused with 4 minutes left."
    kitchen.clock[0] += 3600  # long past when it would have rung
    assert kitchen.fire_due() == []
    assert kitchen.left() == {"egg": 240}
    assert kitchen.say("resume_timer", label="egg") == "Resumed your egg timer: 4 minutes left."
    kitchen.clock[0] += 239
    assert kitchen.fire_due() == []
    kitchen.clock[0] += 1
    assert kitchen.fire_due() == ["Your egg timer is done."]


def test_a_paused_timer_is_still_paused_after_a_restart(kitchen, tmp_path):
    kitchen.say("set_timer", seconds=600, label="bread")
    kitchen.clock[0] += 120
    kitchen.say("pause_timer", label="bread")
    kitchen.clock[0] += 1000
    again = TimerStore(Storage(tmp_path / "heron.db"), clock=lambda: kitchen.clock[0])
    [t] = again.pending()
    assert (t.state, round(t.remaining_s(kitchen.clock[0]))) == ("paused", 480)


def test_status_names_running_and_paused_timers_with_their_time_left(kitchen):
    kitchen.say("set_timer", seconds=600, label="tea")
    kitchen.say("set_timer", seconds=120, label="egg")
    kitchen.say("pause_timer", label="egg")
    kitchen.clock[0] += 90
    outcome = kitchen.call("list_timers")
    assert outcome.result["speech"] == ("You have 2 timers. Your tea timer has 8 minutes and "
                                        "30 seconds left. Your egg timer is paused with "
                                        "2 minutes left.")
    # what a Home Assistant status template reads
    tea, egg = outcome.result["timers"]
    assert (tea["name"], tea["is_active"], tea["total_seconds_left"]) == ("tea", True, 510)
    assert (tea["rounded_minutes_left"], tea["rounded_seconds_left"]) == (8, 30)
    assert (egg["is_active"], egg["start_minutes"]) == (False, 2)
    assert kitchen.say("list_timers", label="egg") == ("Your egg timer is paused with "
                                                       "2 minutes left.")
    assert kitchen.say("list_timers", label="rice") == "There is no rice timer running."


def test_with_several_timers_an_unnamed_cancel_asks_which_and_all_cancels_every_one(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    kitchen.say("set_timer", seconds=540, label="pasta")
    outcome = kitchen.call("cancel_timer")
    assert (outcome.status, outcome.code) == ("error", "timer.which")
    assert "the tea timer and the pasta timer" in outcome.error
    assert "cancel all timers" in outcome.error
    assert sorted(kitchen.left()) == ["pasta", "tea"]
    assert kitchen.say("cancel_timer", all=True) == "Cancelled your tea timer and pasta timer."
    assert kitchen.left() == {}
    assert kitchen.say("cancel_timer") == "There is no timer running."


def test_timers_of_one_name_are_counted_not_repeated(kitchen):
    for _ in range(5):
        kitchen.say("set_timer", seconds=300)
    kitchen.say("set_timer", seconds=90)
    kitchen.say("set_timer", seconds=120, label="tea")
    kitchen.say("set_timer", seconds=240, label="tea")
    outcome = kitchen.call("cancel_timer")
    assert (outcome.status, outcome.code) == ("error", "timer.which")
    assert outcome.error.startswith(
        "You have 8 timers: the 1 minute and 30 seconds timer, two tea timers and "
        "five 5-minute timers. Which one?")  # the one due first, first
    kitchen.say("cancel_timer", label="90 seconds")
    kitchen.say("cancel_timer", label="tea", all=True)
    assert kitchen.say("cancel_timer", all=True) == "Cancelled your five 5-minute timers."


def test_the_only_timer_needs_no_name_and_a_paused_one_can_be_cancelled(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    kitchen.say("pause_timer")
    assert kitchen.say("cancel_timer") == "Cancelled your tea timer."
    assert kitchen.left() == {}


def test_names_are_matched_as_heard(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    kitchen.say("set_timer", seconds=300)
    kitchen.say("set_timer", seconds=540, label="pasta")
    # whisper's "t" for "tea", and an unnamed timer called by its length
    assert kitchen.say("pause_timer", label="t") == "Your tea timer is paused with 5 minutes left."
    assert kitchen.say("cancel_timer", label="the Pastor timer") == "Cancelled your pasta timer."
    assert kitchen.say("cancel_timer", label="five minute") == "Cancelled your 5 minutes timer."
    assert kitchen.left() == {"tea": 300}


def test_a_name_that_sounds_like_two_timers_asks_which(kitchen):
    kitchen.say("set_timer", seconds=300, label="bread")
    kitchen.say("set_timer", seconds=300, label="red")
    outcome = kitchen.call("cancel_timer", label="bred")
    assert outcome.code == "timer.which" and "bread timer and the red timer" in outcome.error
    assert len(kitchen.left()) == 2


def test_pause_and_resume_pick_the_timer_in_the_right_state(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    kitchen.say("set_timer", seconds=600, label="rice")
    kitchen.say("pause_timer", label="rice")
    # one running, one paused: "pause my timer" can only mean the running one
    assert kitchen.say("pause_timer") == "Your tea timer is paused with 5 minutes left."
    outcome = kitchen.call("pause_timer", label="rice")
    assert (outcome.code, outcome.error) == ("timer.already_paused",
                                             "Your rice timer is already paused.")
    assert kitchen.call("resume_timer").code == "timer.which"
    kitchen.say("resume_timer", label="tea")
    assert kitchen.call("resume_timer", label="tea").code == "timer.not_paused"


def test_time_is_added_to_running_and_paused_timers(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    assert kitchen.say("change_timer", seconds=120) == ("Added 2 minutes to your tea timer: "
                                                        "7 minutes left.")
    kitchen.say("pause_timer")
    assert kitchen.say("change_timer", seconds=-60, label="tea") == (
        "Took 1 minute off your tea timer: 6 minutes left.")
    assert kitchen.left() == {"tea": 360}
    kitchen.say("resume_timer")
    kitchen.clock[0] += 360
    assert kitchen.fire_due() == ["Your tea timer is done."]


def test_removing_more_time_than_is_left_is_refused_and_keeps_the_timer(kitchen):
    kitchen.say("set_timer", seconds=180, label="egg")
    outcome = kitchen.call("change_timer", seconds=-600)
    assert (outcome.status, outcome.code) == ("error", "timer.too_short")
    assert outcome.error == ("Your egg timer has only 3 minutes left, so I can't take "
                             "10 minutes off. To stop it, say \"cancel the egg timer\".")
    assert kitchen.left() == {"egg": 180}
    assert kitchen.call("change_timer", seconds=0).code == "timer.no_change"
    assert kitchen.call("change_timer", seconds=8 * 24 * 3600).status == "invalid"
    assert kitchen.call("change_timer", seconds=7 * 24 * 3600 - 100).code == "timer.too_long"


def test_with_no_timers_each_action_says_so(kitchen):
    for tool, args in (("pause_timer", {}), ("resume_timer", {}), ("change_timer",
                       {"seconds": 60}), ("cancel_timer", {"all": True})):
        outcome = kitchen.call(tool, **args)
        assert (outcome.code, outcome.error) == ("timer.not_found",
                                                 "There is no timer running."), tool
    assert kitchen.say("list_timers") == "You have no timers running."


@pytest.fixture(scope="module")
def router():
    return Router([t.manifest for t in TOOLS])


@pytest.mark.parametrize("text,tool,args", [
    ("set an egg timer for 7 minutes", "set_timer", {"seconds": 420, "label": "egg"}),
    ("start an egg timer for 7 minutes", "set_timer", {"seconds": 420, "label": "egg"}),
    ("pause my timer", "pause_timer", {}),
    ("pause the egg timer", "pause_timer", {"label": "egg"}),
    ("resume the egg timer", "resume_timer", {"label": "egg"}),
    ("unpause the timer", "resume_timer", {}),
    ("add 5 minutes to the timer", "change_timer", {"seconds": 300}),
    ("add 2 minutes to the tea timer", "change_timer", {"seconds": 120, "label": "tea"}),
    ("how long until the timer goes off", "list_timers", {}),
    ("how much time is left on the pasta timer", "list_timers", {"label": "pasta"}),
    ("cancel the egg timer", "cancel_timer", {"label": "egg"}),
    ("get rid of the pasta timer", "cancel_timer", {"label": "pasta"}),
    ("give me a 3 minute tea timer", "set_timer", {"seconds": 180, "label": "tea"}),
    ("how's my timer doing", "list_timers", {}),
])
def test_the_router_finds_the_timer_tools(router, text, tool, args):
    match = router.route(text)
    assert match is not None and (match.tool, match.args) == (tool, args)


@pytest.mark.parametrize("text,tool,args", [
    ("cancel all timers", "cancel_timer", {"all": True}),
    ("cancel every timer", "cancel_timer", {"all": True}),
    ("take 2 minutes off the timer", "change_timer", {"seconds": -120}),
    ("remove 30 seconds from the egg timer", "change_timer", {"seconds": -30, "label": "egg"}),
    ("take 5 minutes off", "change_timer", {"seconds": -300}),
    ("knock ten minutes off the timer", "change_timer", {"seconds": -600}),
    ("take 2 minutes off the pasta timer", "change_timer", {"seconds": -120, "label": "pasta"}),
])
def test_the_router_hears_all_and_removal(router, text, tool, args):
    """Words set these arguments (the manifest's x-true-when-said, x-negative-when-said)."""
    match = router.route(text)
    assert match is not None and (match.tool, match.args) == (tool, args)


def test_every_named_as_the_label_still_cancels_every_timer(kitchen):
    kitchen.say("set_timer", seconds=300, label="tea")
    kitchen.say("set_timer", seconds=540, label="pasta")
    assert kitchen.say("cancel_timer", label="every", all=True) == (
        "Cancelled your tea timer and pasta timer.")
