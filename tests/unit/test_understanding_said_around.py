"""What people say around a command, found on the eighth tuning set (dev8, session 17):
"never mind" with a reason ("oh never mind, Ava's found it herself"), a broadcast's own
commas, a quantity said in one clause and converted in another ("8 ounces of butter …,
how many grams is that"), a statement after a name ("tick off bananas, Grandad's just
brought some home"), a pomodoro (a timer), "help me open …", a town before "weather",
"bring it down 20", and endings typed in Singapore or in a hurry ("lah", "asap")."""

from __future__ import annotations

import pytest
from router_support import understanding_over, understood, words_router

from assistant.agent.file_words import file_query
from assistant.agent.intents.never_mind import never_mind_said
from assistant.agent.pointed_quantity import pointed_conversion
from assistant.builtins.apps import OpenApp
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.camera import ScanQr
from assistant.builtins.convert import Convert
from assistant.builtins.explain_error import ExplainError
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.media import MediaPlay
from assistant.builtins.read_aloud import ReadAloud
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import DescribeScreen
from assistant.builtins.timers import (
    CancelTimer,
    ChangeTimer,
    ListTimers,
    PauseTimer,
    ResumeTimer,
    SetTimer,
)
from assistant.builtins.volume import ChangeVolume, SetVolume
from assistant.builtins.weather import GetWeather

TOOLS = (OpenApp, Broadcast, ScanQr, Convert, ExplainError, AddToList, CompleteListItem,
         ReadList, RemoveFromList, MediaPlay, ReadAloud, SetReminder, DescribeScreen,
         CancelTimer, ChangeTimer, ListTimers, PauseTimer, ResumeTimer, SetTimer, ChangeVolume,
         SetVolume, GetWeather)


@pytest.fixture(scope="module")
def understanding():
    return understanding_over(words_router(TOOLS))


@pytest.mark.parametrize("said", [
    "oh never mind, Ava's found it herself", "nvm cust hung up",
    "Sorry, never mind, I don't need anything now.", "aiyah never mind, forget it",
    "ah scratch that, never mind", "actually never mind, I'll leave it",
])
def test_never_mind_with_a_reason_ends_the_turn_quietly(understanding, said):
    found = understanding.understand(said, "en")
    assert found is not None and found.tool is None and found.reply == "", found
    assert found.matched == "HassNevermind"


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a new request beside it is that request
    ("never mind, set a timer for 5 minutes", "set_timer", {"seconds": 300}),
    # "never mind the X" is about X, not the turn
    ("never mind the pasta timer, cancel it", "cancel_timer", {"label": "pasta"}),
])
def test_never_mind_beside_a_request_is_the_request(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


def test_the_never_mind_part_and_the_rest_are_told_apart():
    said = never_mind_said("oh never mind, sorry, I worked it out myself",
                           lambda phrase: phrase.lower() == "never mind")
    assert said is not None and said.phrase == "never mind"
    assert said.rest == ("I worked it out myself",)  # "sorry" alone says nothing
    assert never_mind_said("never mind", lambda phrase: True) is None  # the whole utterance
    assert never_mind_said("set a timer, as always", lambda phrase: True) is None


@pytest.mark.parametrize(("said", "message"), [
    ("announce: building is closing, all visitors please come to the main lobby",
     "building is closing, all visitors please come to the main lobby"),
    ("broadcast 'team huddle in 2 min, grab headsets'", "team huddle in 2 min, grab headsets"),
    ("Announce to everyone that food is ready, come and eat.", "food is ready, come and eat"),
    ("broadcast that the Wi-Fi is down", "the Wi-Fi is down"),
])
def test_a_broadcast_keeps_the_punctuation_it_was_written_with(understanding, said, message):
    assert understood(understanding, said) == ("broadcast", {"message": message})


@pytest.mark.parametrize(("said", "plainly"), [
    ("sold 40 pounds of tomatoes at the gate, what's that in kilos", "40 pounds in kilos"),
    ("the recipe wants 8 ounces of butter but my scales only do grams, how many grams is "
     "that", "8 ounces in grams"),
    ("this recipe says 350 degrees Fahrenheit, what's that in Celsius?",
     "350 degrees fahrenheit in celsius"),
    ("the flat is 4,200 square feet; what would that amount to in square metres?",
     "4200 square feet in square metres"),
    ("I walked 5 miles today, is that a lot", None),  # asks no unit
    ("what time is it in london", None),  # no quantity before it
])
def test_a_quantity_said_before_is_what_that_converts(said, plainly):
    assert pointed_conversion(said) == plainly


def test_a_pointed_conversion_is_routed_as_one(understanding):
    assert understood(understanding, "She weighs 62 kilos, what's that in pounds?") == (
        "convert", {"value": 62.0, "from_unit": "kilos", "to_unit": "pounds"})


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a statement after a comma is no part of a name
    ("tick off bananas, Grandad's just brought some home", "complete_list_item",
     {"item": "bananas"}),
    ("play some johnny clegg, feeling nostalgic", "media_play", {"query": "johnny clegg"}),
    ("put on some burial, need a reference for how the hats should sit", "media_play",
     {"query": "burial"}),
    ("could you start reading again from once upon a time, Leo missed the beginning",
     "read_aloud", {"from": "once upon a time"}),
    ("add milk to the list, we're out", "add_to_list",
     {"item": "milk", "list": "shopping list"}),
    # … but more of a name is
    ("add eggs, milk and bread to my to-do list", "add_to_list",
     {"item": "eggs milk and bread", "list": "to-do list"}),
    # a pomodoro is a timer, named for what it is
    ("um could you maybe start a 25 minute pomodoro for me", "set_timer",
     {"seconds": 1500, "label": "pomodoro"}),
    ("if it's not too much trouble, pause the pomodoro", "pause_timer",
     {"label": "pomodoro"}),
    ("resume pomodoro", "resume_timer", {"label": "pomodoro"}),
    ("how much longer on the patrol timer", "list_timers", {"label": "patrol"}),
    ("tack 10 more minutes onto the patrol timer", "change_timer",
     {"seconds": 600, "label": "patrol"}),
    # durations said the short way
    ("timer 1 hour 15 for the lamb shoulder", "set_timer",
     {"seconds": 4500, "label": "lamb shoulder"}),
    ("Please put a timer of one and half hour for the biryani.", "set_timer",
     {"seconds": 5400, "label": "biryani"}),
    # units of time asked of a span of time
    ("how many seconds are in 3 days", "convert",
     {"value": 3.0, "from_unit": "days", "to_unit": "seconds"}),
    ("grams in 8 oz?", "convert", {"value": 8.0, "from_unit": "oz", "to_unit": "grams"}),
    # a reading that leaves a value out loses to one of the same tool that says it all
    ("Please take out the sunscreen from packing list", "remove_from_list",
     {"item": "sunscreen", "list": "packing"}),
    ("help me open slack", "open_app", {"name": "slack"}),
    # a thing said to be bought or done before "tick it off"
    ("Butter is bought. Please check it off.", "complete_list_item", {"item": "Butter"}),
    ("Shallots are done, tick them off the prep list.", "complete_list_item",
     {"item": "Shallots", "list": "prep"}),
    ("I have packed the sunscreen, please mark it as done on the packing list",
     "complete_list_item", {"item": "sunscreen", "list": "packing"}),
    ("mark 'call back mrs lindqvist' done on to-do list", "complete_list_item",
     {"item": "call back mrs lindqvist", "list": "to-do"}),
    ("um could you tick off finish lab report on my to-do list", "complete_list_item",
     {"item": "finish lab report", "list": "to-do"}),
    ("weather in berlin rn", "get_weather", {"location": "berlin"}),
    # an interjection set apart, and where the thing a timer is for sits
    ("eish, set a 12 minute timer for the boerewors on the braai", "set_timer",
     {"seconds": 720, "label": "boerewors"}),
    ("set a timer for 10 minutes for the bread in the oven", "set_timer",
     {"seconds": 600, "label": "bread"}),
    ("well, open firefox", "open_app", {"name": "firefox"}),
    # "songs" after a name only says it is music
    ("Please play some Burna Boy songs.", "media_play", {"query": "Burna Boy"}),
    ("I want to listen Teresa Teng songs, please play.", "media_play",
     {"query": "Teresa Teng"}),
    ("heavy cream on the list", "add_to_list", {"item": "heavy cream"}),
    ("stick bread on the list", "add_to_list", {"item": "bread"}),
    ("tell every1 in the house im going live dont come in", "broadcast",
     {"message": "im going live dont come in"}),
    ("open slack asap", "open_app", {"name": "slack"}),
    ("remind me in 20 minutes to off the aircon lah", "set_reminder",
     {"text": "off the aircon", "seconds": 1200}),
    ("berlin weather tomorrow", "get_weather", {"location": "berlin", "day_offset": 1}),
    ("bring it down 20, my ears are getting tired", "change_volume", {"percent": -20}),
    ("crm just threw an error, whats it mean", "explain_error", {}),
    # "this page" is whatever is in front of the user: the selection if there is one
    ("read the page out to me, hands are filthy", "read_aloud", {}),
    ("read this page aloud starting at the bit that says eligibility criteria",
     "read_aloud", {"from": "eligibility criteria"}),
    ("scan the barcode on this feed bag, holding it up to the camera", "scan_qr",
     {"source": "camera"}),
])
def test_what_is_said_around_a_command(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


@pytest.mark.parametrize("said", ["today weather", "weather tomorrow"])
def test_a_day_is_no_town(understanding, said):
    tool, args = understood(understanding, said)
    assert tool == "get_weather" and "location" not in args


def test_asking_whether_a_thing_is_on_the_list_adds_nothing(understanding):
    tool, _ = understood(understanding, "is milk on the list")
    assert tool == "read_list"


@pytest.mark.parametrize(("said", "tool"), [
    # Home Assistant's shopping list reads these as checking the item off; ours can remove
    ("remove eggs from the list", "remove_from_list"),
    ("delete eggs from the list, I added them by mistake", "remove_from_list"),
    ("check eggs off the list", "complete_list_item"),
])
def test_removing_from_the_shopping_list_is_removal(understanding, said, tool):
    assert understood(understanding, said) == (tool, {"item": "eggs", "list": "shopping list"})


@pytest.mark.parametrize(("words", "query"), [
    ("essay file, it's called history essay", "history essay"),
    ("grandson sent me a letter and saved it in a file called letter from tom",
     "letter from tom"),
    ("file named tax return somewhere in my home folder", "tax return"),
    ("pdf called contract", "contract"),
    ("photos with holiday in the name", "holiday"),
])
def test_a_file_is_looked_for_by_what_it_is_called(words, query):
    assert file_query(words) == query
