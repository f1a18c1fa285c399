"""Ways people type a command found on the seventh tuning set (dev7, session 16): a
title's full stop ("Mr. Haldane") ends no sentence, a reason after a comma ("…, as the
cleaners come at six") is no part of a place or a reminder, "could you possibly", "any
chance you could", "what 48 times 17 is", texting ("ur", "em", "lol", "eh"), a sign
said before a number ("minus 20 celsius"), a day said where the example has none, what a
copied number is called ("the matter number …"), a window or a purpose said on top ("of
the active window", "… for the tip", "… before my son takes me"), and readings no tool
is meant for ("how many time is left in my timer" names no unit; "start from 'the
glaze'" no app)."""

from __future__ import annotations

import pytest
from router_support import routed, understanding_over, understood, words_router

from assistant.agent.clauses import clauses_of
from assistant.agent.tokens import tokens_of
from assistant.builtins.apps import OpenApp
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.calculate import Calculate
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.convert import Convert
from assistant.builtins.files import FindFiles
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.media import MediaPlay
from assistant.builtins.notes import TakeNote
from assistant.builtins.read_aloud import ReadAloud
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import DescribeScreen, ReadScreen
from assistant.builtins.timers import ListTimers, SetTimer
from assistant.builtins.volume import ChangeVolume, SetVolume
from assistant.builtins.weather import GetWeather

TOOLS = (OpenApp, Calculate, ClipboardWrite, Convert, AddToList, RemoveFromList, MediaPlay,
         TakeNote, ReadAloud, SetReminder, ListTimers, SetTimer, ChangeVolume, SetVolume,
         GetWeather, Broadcast, FindFiles, CompleteListItem, ReadList, DescribeScreen,
         ReadScreen)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.fixture(scope="module")
def understanding(router):
    return understanding_over(router)


def test_a_title_s_full_stop_ends_no_clause():
    said = "remind me in 45 minutes to call Mr. Haldane, as he asked"
    assert [said[a:b] for a, b in clauses_of(said)] == [
        "remind me in 45 minutes to call Mr. Haldane", "as he asked"]


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("I should like to be reminded in forty-five minutes to call Mr. Haldane regarding "
     "the settlement.", "set_reminder",
     {"seconds": 2700, "text": "call Mr. Haldane regarding the settlement"}),
    ("Please make a note that the hearing of Ms. Ortega moved to the 14th, pending "
     "confirmation.", "take_note",
     {"text": "the hearing of Ms. Ortega moved to the 14th, pending confirmation"}),
    ("Please remind me at 17:45 to lock the file cabinet, as the cleaning staff arrive at "
     "six", "set_reminder", {"at": "17:45", "text": "lock the file cabinet"}),
    ("set a reminder for 4:30 so that I remember to file the motion", "set_reminder",
     {"at": "04:30", "text": "file the motion"}),
    ("Please set a reminder 5 minutes from now to switch off the geyser.", "set_reminder",
     {"seconds": 300, "text": "switch off the geyser"}),
    ("Remind me after 2 hours to take my tablet.", "set_reminder",
     {"seconds": 7200, "text": "take my tablet"}),
    ("What will the weather be tomorrow in Ottawa, where I must travel for a hearing?",
     "get_weather", {"day_offset": 1, "location": "Ottawa"}),
    ("Tell me the weather for Abuja day after tomorrow.", "get_weather",
     {"day_offset": 2, "location": "Abuja"}),
    ("how many miles is 10 kilometres, do you know?", "convert",
     {"value": 10.0, "from_unit": "kilometres", "to_unit": "miles"}),
    ("what's minus 20 Celsius in Fahrenheit", "convert",
     {"value": -20.0, "from_unit": "Celsius", "to_unit": "Fahrenheit"}),
    ("convert -40 f to c", "convert", {"value": -40.0, "from_unit": "f", "to_unit": "c"}),
    ("can you tell me what 48 times 17 is?", "calculate", {"expression": "48 times 17"}),
    ("Copy the matter number 2024-CV-01187 to the clipboard", "clipboard_write",
     {"text": "2024-CV-01187"}),
    ("would you mind copying my address, 14 Elm Street, to the clipboard?",
     "clipboard_write", {"text": "14 Elm Street"}),
    ("timer 25m label pomodoro", "set_timer", {"seconds": 1500, "label": "pomodoro"}),
    ("Please open the Solitaire game", "open_app", {"name": "solitaire"}),
    ("knock the pavlova off the shopping list, nan's bringing one", "remove_from_list",
     {"item": "pavlova", "list": "shopping"}),
    ("out of shallots, add em", "add_to_list", {"item": "shallots"}),
    ("crank the tunes up a bit", "change_volume", {"percent": 10}),
    ("how about some Fleetwood Mac?", "media_play", {"query": "Fleetwood Mac"}),
    ("I need to jot something down: the wifi password is on the fridge", "take_note",
     {"text": "the wifi password is on the fridge"}),
])
def test_formal_and_texted_requests(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("Please describe what is displayed in the active window, as I am unsure whether it "
     "worked.", "describe_screen", {"target": "active"}),
    ("Please tell everyone in the house that tea is on the table.", "broadcast",
     {"message": "tea is on the table"}),
    ("let the kids know supper's ready", "broadcast", {"message": "supper's ready"}),
    ("I have bought the tomatoes, kindly tick it off from the shopping list.",
     "complete_list_item", {"item": "tomatoes", "list": "shopping"}),
    ("Would you read me my shopping list before my son takes me to the supermarket?",
     "read_list", {"list": "shopping"}),
    ("find me the cottage photos folder", "find_files", {"query": "cottage photos"}),
    ("work out 15 percent of 86 for the tip", "calculate", {"expression": "15 percent of 86"}),
    ("timer 45 min then i gotta get off", "set_timer", {"seconds": 2700}),
    ("is it gonna be hot in Auckland tomorrow?", "get_weather",
     {"day_offset": 1, "location": "Auckland"}),
])
def test_more_formal_and_texted_requests(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("could you possibly remind me to ring the vet in twenty minutes?", "set_reminder",
     {"seconds": 1200, "text": "ring the vet"}),
    ("Could you play some Vera Lynn for me?", "media_play", {"query": "Vera Lynn"}),
    ("play some Tragically Hip, eh", "media_play", {"query": "Tragically Hip"}),
])
def test_home_assistant_s_wildcards_shed_the_politeness(understanding, said, tool, args):
    found = understanding.understand(said, "en")
    assert found is not None and (found.tool, found.args) == (tool, args), found


def test_texting_words_are_the_words_they_stand_for():
    assert [t.text for t in tokens_of("is some1 behind me lol check the cam")][-3:] == \
        ["check", "the", "camera"]
    # "ur" is "your"; said for the user's own music, it is "my music"
    assert [t.text for t in tokens_of("turn ur music down im working")][:3] == \
        ["turn", "my", "music"]
    assert [t.text for t in tokens_of("5 minus 3")] == ["5", "minus", "3"]  # a sum


def test_a_conversion_naming_no_unit_is_no_conversion(router):
    match = router.route("How many time is left in my timer?")
    assert match is not None and match.tool == "list_timers"
    assert routed(router, "how many cups in a gallon") == (
        "convert", {"value": 1.0, "from_unit": "gallon", "to_unit": "cups"})


def test_a_number_below_what_a_slot_takes_leaves_the_tool(router):
    # "volume -15%" sets no volume of -15 (nor of 15): it turns it down, or asks
    match = router.route("VOLUME -15%")
    assert match is None or (match.tool, match.args) == ("change_volume", {"percent": -15})
    assert routed(router, "volume 15%") == ("set_volume", {"percent": 15})


@pytest.mark.parametrize("said", ["Please read aloud this document, start from 'delivery "
                                  "schedule'", "Read this recipe aloud, start at 'the glaze'."])
def test_start_from_a_place_starts_no_app(router, said):
    assert router.route(said).tool == "read_aloud"
    assert routed(router, "start firefox") == ("open_app", {"name": "firefox"})
