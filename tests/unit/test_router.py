import dataclasses
from pathlib import Path

import pytest

from assistant.agent.router import Router
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.companion.outbox import Outbox
from assistant.scheduling.reminder_store import ReminderStore
from assistant.storage import Storage


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


# -- misrecognitions, typed slots, ambiguity (lexical side; MiniLM is in
#    tests/integration/test_router_embeddings.py) ------------------------------------------

@pytest.fixture(scope="module")
def full_router(tmp_path_factory):
    return Router(all_manifests(tmp_path_factory.mktemp("router")))


def all_manifests(tmp: Path):
    storage = Storage(tmp / "heron.db")
    notes = NoteStore(storage)
    tools = (GetTime(), GetDate(), SetTimer(None), ListTimers(None), CancelTimer(None),
             SetReminder(ReminderStore(storage)), OpenApp(), OpenUrl(), FindFiles(),
             ReadFile(), TakeNote(notes), ListNotes(notes), ClipboardRead(),
             ClipboardWrite(), NotifyPhone(Outbox(storage)))
    return [t.manifest for t in tools]


@pytest.mark.parametrize("text,tool,args", [
    ("set a time for 5 minutes", "set_timer", {"seconds": 300}),
    ("what's the thyme", "get_time", {}),
    ("what tim is it", "get_time", {}),
    ("what's the date to day", "get_date", {}),
    ("cancel the tee timer", "cancel_timer", {"label": "tee"}),
    ("list my timer", "list_timers", {}),
    ("open fire fox", "open_app", {"name": "fire fox"}),
    ("launch spotify", "open_app", {"name": "spotify"}),
    ("go to https://example.com/docs?page=2.", "open_url",
     {"url": "https://example.com/docs?page=2"}),
    ("read the file ~/notes.txt", "read_file", {"path": "~/notes.txt"}),
    ("remind me to call Sam in ten minutes", "set_reminder",
     {"text": "call Sam", "seconds": 600}),
    ("remind me at 6 p.m. to take out the trash", "set_reminder",
     {"text": "take out the trash", "at": "18:00"}),
    ("remind me to stretch at 15:30", "set_reminder", {"text": "stretch", "at": "15:30"}),
    ("make a note that the wifi password changed", "take_note",
     {"text": "the wifi password changed"}),
    ("copy hello world to the clipboard", "clipboard_write", {"text": "hello world"}),
])
def test_misheard_and_slotted_commands_route(full_router, text, tool, args):
    match = full_router.route(text)
    assert match is not None, text
    assert (match.tool, match.args, match.ambiguous) == (tool, args, ())


@pytest.mark.parametrize("text", [
    "what is the capital of France", "tell me a joke", "how do I cook rice",
    "who is the president of the united states", "delete all my files",
    "write me a poem about cats", "what time does the store close", "call mom",
])
def test_open_questions_are_left_for_the_llm(full_router, text):
    assert full_router.route(text) is None, full_router.scores(text)[:2]


def test_a_value_is_not_taken_from_little_words(full_router):
    match = full_router.route("remind me in five minutes")
    assert (match.tool, match.args, match.missing) == ("set_reminder", {"seconds": 300},
                                                      ("text",))


def test_unsure_between_tools_that_change_things_is_ambiguous(full_router):
    match = full_router.route("set a timer reminder for five minutes")
    assert set(match.ambiguous) == {"set_timer", "set_reminder"}
    assert match.ambiguous[0] == match.tool
    other = match.alternatives[0]
    assert other.tool == match.ambiguous[1] and other.args["seconds"] == 300


def test_unsure_between_read_only_tools_just_picks_the_best(tmp_path):
    read_only = [dataclasses.replace(m, effects="read") for m in all_manifests(tmp_path)]
    match = Router(read_only).route("set a timer reminder for five minutes")
    assert match.tool in ("set_timer", "set_reminder") and match.ambiguous == ()


def test_an_example_said_as_written_is_never_ambiguous(full_router):
    match = full_router.route("set a reminder timer for five minutes")
    assert (match.tool, match.ambiguous) == ("set_timer", ())


def test_update_swaps_the_tool_set_in_place(tmp_path):
    router = Router([GetTime.manifest])
    assert router.route("take a note buy milk") is None
    router.update(all_manifests(tmp_path))
    assert router.route("take a note buy milk").args == {"text": "buy milk"}
