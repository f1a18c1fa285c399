"""Ways people type a command found on the fifth tuning set (dev5, session 15): words in
quotes as one value, a sentence or clause said beside the request ("It helps me
concentrate."), a polite ending after a value, "never mind" said other ways, a timer
named by what it is for, a path or a number said away from where the example puts it,
"too loud", times said as "half past six", days as "a fortnight from now", casual verbs
("throw oat milk on the list"), and a refused tool leaving the route to the others."""

from __future__ import annotations

import pytest
from router_support import routed, understanding_over, words_router

from assistant.agent.asides import without_asides
from assistant.agent.numbers import find_clock_time_in, tokenize
from assistant.agent.router import Router
from assistant.agent.tokens import tokens_of
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.clock import GetDate, find_day_offset_in
from assistant.builtins.explain_error import CopyFixCommand
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.lists import AddToList, CompleteListItem, RemoveFromList
from assistant.builtins.media import MediaPlay
from assistant.builtins.notes import ListNotes
from assistant.builtins.screen import ClickOnScreen, FindOnScreen, ListControls
from assistant.builtins.timers import CancelTimer, SetTimer
from assistant.builtins.volume import ChangeVolume, SetVolume

TOOLS = (GetDate, FindFiles, ReadFile, AddToList, CompleteListItem, RemoveFromList, MediaPlay,
         ListNotes, ClickOnScreen, FindOnScreen, ListControls, CancelTimer, SetTimer,
         ChangeVolume, SetVolume, ClipboardWrite, CopyFixCommand)


@pytest.fixture(scope="module")
def router():
    return words_router(TOOLS)


@pytest.fixture(scope="module")
def understanding(router):
    return understanding_over(router)


def test_words_in_quotes_are_one_token_but_an_apostrophe_is_no_quote():
    assert [(t.text, t.kind) for t in tokens_of("find 'Run workflow' now")] == \
        [("find", "word"), ("run workflow", "quoted"), ("now", "word")]
    said = tokens_of("the kids' toys and 'don't stop'")
    assert [t.text for t in said if t.kind == "quoted"] == ["don't stop"]
    assert "kids" in [t.text for t in said]
    # a whole request in quotes is still a request, not one value
    assert all(t.kind == "word" for t in tokens_of("'set a timer'"))


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("find 'next' in the active window", "find_on_screen", {"text": "next", "target": "active"}),
    ("right-click 'main.py'", "click_on_screen", {"text": "main.py", "button": 3}),
])
def test_the_quoted_words_are_the_value(router, said, tool, args):
    assert routed(router, said) == (tool, args)


def test_a_screen_place_is_no_folder_to_search(router):
    match = router.route("locate 'Run workflow' in the active window")
    assert match is None or match.tool != "find_files"


@pytest.mark.parametrize(("said", "asked"), [
    ("Would you please play Kind of Blue? It helps me concentrate while I read.",
     "Would you please play Kind of Blue?"),
    ("My eyes are tired. Please read this to me.", "Please read this to me."),
    ("Cross off milk from the to-do list, I did it already",
     "Cross off milk from the to-do list"),
    # a clause that names the thing is no aside; after a story, "so" + a verb is the request
    ("where's my essay file, it's called history essay",
     "where's my essay file, it's called history essay"),
    ("My memory isn't what it used to be, so please write a note", "please write a note"),
    ("the kids are in the bath so put a 15 minute timer on", "put a 15 minute timer on"),
    ("turn it down so the baby can sleep", "turn it down so the baby can sleep"),
    ("would you be so kind as to read this", "would you be so kind as to read this"),
    ("remind me at 3 p.m. tomorrow", "remind me at 3 p.m. tomorrow"),
    ("\f", "\f"),  # only white space (an API client sent it): nothing to set apart
])
def test_asides_are_set_apart_from_the_request(said, asked):
    assert without_asides(said, "en") == asked
    assert without_asides(said, "de") == said


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("Would you please play Kind of Blue? It helps me concentrate while I read.",
     "media_play", {"query": "Kind of Blue"}),
    ("Cross off call the dentist from to-do list, I did it already", "complete_list_item",
     {"item": "call the dentist", "list": "to-do"}),
    ("Put on Abbey Road, would you", "media_play", {"query": "Abbey Road"}),
    ("Play the album OK Computer.", "media_play", {"query": "OK Computer"}),
    ("Please play for me the song Despacito", "media_play", {"query": "Despacito"}),
    ("Play music of Lata Mangeshkar", "media_play", {"query": "Lata Mangeshkar"}),
])
def test_the_request_without_what_was_said_around_it(understanding, said, tool, args):
    found = understanding.understand(said, "en")
    assert found is not None, said
    assert (found.tool, found.args) == (tool, args)


def test_what_was_understood_without_the_aside_is_reported(understanding):
    said = "Would you please play Kind of Blue? It helps me concentrate while I read."
    found = understanding.understand(said, "en")
    assert found is not None and found.tried[0]["request"] == "Would you please play Kind of Blue?"
    assert understanding.tried(said, "en")[0]["request"] == found.tried[0]["request"]
    assert "request" not in understanding.understand("play Kind of Blue", "en").tried[0]


@pytest.mark.parametrize("said", ["forget it", "Oh, forget it, it doesn't matter any more.",
                                  "nvm", "Disregard that request.", "never mind"])
def test_never_mind_said_other_ways_ends_the_turn_quietly(understanding, said):
    found = understanding.understand(said, "en")
    assert found is not None and found.tool is None and found.reply == "", said


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("yo set a 10 min timer for my laundry", "set_timer", {"seconds": 600, "label": "laundry"}),
    ("Delete the timer for pasta please", "cancel_timer", {"label": "pasta"}),
    ("Set a countdown timer for 2 hours.", "set_timer", {"seconds": 7200}),
    ("what does the file say ~/notes.txt", "read_file", {"path": "~/notes.txt"}),
    ("bump the volume up by 30", "change_volume", {"percent": 30}),
    ("make it quieter by 5", "change_volume", {"percent": -5}),
    ("make it louder, by 15", "change_volume", {"percent": 15}),
    ("This is far too loud for me.", "change_volume", {"percent": -10}),
    ("Could you read me my three most recent notes, please?", "list_notes", {"limit": 3}),
    ("List all buttons, checkboxes and drop-downs on monitor 2.", "list_controls",
     {"target": "monitor:2"}),
])
def test_values_said_away_from_where_the_example_puts_them(router, said, tool, args):
    assert routed(router, said) == (tool, args)


@pytest.mark.parametrize(("said", "hhmm"), [
    ("remind me at half past six this evening", "18:30"),
    ("at quarter to eight in the morning", "07:45"),
    ("at twenty to 12", "11:40"),
    ("ten minutes past nine", "09:10"),
    ("count from five to ten", None),  # numbers, not a time
    ("set a timer for half an hour", None),
])
def test_a_time_said_past_or_to_the_hour(said, hhmm):
    found = find_clock_time_in(tokenize(said))
    assert (found.hhmm if found else None) == hhmm


@pytest.mark.parametrize(("said", "days"), [
    ("what's the date a fortnight from now", 14),
    ("the forecast for seattle three days out", 3),
    ("in two weeks", 14),
])
def test_days_said_as_fortnights_or_days_out(said, days):
    found = find_day_offset_in(tokenize(said))
    assert found is not None and found.days == days


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("throw oat milk on the shopping list", "add_to_list",
     {"item": "oat milk", "list": "shopping"}),
    ("timer 15 min iv check", "set_timer", {"seconds": 900, "label": "iv check"}),
    ("vol up 20", "change_volume", {"percent": 20}),
    ("set the volume to exactly 50 percent", "set_volume", {"percent": 50}),
    ("search for files with name Lebenslauf", "find_files", {"query": "lebenslauf"}),
    ("look for files matching *.mp4 in Videos", "find_files",
     {"query": "*.mp4", "dir": "~/Videos"}),
])
def test_casual_verbs_terse_names_and_described_files(router, said, tool, args):
    assert routed(router, said) == (tool, args)


def test_a_refused_tool_leaves_the_route_to_the_others(router):
    # clipboard_write refuses "the command you suggested …": the others are scored anew
    said = "copy the fix you suggested to the clipboard please"
    assert routed(router, said) == ("copy_fix_command", {})


def test_a_delayed_broadcast_said_with_a_colon_is_said_now(understanding):
    found = understanding.understand("broadcast: meeting starts in five minutes", "en")
    assert found is not None and (found.tool, found.args) == (
        "broadcast", {"message": "meeting starts in five minutes"})


def test_a_router_without_the_tool_still_says_no(router):
    assert Router([]).route("bump the volume up by 30") is None
