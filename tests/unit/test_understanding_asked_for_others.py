"""Ways of asking found on the ninth tuning set (dev9, session 18): for someone else ("she
wants to know …"), as a wish in the past tense ("I'd love it if you reminded me …"), with
a label before a colon ("copy the wifi password to the clipboard: flatwhite22"), a thing
"put … on" for a reason, a story naming what "it" is ("pbs arrived this morning, check it
off"), "there" for a place named before, a level said with "to" (not "by"), "stop the
timer for a moment" (a pause), and "leave it" (never mind)."""

from __future__ import annotations

import pytest
from router_support import understanding_over, understood, words_router

from assistant.agent.slots import spoken_folder
from assistant.agent.tokens import verb_of, verb_of_past
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.convert import Convert
from assistant.builtins.explain_error import ExplainError
from assistant.builtins.files import FindFiles
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.media import MediaNext, MediaPlay, MediaPrevious
from assistant.builtins.notes import TakeNote
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import ClickOnScreen, FindOnScreen
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

TOOLS = (Broadcast, ClipboardWrite, Convert, ExplainError, FindFiles, AddToList,
         CompleteListItem, ReadList, RemoveFromList, MediaNext, MediaPlay, MediaPrevious,
         TakeNote, SetReminder, ClickOnScreen, FindOnScreen, CancelTimer, ChangeTimer,
         ListTimers, PauseTimer, ResumeTimer, SetTimer, ChangeVolume, SetVolume, GetWeather)


@pytest.fixture(scope="module")
def understanding():
    return understanding_over(words_router(TOOLS))


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a request said as a wish, in the past tense, or as "I'm requesting you to"
    ("I'd love it if you converted 12 inches to centimeters for me", "convert",
     {"value": 12, "from_unit": "inches", "to_unit": "centimeters"}),
    ("I'd love it if you reminded me in an hour to take the bread out of the freezer",
     "set_reminder", {"text": "take the bread out of the freezer", "seconds": 3600}),
    ("I'm requesting you to add buy KPLC tokens to my to-do list", "add_to_list",
     {"item": "buy KPLC tokens", "list": "to-do"}),
    ("would you mind adding milk to the shopping list", "add_to_list",
     {"item": "milk", "list": "shopping"}),
    ("is it possible to see how much time is left on the laundry timer?", "list_timers",
     {"label": "laundry"}),
    ("Kindly remind me to take medicine after 2 hours.", "set_reminder",
     {"text": "take medicine", "seconds": 7200}),
    # what is copied or announced follows a colon; what came before names it
    ("copy my gas safe number to the clipboard: 584213", "clipboard_write",
     {"text": "584213"}),
    ("copy the customer wifi password to the clipboard: flatwhite22", "clipboard_write",
     {"text": "flatwhite22"}),
    ("broadcast this: off out on an emergency callout, back by six", "broadcast",
     {"message": "off out on an emergency callout, back by six"}),
    ("announce to the shop: card machine's down, cash only for now", "broadcast",
     {"message": "card machine's down, cash only for now"}),
    # a note dictated after a colon keeps every clause
    ("Make a note: plumber is coming on Thursday, he charges 2500 shillings", "take_note",
     {"text": "plumber is coming on Thursday, he charges 2500 shillings"}),
    # music "put … on", and why
    ("put some nina simone on for the lunch crowd", "media_play", {"query": "nina simone"}),
    ("stick some fleetwood mac on while i do the paperwork", "media_play",
     {"query": "fleetwood mac"}),
    # "it" named by a story around it
    ("Leo's been begging for the Frozen soundtrack all morning, could you put it on for him",
     "media_play", {"query": "frozen soundtrack"}),
    ("pbs arrived this morning, check it off the order list", "complete_list_item",
     {"item": "pbs", "list": "order"}),
    ("The weeding project is finally finished, so please check it off my to-do list.",
     "complete_list_item", {"item": "weeding project", "list": "to-do"}),
    ("picked up the compression fittings at the merchants, tick them off the van list",
     "complete_list_item", {"item": "compression fittings", "list": "van"}),
    ("got the bread from the co-op, tick it off", "complete_list_item", {"item": "bread"}),
    # a clause torn between two tools is still the request: the agent asks which
    ("Maisie says she can't stand this song, skip to the next one please", "media_next", {}),
    # "there" is the place named before
    ("I am travelling to Edinburgh for a conference; what is the weather like there?",
     "get_weather", {"location": "Edinburgh"}),
    ("I want to know weather of Bangkok for tomorrow.", "get_weather",
     {"location": "Bangkok", "day_offset": 1}),
    # a level said with "to", a change with "by"
    ("Reduce the volume to 15 percent, the baby is sleeping", "set_volume", {"percent": 15}),
    ("turn it down to 20", "set_volume", {"percent": 20}),
    ("turn it down by 20", "change_volume", {"percent": -20}),
    ("lower the volume by 10", "change_volume", {"percent": -10}),
    # timers
    ("Please stop the timer for a moment, someone is knocking the door.", "pause_timer", {}),
    ("stop the pasta timer", "cancel_timer", {"label": "pasta"}),
    ("could you give me a 10 minute countdown for my face mask?", "set_timer",
     {"seconds": 600, "label": "face mask"}),
    ("set a timer for 3 minutes for me tea, ta", "set_timer", {"seconds": 180, "label": "tea"}),
    # where on the screen: the text ends at "button" or "appears"
    ("hit the accept button on the load board", "click_on_screen", {"text": "accept"}),
    ("Please find where the word Renew appears on the screen.", "find_on_screen",
     {"text": "Renew"}),
    # a folder's name ends at "folder"
    ("find all the pdfs in my Documents folder, looking for an invoice", "find_files",
     {"query": "*.pdf", "dir": "~/Documents"}),
    ("Could you find the file called overdue notices in my Documents folder?", "find_files",
     {"query": "overdue notices", "dir": "~/Documents"}),
    ("find report.pdf in the folder called projects", "find_files",
     {"query": "report.pdf", "dir": "~/projects"}),
])
def test_what_is_asked(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


@pytest.mark.parametrize("said", [
    "Leave it, I will do it myself", "actually, could you just forget I asked?", "leave it",
    "don't bother, I found it",
])
def test_leave_it_ends_the_turn_quietly(understanding, said):
    assert understood(understanding, said) == (None, {})


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("leave it on the list", "add_to_list", {"item": "leave it"}),  # no never mind
    ("check it off", "complete_list_item", {}),  # which item is asked, "it" is no item
    ("put some carry on wayward son on", "media_play", {"query": "carry on wayward son"}),
    ("click the OK button", "click_on_screen", {"text": "OK"}),
    ("copy this to the clipboard for me: order number 88213", "clipboard_write",
     {"text": "order number 88213"}),
    ("broadcast this is a test", "broadcast", {"message": "this is a test"}),
])
def test_rules_that_do_not_misfire(understanding, said, tool, args):
    assert understood(understanding, said) == (tool, args)


@pytest.mark.parametrize(("past", "verb"), [
    ("reminded", "remind"), ("converted", "convert"), ("paused", "pause"),
    ("stopped", "stop"), ("added", "add"), ("copied", "copy"), ("told", "tell"),
    ("played", "play"), ("set", "set"), ("open", None),
])
def test_the_verb_of_a_past_tense(past, verb):
    assert verb_of_past(past) == verb


@pytest.mark.parametrize(("said", "folder"), [
    ("my documents folder, looking for an invoice", "~/Documents"),
    ("the folder called projects", "~/projects"), ("home", "~"), ("downloads", "~/Downloads"),
])
def test_a_folder_said_in_words(said, folder):
    assert spoken_folder(said) == folder


def test_adding_is_add():
    assert verb_of("adding") == "add" and verb_of("setting") == "set"
