"""The router on everyday phrasings of the tools Home Assistant has no intent for (apps,
files, notes, phone, clipboard, screen, camera), with the slot values a user would
expect to be acted on; and the invariants that keep it right while it skips work."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agent.align import align
from assistant.agent.bounds import WordIndex, upper_bounds
from assistant.agent.router import Router
from assistant.agent.tokens import tokens_of
from assistant.agent.value_masks import mask_values
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.camera import CameraSnapshot, ScanQr, WhoIsThere
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.explain_error import CopyFixCommand, ExplainError, FixMemory
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.read_aloud import ReadAloud
from assistant.builtins.reminders import SetReminder
from assistant.builtins.screen import ClickOnScreen, DescribeScreen, FindOnScreen, ReadScreen
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.companion.outbox import Outbox
from assistant.scheduling.reminder_store import ReminderStore
from assistant.storage import Storage
from assistant.tools.manifest import ToolManifest


def manifests(tmp: Path) -> list[ToolManifest]:
    storage = Storage(tmp / "heron.db")
    notes = NoteStore(storage)
    tools = (GetTime(), GetDate(), SetTimer(None), ListTimers(None), CancelTimer(None),
             SetReminder(ReminderStore(storage)), OpenApp(), OpenUrl(), FindFiles(),
             ReadFile(), TakeNote(notes), ListNotes(notes), ClipboardRead(),
             ClipboardWrite(), NotifyPhone(Outbox(storage)), ReadScreen(None),
             DescribeScreen(None), FindOnScreen(None), ClickOnScreen(None),
             ExplainError(None), CopyFixCommand(FixMemory()), ReadAloud(None), CameraSnapshot(),
             ScanQr(None),
             WhoIsThere())
    return [t.manifest for t in tools]


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    return Router(manifests(tmp_path_factory.mktemp("paraphrases")))


@pytest.mark.parametrize("text,tool,args", [
    # the slips
    ("send a note to my phone saying buy milk", "notify_phone", {"text": "buy milk"}),
    ("send a message to my phone saying I'm on my way", "notify_phone",
     {"text": "I'm on my way"}),
    ("set an egg timer for 7 minutes", "set_timer", {"seconds": 420, "label": "egg"}),
    ("fire up the web browser", "open_app", {"name": "web browser"}),
    ("look for my CV in documents", "find_files", {"query": "cv", "dir": "~/Documents"}),
    # files
    ("search my files for invoice", "find_files", {"query": "invoice"}),
    ("where is my tax return file", "find_files", {"query": "tax return"}),
    ("search downloads for the installer", "find_files",
     {"query": "installer", "dir": "~/Downloads"}),
    ("find all my pdfs", "find_files", {"query": "*.pdf"}),
    ("look for the budget in my projects folder", "find_files",
     {"query": "budget", "dir": "~/projects"}),
    ("could you read out readme.md", "read_file", {"path": "readme.md"}),
    ("can you find the budget spreadsheet", "find_files", {"query": "budget"}),
    # notes
    ("jot down call the plumber", "take_note", {"text": "call the plumber"}),
    ("make a note that the meeting moved to friday", "take_note",
     {"text": "the meeting moved to friday"}),
    ("what did I write down", "list_notes", {}),
    ("what were my last 5 notes", "list_notes", {"limit": 5}),
    # clipboard, screen, camera, web
    ("copy this to my clipboard: meeting at noon", "clipboard_write",
     {"text": "meeting at noon"}),  # a time inside a text is text
    # after "what does this error say": the suggested command, never a literal "that"
    ("copy the command", "copy_fix_command", {}),
    ("ok copy that command please", "copy_fix_command", {}),
    ("copy hello world to the clipboard", "clipboard_write", {"text": "hello world"}),
    ("click sign in", "click_on_screen", {"text": "sign in"}),
    ("click the ok button", "click_on_screen", {"text": "ok"}),
    ("read this window", "read_screen", {"target": "active"}),
    ("read this to me", "read_aloud", {}),
    ("start reading from once upon a time", "read_aloud", {"from": "once upon a time"}),
    ("scan the barcode with the webcam", "scan_qr", {"source": "camera"}),
    ("browse to lwn.net for me", "open_url", {"url": "lwn.net"}),
    ("is anyone in the room", "who_is_there", {}),
])
def test_everyday_phrasings_route_with_their_values(router, text, tool, args):
    match = router.route(text)
    assert match is not None, (text, router.scores(text)[:2])
    assert (match.tool, match.args, match.ambiguous) == (tool, args, ())


def test_an_example_made_of_slots_does_not_fit_every_sentence(tmp_path):
    convert = ToolManifest(
        name="convert", title="Convert", builtin=True, description="units",
        input_schema={"type": "object", "required": ["value", "from_unit", "to_unit"],
                      "properties": {"value": {"type": "number", "x-slot": "number"},
                                     "from_unit": {"type": "string", "x-slot": "text"},
                                     "to_unit": {"type": "string", "x-slot": "text"}}},
        examples=("{value} {from_unit} in {to_unit}", "convert {value} {from_unit} to {to_unit}"))
    router = Router([*manifests(tmp_path), convert])
    assert router.route("save a note saying the dentist number is in my email").tool == \
        "take_note"
    assert router.route("who is in front of the webcam").tool == "who_is_there"
    match = router.route("convert 5 miles to kilometers")
    assert (match.tool, match.args) == ("convert", {"value": 5, "from_unit": "miles",
                                                    "to_unit": "kilometers"})


def test_words_said_anywhere_set_an_argument():
    """x-true-when-said, x-negative-when-said and x-words in a tool's schema."""
    tool = ToolManifest(
        name="adjust", title="Adjust", builtin=True, description="test",
        input_schema={"type": "object", "properties": {
            "seconds": {"type": "integer", "x-slot": "duration",
                        "x-negative-when-said": ["off", "remove"]},
            "all": {"type": "boolean", "x-true-when-said": ["all", "every"]},
            "where": {"type": "string", "x-words": {"kitchen": ["kitchen", "cooker"]}}}},
        examples=("add {seconds} to the timer", "take {seconds} off the timer",
                  "add {seconds} to the timers in the kitchen"))
    router = Router([tool])
    assert router.route("take 2 minutes off the timer").args == {"seconds": -120}
    assert router.route("add 2 minutes to all the timers in the kitchen").args == \
        {"seconds": 120, "all": True, "where": "kitchen"}


def test_a_day_is_a_typed_value(tmp_path):
    router = Router([GetDate.manifest, GetTime.manifest])
    assert router.route("what's the date tomorrow").args == {"day_offset": 1}
    assert router.route("what day was it yesterday").args == {"day_offset": -1}
    assert router.route("what is today's date").args == {}


UTTERANCES = [
    "set a timer for five minutes", "hey jarvis what's the thyme", "open fire fox",
    "send a note to my phone saying buy milk", "look for my CV in documents",
    "remind me at 6 p.m. to take out the trash", "what is the capital of france",
    "copy meeting at noon to the clipboard", "take a note buy milk tomorrow",
    "set a timer reminder for five minutes", "click sign in", "go to https://example.com",
]


@pytest.mark.parametrize("text", UTTERANCES)
def test_no_example_scores_above_its_bound(tmp_path, text):
    """The router aligns only the examples whose upper bound can still matter: the
    bound must never be below the real score, or a right answer could be skipped."""
    router = Router(manifests(tmp_path))
    tokens = mask_values(tokens_of(text))
    costs = [router._insert_cost(t) for t in tokens]
    items = [t.items for t in router._templates]
    index = WordIndex([it.text for its in items for it in its if not it.slot_kind])
    for its, bound in zip(items, upper_bounds(items, tokens, costs, index), strict=True):
        assert align(its, tokens, costs).score <= bound + 1e-9, [i.text for i in its]


@pytest.mark.parametrize("text", UTTERANCES)
def test_skipping_examples_gives_the_same_ranking(router, text):
    full = router.scores(text)  # every example aligned
    match = router.route(text)
    if full[0].score < router.threshold:
        assert match is None
    else:
        assert match is not None and match.tool in {s.tool for s in full[:2]}
        assert match.score in {round(s.score, 4) for s in full[:2]}


SUMS = ["what is (4 + 6) * 3", "what's 7 times 8", "15 percent of 80", "what's the weather",
        "set the volume to 50%", "remind me to take 2 pills 3 times a day"]


@pytest.mark.parametrize("text", SUMS)
def test_a_sum_slot_keeps_the_bounds(tmp_path, text):
    """{expression} (numbers and an operator only) and arithmetic signs as tokens: the
    skipped examples' bounds still hold, and "what is" alone is no sum."""
    from assistant.builtins.calculate import Calculate

    router = Router([*manifests(tmp_path), Calculate.manifest])
    tokens = mask_values(tokens_of(text))
    costs = [router._insert_cost(t) for t in tokens]
    items = [t.items for t in router._templates]
    index = WordIndex([it.text for its in items for it in its if not it.slot_kind])
    for its, bound in zip(items, upper_bounds(items, tokens, costs, index), strict=True):
        assert align(its, tokens, costs).score <= bound + 1e-9, [i.text for i in its]
    match = router.route(text)
    is_sum = text.startswith(("what is (", "what's 7", "15"))
    assert (match is not None and match.tool == "calculate") == is_sum, (text, match)


def test_arithmetic_signs_are_tokens_and_paths_stay_paths():
    assert [t.text for t in tokens_of("(4 + 6) * 3 - 1 / 2")] == \
        ["(", "4", "+", "6", ")", "*", "3", "-", "1", "/", "2"]
    assert [(t.text, t.kind) for t in tokens_of("open /etc/hosts")] == \
        [("open", "word"), ("/etc/hosts", "path")]
    assert [t.text for t in tokens_of("read my to-do list")] == ["read", "my", "todo", "list"]
    assert [t.text for t in tokens_of("what do I have to do")][-2:] == ["to", "do"]
