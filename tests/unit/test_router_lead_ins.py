"""The router on wording around the request: polite lead-ins, a file name that names a file,
timers named inside longer sentences, what a value is said to be before it ("my email …"),
slots that only hold a path, or a few words, and edge phrases around screen text."""

from __future__ import annotations

import pytest
from router_support import routed, words_router

from assistant.agent.clauses import clauses_of
from assistant.agent.tokens import DURATION, tokens_of
from assistant.agent.value_masks import mask_values
from assistant.builtins.calculate import Calculate
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.convert import Convert
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.lists import AddToList, CompleteListItem, ReadList, RemoveFromList
from assistant.builtins.media import MediaPause, MediaPlay
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.screen import ClickOnScreen, FindOnScreen, ReadScreen
from assistant.builtins.timers import (
    CancelTimer,
    ChangeTimer,
    ListTimers,
    PauseTimer,
    ResumeTimer,
    SetTimer,
)

TOOLS = (SetTimer, ListTimers, CancelTimer, PauseTimer, ResumeTimer, ChangeTimer, AddToList,
         CompleteListItem, RemoveFromList, ReadList, ClipboardRead, ClipboardWrite, FindFiles,
         ReadFile, FindOnScreen, ClickOnScreen, ReadScreen, NotifyPhone, Calculate, Convert,
         MediaPause, MediaPlay)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.mark.parametrize(("said", "tool", "args"), [
    # polite lead-ins before the request
    ("would you be so kind as to read out my shopping list", "read_list",
     {"list": "shopping"}),
    ("I was wondering if you could pause the music", "media_pause", {}),
    # a file name with an extension is a file, not words on the screen
    ("where is report.docx", "find_files", {"query": "report.docx"}),
    ("where is the OK button", "find_on_screen", {"text": "OK"}),
    # a timer named where the examples say only "the timer"
    ("how long until the pasta timer goes off", "list_timers", {"label": "pasta"}),
    ("give the laundry timer 15 more minutes", "change_timer",
     {"seconds": 900, "label": "laundry"}),
    ("give me 10 extra minutes on the pizza timer", "change_timer",
     {"seconds": 600, "label": "pizza"}),
    # a path slot holds a path, not words
    ("read out the text on this page", "read_screen", {}),
    ("read out notes.md", "read_file", {"path": "notes.md"}),
])
def test_the_right_tool(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("put my email jane.doe@example.com on the clipboard", "clipboard_write",
     {"text": "jane.doe@example.com"}),
    ("please put text thank you for your order in clipboard", "clipboard_write",
     {"text": "thank you for your order"}),
    # said as an example is written: the comma stays in the value
    ("copy the address 12 Park Lane, London to my clipboard", "clipboard_write",
     {"text": "12 Park Lane, London"}),
    ("send the message dinner is ready to my phone", "notify_phone",
     {"text": "dinner is ready"}),
    ("press the submit button on the screen", "click_on_screen", {"text": "submit"}),
    ("click the sign in button", "click_on_screen", {"text": "sign in"}),
    ("1024 / 8 = ?", "calculate", {"expression": "1024 / 8"}),
    ("we don't need eggs anymore", "remove_from_list", {"item": "eggs"}),
    ("put on some jazz", "media_play", {"query": "jazz"}),
    ("search my documents folder for anything named tax", "find_files",
     {"query": "tax", "dir": "~/Documents"}),
    ("find the presentation about sales", "find_files", {"query": "sales"}),
])
def test_words_said_around_a_value_are_no_part_of_it(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "args"), [
    # a clause pointing back ("it", "them") still takes the other clause's value
    ("we need bread, add it to the shopping list", {"item": "bread", "list": "shopping"}),
    # "it" fills the example's slot, and stands for the item the other clause names
    ("renew passport is done, tick it off my to-do list",
     {"item": "renew passport", "list": "to-do"}),
])
def test_a_clause_pointing_back_still_wins(router, said, args):
    assert routed(router, said)[1] == args


def test_it_alone_names_no_item(router):
    match = router.route("tick it off my shopping list")
    assert (match.tool, match.args, match.missing) == ("complete_list_item",
                                                       {"list": "shopping"}, ("item",))


@pytest.mark.parametrize(("said", "args"), [
    ("tick the milk off my shopping list", {"item": "milk", "list": "shopping"}),
    ("cross the eggs off the list", {"item": "eggs"}),
])
def test_the_item_has_no_article(router, said, args):
    assert routed(router, said) == ("complete_list_item", args)


def test_more_minutes_is_a_duration_and_still_says_more():
    tokens = mask_values(tokens_of("give the timer 15 more minutes"))
    assert [t.text for t in tokens][-2:] == [DURATION, "more"]
    assert tokens[-2].value == 900


def test_clauses_are_split_at_commas_only_when_there_are_several():
    assert clauses_of("copy this") == []
    assert len(clauses_of("we need bread, add it to the list")) == 2
