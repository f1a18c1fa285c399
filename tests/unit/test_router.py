import pytest

from assistant.agent.router import Router
from assistant.tools.clock import GetDate, GetTime
from assistant.tools.timers import CancelTimer, ListTimers, SetTimer


@pytest.fixture(scope="module")
def router():
    return Router([t.manifest for t in (GetTime, GetDate, SetTimer, ListTimers, CancelTimer)])


@pytest.mark.parametrize("text,tool,args", [
    ("Hey Jarvis, what time is it?", "get_time", {}),
    ("What's the time?", "get_time", {}),
    ("Can you tell me the time please", "get_time", {}),
    ("What is the date today?", "get_date", {}),
    ("What day is it?", "get_date", {}),
    ("Set a timer for two minutes and thirty seconds.", "set_timer", {"seconds": 150}),
    ("Set a tea timer for 5 minutes", "set_timer", {"seconds": 300, "label": "tea"}),
    ("Start a 10 minute timer", "set_timer", {"seconds": 600}),
    ("Set a timer for three minutes called pasta", "set_timer",
     {"seconds": 180, "label": "pasta"}),
    ("Timer for 90 seconds please", "set_timer", {"seconds": 90}),
    # recognition slips still route
    ("set at timer for five minutes", "set_timer", {"seconds": 300}),
    ("Jarvis, set the timer for one minute.", "set_timer", {"seconds": 60}),
    ("How much time is left on my timer?", "list_timers", {}),
    ("List my timers", "list_timers", {}),
    ("Cancel the tea timer.", "cancel_timer", {"label": "tea"}),
    ("Cancel my timer", "cancel_timer", {}),
    ("stop the pasta timer", "cancel_timer", {"label": "pasta"}),
])
def test_routes_commands_with_slots(router, text, tool, args):
    match = router.route(text)
    assert match is not None, text
    assert (match.tool, match.args) == (tool, args)
    assert match.missing == ()


@pytest.mark.parametrize("text", ["Tell me a joke", "What's the weather like?",
                                  "Turn off the lights in the kitchen", ""])
def test_unknown_requests_are_not_forced_onto_a_tool(router, text):
    assert router.route(text) is None


def test_missing_required_slot_is_reported(router):
    match = router.route("Set a timer.")
    assert match.tool == "set_timer"
    assert match.missing == ("seconds",)
