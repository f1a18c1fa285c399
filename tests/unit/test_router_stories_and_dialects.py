"""Ways people type a command found on the sixth tuning set (dev6, session 15): a story
and then "so" and the request, someone helping who says "her screen" or "remind her",
Scots words ("whit's the weather the morra"), formal lead-ins ("I would be grateful if
you could"), a day said before the request, a timer named by its length in words, a file
pattern among other words, and "this:" before what to copy."""

from __future__ import annotations

import pytest
from router_support import routed, understanding_over, words_router

from assistant.agent.asides import without_asides
from assistant.agent.tokens import tokens_of
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.files import FindFiles
from assistant.builtins.lists import ReadList, RemoveFromList
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import FindOnScreen, ReadScreen
from assistant.builtins.timers import PauseTimer, SetTimer
from assistant.builtins.volume import ChangeVolume
from assistant.builtins.weather import GetWeather

TOOLS = (GetTime, GetDate, FindFiles, ReadList, RemoveFromList, SetReminder, FindOnScreen,
         ReadScreen, PauseTimer, SetTimer, ChangeVolume, GetWeather, ClipboardWrite)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.fixture(scope="module")
def understanding(router):
    return understanding_over(router)


@pytest.mark.parametrize(("said", "words"), [
    ("whit's the weather the morra", ["what", "is", "the", "weather", "the", "tomorrow"]),
    ("knock it doon a wee bit", ["take", "it", "down", "a", "bit"]),
    ("where is the button on her screen", ["where", "is", "the", "button", "on", "my",
                                           "screen"]),
    ("what is her name", ["what", "is", "her", "name"]),  # "her" before no tool's thing
    ("remind her to take her pills", ["remind", "me", "to", "take", "her", "pills"]),
    ("please remember me in one hour to call", ["remind", "me", "in", "one", "hour", "to",
                                                "call"]),
])
def test_words_as_they_are_meant(said, words):
    assert [t.text for t in tokens_of(said)] == words


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("the kids are in the bath and I keep losing track so put a 15 minute timer on",
     "set_timer", {"seconds": 900}),
    ("my sister says she'll bring the wine so take wine off the shopping list",
     "remove_from_list", {"item": "wine", "list": "shopping"}),
    ("I would be grateful if you could remind me at half past two this afternoon to "
     "telephone opposing counsel", "set_reminder",
     {"text": "telephone opposing counsel", "at": "14:30"}),
    ("Remind her to take her blood pressure tablet at 8pm", "set_reminder",
     {"text": "take her blood pressure tablet", "at": "20:00"}),
    ("Where is the Join meeting button on her screen?", "find_on_screen",
     {"text": "Join meeting"}),
    ("Kindly pause the twenty minute timer whilst I take this call.", "pause_timer",
     {"label": "20 minute"}),
])
def test_the_request_in_a_story_or_said_for_someone(understanding, said, tool, args):
    found = understanding.understand(said, "en")
    assert found is not None, said
    assert (found.tool, found.args) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a day said before the request fills the day all the same
    ("tomorrow weather in Osaka", "get_weather", {"location": "Osaka", "day_offset": 1}),
    ("put a 15 minute timer on", "set_timer", {"seconds": 900}),
    ("Find photo files *.jpg in Pictures folder", "find_files",
     {"query": "*.jpg", "dir": "~/Pictures"}),
    ("Put in clipboard this: Rua das Flores 25", "clipboard_write",
     {"text": "Rua das Flores 25"}),
])
def test_values_said_in_other_places_and_forms(router, said, tool, args):
    assert routed(router, said) == (tool, args)


def test_a_story_so_request_needs_a_verb_after_so():
    assert without_asides("turn it down so the baby can sleep", "en") == \
        "turn it down so the baby can sleep"
    assert without_asides("is it so", "en") == "is it so"


@pytest.mark.parametrize("said", ["och, never mind", "Please disregard my previous request."])
def test_never_mind_in_more_words(understanding, said):
    found = understanding.understand(said, "en")
    assert found is not None and found.tool is None and found.reply == "", said
