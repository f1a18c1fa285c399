"""General rules about how people phrase requests, on sentences unlike the tools'
examples: contractions and polite lead-ins, articles left out around a value, what is
said around a value but is no part of it (why it is asked, where it goes, the unit's
purpose, "anywhere"), a folder said with a file, "and" in a spoken sum, a place said
after any weather question, and the clause that says what to do with "it"."""

from __future__ import annotations

import pytest
from router_support import words_router

from assistant.agent.examples import named_variants, slot_tails
from assistant.agent.slots import without_tail
from assistant.agent.tokens import tokens_of, verb_of
from assistant.agent.value_masks import mask_values
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.calculate import Calculate
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.convert import Convert
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.media import MediaPause, MediaPlay, MediaResume
from assistant.builtins.notes import TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import ClickOnScreen, DescribeScreen, FindOnScreen, ReadScreen
from assistant.builtins.timers import CancelTimer, PauseTimer, ResumeTimer, SetTimer
from assistant.builtins.weather import GetWeather

TOOLS = (OpenApp, OpenUrl, Broadcast, Calculate, ClipboardRead, ClipboardWrite, Convert,
         FindFiles, ReadFile, AddToList, CompleteListItem, ReadList, RemoveFromList,
         MediaPause, MediaPlay, MediaResume, TakeNote, NotifyPhone, SetReminder,
         ClickOnScreen, DescribeScreen, FindOnScreen, ReadScreen, CancelTimer, PauseTimer,
         ResumeTimer, SetTimer, GetWeather)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.mark.parametrize(("said", "words"), [
    ("we can't find it", ["we", "can", "not", "find", "it"]),
    ("it won't start", ["it", "will", "not", "start"]),
    # after "would you mind" the verb is a gerund: its stem is the command word
    ("would you mind stopping the song", ["stop", "the", "song"]),
    ("do you mind skipping this one", ["skip", "this", "one"]),
    ("I do not want the cake any more", ["i", "do", "not", "want", "the", "cake"]),
])
def test_words_as_meant(said, words):
    assert [t.text for t in tokens_of(said)] == words


def test_and_in_a_spoken_sum_is_a_plus():
    assert [t.text for t in tokens_of("add up 3 and 4 and five")] == \
        ["add", "up", "3", "+", "4", "+", "five"]
    assert [t.text for t in tokens_of("add 3 and 4 to the list")][2] == "and"


def test_a_duration_to_convert_is_no_delay():
    assert [t.text for t in mask_values(tokens_of("120 seconds in minutes"))] == \
        ["120", "seconds", "in", "minutes"]
    assert mask_values(tokens_of("in 2 minutes to call bob"))[1].text == "<duration>"


@pytest.mark.parametrize(("said", "tool", "args"), [
    # an article the example has, left out around the value
    ("fire up gimp", "open_app", {"name": "gimp"}),
    ("what is in my packing list", "read_list", {"list": "packing"}),
    # what the request is for, or where the value goes, is no part of it
    ("copy AB12 CDE so I can paste it later", "clipboard_write", {"text": "AB12 CDE"}),
    ("copy the words see you soon to clipboard", "clipboard_write",
     {"text": "see you soon"}),
    ("send back in ten to phone", "notify_phone", {"text": "back in ten"}),
    ("send phone message: call me back", "notify_phone", {"text": "call me back"}),
    ("convert 5 kilograms to pounds for my suitcase", "convert",
     {"value": 5.0, "from_unit": "kilograms", "to_unit": "pounds"}),
    ("90 seconds in minutes", "convert",
     {"value": 90.0, "from_unit": "seconds", "to_unit": "minutes"}),
    ("look for refund anywhere on my screen", "find_on_screen", {"text": "refund"}),
    ("is the refund button somewhere on the screen", "find_on_screen", {"text": "refund"}),
    ("tap on continue", "click_on_screen", {"text": "continue"}),
    # a message keeps its own "now" and its own reasons
    ("tell everyone the film starts now", "broadcast", {"message": "the film starts now"}),
    ("note that I moved the car so I can find it", "take_note",
     {"text": "I moved the car so I can find it"}),
    # a sum said with "and"
    ("add up 2.50 and 3.25 and 4", "calculate", {"expression": "2.50 + 3.25 + 4"}),
    # a file said with its folder; a folder said in words; a name said "with … in the name"
    ("read notes.md in my documents folder", "read_file", {"path": "~/Documents/notes.md"}),
    ("find file invoice in downloads", "find_files", {"query": "invoice", "dir": "~/Downloads"}),
    ("look for videos with wedding in the name in my videos folder", "find_files",
     {"query": "wedding", "dir": "~/Videos"}),
    # a place after any weather question; a room is none
    ("will it be windy in Aberdeen tomorrow", "get_weather",
     {"location": "Aberdeen", "day_offset": 1}),
    ("how is the weather looking in Bristol", "get_weather", {"location": "Bristol"}),
    # a name made of little words names nothing; a name holds not its own anchor
    ("stop all the timers", "cancel_timer", {"all": True}),
    ("take gloves off camping list", "remove_from_list",
     {"item": "gloves", "list": "camping"}),
    # "it" points back at the thing another clause ends on
    ("I already have the batteries, take them off my shopping list", "remove_from_list",
     {"item": "batteries", "list": "shopping"}),
])
def test_values_as_meant(router, said, tool, args):
    match = router.route(said)
    assert match is not None and not match.missing, (said, router.scores(said)[:2])
    assert (match.tool, match.args) == (tool, args)


def test_the_clause_pointing_back_says_what_to_do(router):
    # "it" fills the text slot from a clause that only names the thing
    match = router.route("I changed my mind about the wine, remove it from the shopping list")
    assert match is not None and (match.tool, match.args) == \
        ("remove_from_list", {"item": "wine", "list": "shopping"})


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a whole command said first is not taken over by a clause saying "it"
    ("start a timer for 10 minutes, then pause it", "set_timer", {"seconds": 600}),
    ("add bread to the shopping list, then read it to me", "add_to_list",
     {"item": "bread", "list": "shopping"}),
    ("copy hello world, then paste it", "clipboard_write", {"text": "hello world"}),
    # a message keeps words the tool's other examples say after their slot
    ("send my phone a note the charger is next to my phone", "notify_phone",
     {"text": "the charger is next to my phone"}),
    # "and" is a plus only when the sum words open the request, and only in a sum
    ("take a note the total of 5 and 6 is eleven", "take_note",
     {"text": "the total of 5 and 6 is eleven"}),
    ("remind me to pay the sum of 40 and 60 tomorrow", "set_reminder",
     {"text": "pay the sum of 40 and 60 tomorrow"}),
    ("what is the sum of 4 and 5", "calculate", {"expression": "4 + 5"}),
    ("I need to get bread from the store", "add_to_list",
     {"item": "get bread from the store"}),
    # a town named like a room is a town
    ("weather in Schwäbisch Hall", "get_weather", {"location": "Schwäbisch Hall"}),
    ("weather in Study", "get_weather", {"location": "Study"}),
    # a duration converted into a unit said short
    ("2 hours in mins", "convert", {"value": 2.0, "from_unit": "hours", "to_unit": "mins"}),
    # "and" with a number after it does not end a unit
    ("convert 3 feet and 2 inches to cm", "convert",
     {"value": 3.0, "from_unit": "feet and 2 inches", "to_unit": "cm"}),
    # a message keeps its "anymore"
    ("remind me to tell Bob I don't smoke anymore", "set_reminder",
     {"text": "tell Bob I don't smoke anymore"}),
])
def test_rules_that_do_not_misfire(router, said, tool, args):
    match = router.route(said)
    assert match is not None and not match.missing, (said, router.scores(said)[:2])
    assert (match.tool, match.args) == (tool, args)


@pytest.mark.parametrize("said", [
    "the milk is in the fridge, add it to the shopping list",  # which is "it"?
    "will it be cold in the office tomorrow",  # a room asks a sensor, not the forecast
    "is it cold in the kitchen",
])
def test_no_guess(router, said):
    assert router.route(said) is None


@pytest.mark.parametrize(("gerund", "verb"), [
    ("telling", "tell"), ("calling", "call"), ("closing", "close"), ("stopping", "stop"),
    ("resuming", "resume"), ("pausing", "pause"), ("playing", "play"), ("opening", "open"),
    ("cancelling", "cancel"), ("deleting", "delete"), ("reading", "read"), ("kiss", None),
])
def test_the_verb_of_a_gerund(gerund, verb):
    assert verb_of(gerund) == verb


def test_a_room_is_no_place_for_the_weather(router):
    match = router.route("what's the weather in the living room")
    assert match is None


def test_slot_tails_and_said_after_variants():
    tails = slot_tails(ClipboardWrite.manifest)["text"]
    assert ("to", "clipboard") in tails
    assert without_tail("hello there to my clipboard", tails) == "hello there"
    assert without_tail("to clipboard", tails) == "to clipboard"  # nothing would be left
    variants = named_variants(GetWeather.manifest)
    assert "will it snow {day_offset} in {location}" in variants
    assert "will it snow in {location} {day_offset}" in variants
