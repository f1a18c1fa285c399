"""The router's mechanisms for sentences worded unlike any example: a request in one
clause of a longer sentence ("it" there naming what another clause said), politeness
around a value, a value that names another tool's command, day words, a level said in
words, words said around what is on the screen, and the arrays that bound the work."""

from __future__ import annotations

import pytest
from router_support import routed, words_router

from assistant.agent.align import Item
from assistant.agent.bounds import Bounds, WordIndex
from assistant.agent.numbers import find_clock_time_in
from assistant.agent.tokens import tokens_of
from assistant.agent.value_masks import mask_values
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.files import FindFiles
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.notes import ListNotes, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import ClickOnScreen, FindOnScreen
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.builtins.volume import ChangeVolume, MuteAudio, SetVolume
from assistant.builtins.weather import GetWeather

TOOLS = (GetTime, GetDate, SetTimer, ListTimers, CancelTimer, SetReminder, OpenApp, OpenUrl,
         FindFiles, TakeNote, ListNotes, ClipboardRead, ClipboardWrite, NotifyPhone,
         FindOnScreen, ClickOnScreen, AddToList, CompleteListItem, RemoveFromList, ReadList,
         SetVolume, ChangeVolume, MuteAudio, GetWeather)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.mark.parametrize(("said", "tool", "args"), [
    # the request is the second clause; "it" is what the first one named
    ("we are out of coffee, put it on the office list", "add_to_list",
     {"item": "coffee", "list": "office"}),
    ("I have bought the batteries, tick them off my camping list", "complete_list_item",
     {"item": "batteries", "list": "camping"}),
    # the request is the first clause; the second is only said around it
    ("add oat milk to the shopping list, we have none left", "add_to_list",
     {"item": "oat milk", "list": "shopping"}),
    ("I am writing a letter, open libreoffice writer", "open_app",
     {"name": "libreoffice writer"}),
])
def test_the_request_is_one_clause_of_the_sentence(router, said, tool, args):
    assert routed(router, said) == (tool, args)


def test_words_of_another_clause_still_turn_the_volume_down(router):
    assert routed(router, "it is too loud, quieter") == ("change_volume", {"percent": -10})


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("copy hello world to the clipboard for me please", "clipboard_write",
     {"text": "hello world"}),
    ("open gimp for me if you don't mind", "open_app", {"name": "gimp"}),
    ("please launch the program inkscape", "open_app", {"name": "inkscape"}),
])
def test_politeness_is_no_part_of_a_value(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("set the clipboard to ssh-keygen -t ed25519", "clipboard_write",
     {"text": "ssh-keygen -t ed25519"}),
    ("send my phone a reminder to water the plants", "notify_phone",
     {"text": "water the plants"}),
    ("read me my newest note", "list_notes", {"limit": 1}),
    ("show me the latest 4 notes", "list_notes", {"limit": 4}),
    ("put the volume on half", "set_volume", {"percent": 50}),
    ("remind me at 9 o'clock in the evening to lock the shed", "set_reminder",
     {"text": "lock the shed", "at": "21:00"}),
    ("browse to example.org/news/today", "open_url", {"url": "example.org/news/today"}),
    ("click the Continue button", "click_on_screen", {"text": "Continue"}),
    ("find the word unsubscribe on the screen", "find_on_screen",
     {"text": "unsubscribe"}),
])
def test_values_said_many_ways(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "days"), [
    ("what's the forecast for tomorrow", 1),
    ("what's the forecast for the day after tomorrow", 2),
    ("will it rain tomorrow", 1),
])
def test_a_day_is_never_the_place_of_a_forecast(router, said, days):
    assert routed(router, said) == ("get_weather", {"day_offset": days})


def test_a_value_that_names_another_command_is_no_app(router):
    # "bring up the {name}" must not take a request for notes as an app's name
    def open_app(said):
        return next(s.score for s in router.scores(said) if s.tool == "open_app")
    assert open_app("bring up the notes") < open_app("bring up the gimp")


def test_a_timer_may_be_called_by_a_command_word(router):
    assert routed(router, "set a reminder timer for five minutes") == (
        "set_timer", {"seconds": 300, "label": "reminder"})


def test_part_of_the_day_sets_the_hour():
    assert find_clock_time_in("at 7 in the morning".split()).hhmm == "07:00"
    assert find_clock_time_in("at 6 tonight".split()).hhmm == "18:00"
    assert find_clock_time_in("at 3 pm in the afternoon".split()).hhmm == "15:00"


def test_array_bounds_never_fall_below_the_score(router):
    # the router aligns only the examples whose bound can matter: a bound below the real
    # score would hide the right example
    from assistant.agent.align import align
    templates = router._templates
    bounds = Bounds([t.items for t in templates])
    index = WordIndex([it.text for t in templates for it in t.items if not it.slot_kind])
    for said in ("we are out of coffee, put it on the list", "set a timer for 5 minutes",
                 "what's the forecast for tomorrow in leeds", "mute"):
        tokens = mask_values(tokens_of(said))
        costs = [router._insert_cost(t) for t in tokens]
        upper = bounds.upper(tokens, costs, index)
        for t, bound in zip(templates, upper, strict=True):
            assert align(t.items, tokens, costs, None, t.typed).score <= bound + 1e-9


def test_bounds_of_a_typed_slot_example():
    items = [(Item("remind", 2.0), Item("me", 0.3), Item("seconds", 1.5, "duration"))]
    index = WordIndex(["remind", "me"])
    said = mask_values(tokens_of("remind me 5 minutes"))
    assert Bounds(items).upper(said, [0.5] * len(said), index)[0] == pytest.approx(1.0)
    said = mask_values(tokens_of("remind me"))
    bound = Bounds(items).upper(said, [0.5] * len(said), index)[0]
    assert bound == pytest.approx((2.0 + 0.3 + 1.5 * 0.4) / 3.8)
