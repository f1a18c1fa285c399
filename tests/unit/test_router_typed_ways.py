"""Ways people type a command that no example spells out (found on the third and fourth
tuning sets, dev3 and dev4): a number with no word before it, typed shorthand, a
"please" after the verb, a monitor or region said on top of a screen command, a reason
said after the request, a timer named by its length, its state or "call it …", a file
described rather than named, a sum said as a verb, a note with a comma in it, and a day
said in another clause."""

from __future__ import annotations

import pytest
from router_support import routed, words_router

from assistant.agent.intents.recognizer import SlotSources
from assistant.agent.loose_values import screen_target_said
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer
from assistant.builtins.calculate import Calculate
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.explain_error import CopyFixCommand, ExplainError
from assistant.builtins.files import FindFiles
from assistant.builtins.lists import AddToList, CompleteListItem
from assistant.builtins.media import MediaPrevious
from assistant.builtins.notes import TakeNote
from assistant.builtins.screen import ClickOnScreen, DescribeScreen, FindOnScreen, ReadScreen
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

TOOLS = (GetTime, GetDate, SetTimer, ListTimers, CancelTimer, PauseTimer, ResumeTimer,
         ChangeTimer, FindFiles, TakeNote, ClipboardWrite, CopyFixCommand, ExplainError,
         ReadScreen, DescribeScreen, FindOnScreen, ClickOnScreen, AddToList,
         CompleteListItem, SetVolume, ChangeVolume, GetWeather, Calculate, MediaPrevious)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a number needs no "to" before it, and "at twenty percent" is no time of day
    ("set volume 75", "set_volume", {"percent": 75}),
    ("put the sound at twenty percent", "set_volume", {"percent": 20}),
    # typed shorthand
    ("vol 30", "set_volume", {"percent": 30}),
    ("weather tmrw", "get_weather", {"day_offset": 1}),
    ("prev track", "media_previous", {}),
    # a "please" after the verb, a comparative in two words, a reason after the request
    ("click please on Next", "click_on_screen", {"text": "Next"}),
    ("make the sound more quiet", "change_volume", {"percent": -10}),
    ("volume to 15 so the baby stays asleep", "set_volume", {"percent": 15}),
])
def test_numbers_and_shorthand(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "where"), [
    ("read the text on monitor 2", "monitor:2"),
    ("what text is on the second screen", "monitor:2"),
    ("read the text in region 0,0,800,600", "region:0,0,800,600"),
    ("read screen monitor 1", "monitor:1"),
    ("read what is on display number 3", "monitor:3"),
    ("read the screen", None),
    ("set a timer for 2 minutes", None),  # a number is no monitor
])
def test_a_monitor_or_region_is_read_from_what_was_typed(said, where):
    assert screen_target_said(said) == where


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("read the text on monitor 2", "read_screen", {"target": "monitor:2"}),
    ("explain the error on monitor 2", "explain_error", {"target": "monitor:2"}),
    ("describe what is showing on the first monitor", "describe_screen",
     {"target": "monitor:1"}),
    ("right-click on Downloads", "click_on_screen", {"text": "Downloads", "button": 3}),
])
def test_where_on_the_screen_is_an_argument_not_extra_words(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a length between "the" and "timer" names a timer; to set one it is a length
    ("put the 10 minute timer on hold", "pause_timer", {"label": "10 minute"}),
    ("cancel the 5 minute timer", "cancel_timer", {"label": "5 minute"}),
    ("start the 10 minute timer", "set_timer", {"seconds": 600}),
    # its state is not its name, nor is "every"
    ("resume the paused tea timer", "resume_timer", {"label": "tea"}),
    ("delete every timer", "cancel_timer", {"all": True}),
    # "after all" says no "all"
    ("I won't need the bread timer after all, so please cancel the bread timer",
     "cancel_timer", {"label": "bread"}),
    # a name said apart from where the examples put it
    ("countdown 15 minutes, call it standup", "set_timer", {"seconds": 900, "label": "standup"}),
    ("timer for one hour, label it laundry", "set_timer",
     {"seconds": 3600, "label": "laundry"}),
    ("pause timer deploy", "pause_timer", {"label": "deploy"}),
    ("how much time does the egg timer still have", "list_timers", {"label": "egg"}),
])
def test_timers_named_by_length_or_state(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "args"), [
    ("where is the file named budget 2024", {"query": "budget 2024"}),
    ("look for any .jpg files in my Pictures folder", {"query": "*.jpg", "dir": "~/Pictures"}),
    ("find every file whose name contains 'contract'", {"query": "contract"}),
    ("is there a file named tax return somewhere in my home folder", {"query": "tax return"}),
])
def test_a_file_described_rather_than_named(router, said, args):
    assert routed(router, said) == ("find_files", args)


@pytest.mark.parametrize(("said", "expression"), [
    ("divide 100 by 8", "100 / 8"),
    ("multiply 6 by 7", "6 * 7"),
    ("what is the square root of 169", "square root of 169"),
])
def test_sums_said_as_a_verb_or_with_an_article(router, said, expression):
    assert routed(router, said) == ("calculate", {"expression": expression})


def test_a_verb_before_no_sum_is_no_sum(router):
    match = router.route("divide the cake by 8")
    assert match is None or match.tool != "calculate"


def test_a_comma_inside_a_note_keeps_the_whole_note(router):
    assert routed(router, "make a note: parking spot is level 3, row F") == \
        ("take_note", {"text": "parking spot is level 3, row F"})
    assert routed(router, "note: buy milk, eggs and bread") == \
        ("take_note", {"text": "buy milk, eggs and bread"})


def test_a_sentence_of_its_own_after_a_comma_is_still_cut_off(router):
    assert routed(router, "please check off toilet paper, I got some today") == \
        ("complete_list_item", {"item": "toilet paper"})


def test_a_day_said_in_another_clause_counts(router):
    assert routed(router, "day after tomorrow, what date is that") == \
        ("get_date", {"day_offset": 2})


def test_the_suggested_command_is_not_text_to_copy(router):
    assert routed(router, "copy the suggested command to the clipboard")[0] == \
        "copy_fix_command"
    assert routed(router, "copy this to the clipboard for me: order number 88213") == \
        ("clipboard_write", {"text": "order number 88213"})


@pytest.fixture(scope="module")
def intents():
    sources = SlotSources(list_names=lambda: ["shopping list"])
    return Understanding(Router([]), intent_recognizer(sources))


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("please put also bread in the shopping list", "add_to_list",
     {"item": "bread", "list": "shopping list"}),
    # Home Assistant's "the {minutes} minute timer" names a timer by its length
    ("could you pause the 20 minute timer, please", "pause_timer", {"label": "20 minute"}),
    ("cancel the 1 hour timer", "cancel_timer", {"label": "1 hour"}),
    # the kind of music is not its name; "from where it stopped" is carry on
    ("play please the song Bohemian Rhapsody", "media_play", {"query": "Bohemian Rhapsody"}),
    ("play again the music from where it stopped", "media_resume", {}),
    ("announce please that we leave in ten minutes", "broadcast",
     {"message": "we leave in ten minutes"}),
])
def test_home_assistant_sentences_said_these_ways(intents, said, tool, args):
    found = intents.understand(said, "en")
    assert found is not None, said
    assert (found.tool, found.args) == (tool, args)


@pytest.mark.parametrize("said", ["give me a timer", "make a timer", "put a timer on"])
def test_a_timer_with_neither_name_nor_length_asks_how_long(router, said):
    match = router.route(said)
    assert match is not None and match.tool == "set_timer"
    assert match.missing == ("seconds",) and "label" not in match.args
