"""Named lists on a real database through the real registry: items added once, checked
off and removed as people say them ("egg" for "eggs", a misheard "bred"), lists read
back in order, and a list kept apart from notes."""

from __future__ import annotations

import pytest
from builtin_support import run

from assistant.agent.router import Router
from assistant.audit import AuditLog
from assistant.builtins.list_store import ListStore, normalise_list_name
from assistant.builtins.lists import list_tools
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry


@pytest.fixture
def lists(storage):
    return ListStore(storage)


@pytest.fixture
def registry(storage, lists):
    reg = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32))
    for tool in list_tools(lists):
        reg.register(tool)
    return reg


def call(registry, tool, **args):
    return run(registry.call(ToolCall(tool, args, source="voice")))


def say(registry, tool, **args):
    outcome = call(registry, tool, **args)
    assert outcome.status == "ok", outcome
    return outcome.result["speech"]


@pytest.mark.parametrize(("said", "name"), [
    (None, "shopping list"), ("", "shopping list"), ("shopping", "shopping list"),
    ("Shopping List", "shopping list"), ("my shopping list", "shopping list"),
    ("the list", "shopping list"), ("todo", "to-do list"), ("to do", "to-do list"),
    ("to-do", "to-do list"), ("To-Do list", "to-do list"), ("do", "to-do list"),
    ("my grocery list", "grocery list"), ("grocery", "grocery list"),
    ("  Hardware  Store ", "hardware store list"),
])
def test_list_names_as_people_say_them(said, name):
    assert normalise_list_name(said) == name


def test_add_then_read_in_order(registry):
    assert say(registry, "add_to_list", item="eggs") == "Added eggs to your shopping list."
    say(registry, "add_to_list", item="milk", list="shopping")
    out = call(registry, "add_to_list", item="a loaf of bread", list="my shopping list")
    assert out.result == {"list": "shopping list", "item": "loaf of bread",
                          "items": ["eggs", "milk", "loaf of bread"], "added": True,
                          "speech": "Added loaf of bread to your shopping list."}
    read = call(registry, "read_list")
    assert read.result["speech"] == \
        "Your shopping list has 3 items: eggs, milk and loaf of bread."
    assert read.result["items"] == ["eggs", "milk", "loaf of bread"]


def test_an_item_already_on_the_list_is_not_added_twice(registry):
    say(registry, "add_to_list", item="eggs")
    out = call(registry, "add_to_list", item="the Egg")
    assert out.result["speech"] == "You already have eggs on your shopping list."
    assert out.result["added"] is False
    assert say(registry, "read_list") == "Your shopping list has one item: eggs."


def test_a_long_list_is_read_in_part_and_items_keep_the_users_words(registry):
    for n in range(1, 23):
        say(registry, "add_to_list", item=f"Item {n}, please.")
    speech = say(registry, "read_list")
    assert speech.startswith("Your shopping list has 22 items. The first 20: Item 1, Item 2,")
    assert speech.endswith("Item 19 and Item 20.")


def test_empty_and_unknown_lists_are_said_plainly(registry):
    assert say(registry, "read_list") == "Your shopping list is empty."
    assert say(registry, "read_list", list="to do") == "Your to-do list is empty."
    out = call(registry, "read_list", list="grocery list")
    assert (out.status, out.code) == ("error", "list.not_found")
    assert out.error == "You have no grocery list."


def test_lists_are_kept_apart_and_named_without_regard_to_case(registry, lists):
    say(registry, "add_to_list", item="call mum", list="to-do")
    say(registry, "add_to_list", item="nails", list="Hardware")
    say(registry, "add_to_list", item="screws", list="hardware list")
    assert say(registry, "read_list", list="HARDWARE LIST") == \
        "Your hardware list has 2 items: nails and screws."
    assert say(registry, "read_list", list="todo") == "Your to-do list has one item: call mum."
    assert say(registry, "read_list") == "Your shopping list is empty."
    assert lists.names() == ["shopping list", "to-do list", "hardware list"]


def test_check_off_what_was_said_a_little_differently(registry):
    for item in ("eggs", "oat milk", "bread"):
        say(registry, "add_to_list", item=item)
    assert say(registry, "complete_list_item", item="egg") == \
        "Checked eggs off your shopping list."
    assert say(registry, "complete_list_item", item="bred") == \
        "Checked bread off your shopping list."  # a recogniser's near miss
    out = call(registry, "complete_list_item", item="oat milks", list="shopping list")
    assert out.result["item"] == "oat milk" and out.result["items"] == []
    assert say(registry, "read_list") == "Your shopping list is empty."
    assert say(registry, "complete_list_item", item="eggs") == \
        "You already checked eggs off your shopping list."


def test_an_item_not_on_the_list_is_an_error_that_says_so(registry):
    say(registry, "add_to_list", item="eggs")
    for tool in ("complete_list_item", "remove_from_list"):
        out = call(registry, tool, item="cheese")
        assert (out.status, out.code) == ("error", "list.item_not_found")
        assert out.error == "Cheese is not on your shopping list."
    out = call(registry, "remove_from_list", item="apples")
    assert out.error == "Apples are not on your shopping list."
    assert say(registry, "read_list") == "Your shopping list has one item: eggs."


@pytest.mark.parametrize(("items", "heard", "meant"), [
    (("peas", "eggs"), "tea", "peas"), (("silk", "eggs"), "milk", "silk"),
    (("Milch",), "milk", "Milch"), (("milk and bread", "eggs"), "bread", "milk and bread"),
    (("oat milk",), "milk", "oat milk"), (("bread",), "milk and bread", "bread"),
])
def test_an_item_only_like_one_on_the_list_is_offered_never_acted_on(
        registry, items, heard, meant):
    for item in items:
        say(registry, "add_to_list", item=item)
    out = call(registry, "remove_from_list", item=heard)
    assert (out.status, out.code) == ("error", "list.did_you_mean")
    assert out.error == (f"Did you mean {meant}? "
                         f"Say 'remove {meant} from the shopping list'.")
    out = call(registry, "complete_list_item", item=heard)
    assert out.code == "list.did_you_mean"
    assert out.error.endswith(f"Say 'cross {meant} off the shopping list'.")
    assert call(registry, "read_list").result["items"] == list(items)


def test_an_item_checked_off_is_found_by_its_words_before_a_guess(registry):
    for item in ("peas", "tea"):
        say(registry, "add_to_list", item=item)
    say(registry, "complete_list_item", item="tea")
    assert say(registry, "remove_from_list", item="tea") == \
        "Removed tea from your shopping list."
    assert say(registry, "read_list") == "Your shopping list has one item: peas."


def test_two_items_equally_likely_are_asked_about(registry):
    say(registry, "add_to_list", item="oat milk")
    say(registry, "add_to_list", item="milk chocolate")
    out = call(registry, "complete_list_item", item="milk")
    assert (out.status, out.code) == ("error", "list.which")
    assert "oat milk" in out.error and "milk chocolate" in out.error
    assert say(registry, "read_list") == \
        "Your shopping list has 2 items: oat milk and milk chocolate."


def test_remove_takes_an_item_off_open_or_checked(registry):
    for item in ("eggs", "milk"):
        say(registry, "add_to_list", item=item)
    say(registry, "complete_list_item", item="eggs")
    assert say(registry, "remove_from_list", item="milks") == \
        "Removed milk from your shopping list."
    assert say(registry, "remove_from_list", item="eggs") == \
        "Removed eggs from your shopping list."
    out = call(registry, "complete_list_item", item="eggs")
    assert out.code == "list.item_not_found"  # gone, not just checked off


def test_an_empty_item_is_a_question_not_an_entry(registry, lists):
    for tool in ("add_to_list", "complete_list_item"):
        out = call(registry, tool, item="  the  ")
        assert (out.status, out.code) == ("error", "list.empty_item")
        assert out.error == ("What should I add to your shopping list?"
                             if tool == "add_to_list" else
                             "What should I check off your shopping list?")
    empty = call(registry, "add_to_list", item="")  # the schema already refuses it
    assert (empty.status, empty.code) == ("invalid", "tool.invalid_args")
    assert lists.items("shopping list") == []


def test_a_misheard_list_name_finds_the_list(registry):
    say(registry, "add_to_list", item="eggs")
    assert say(registry, "read_list", list="shoping list") == \
        "Your shopping list has one item: eggs."


def test_lists_survive_a_restart(tmp_path):
    db = tmp_path / "heron.db"
    storage = Storage(db)
    ListStore(storage).add("grocery list", "Tomatoes")
    storage.close()
    store = ListStore(Storage(db))
    assert [i.text for i in store.items("grocery list")] == ["Tomatoes"]
    assert "grocery list" in store.names()


def test_tools_need_no_permission_and_say_their_effects(registry):
    by_name = {m.name: m for m in registry.manifests()}
    assert set(by_name) == {"add_to_list", "complete_list_item", "remove_from_list",
                            "read_list"}
    assert all(m.permissions == () and m.builtin for m in by_name.values())
    assert by_name["read_list"].effects == "read"
    assert {by_name[n].effects for n in by_name if n != "read_list"} == {"write"}


# -- how people say it: the router's examples reach the right tool --------------------

@pytest.fixture
def router(lists, storage):
    notes = NoteStore(storage)
    return Router([t.manifest for t in list_tools(lists)]
                  + [TakeNote(notes).manifest, ListNotes(notes).manifest])


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("add eggs to the shopping list", "add_to_list", {"item": "eggs"}),
    ("put milk on my list", "add_to_list", {"item": "milk"}),
    ("I need bread", "add_to_list", {"item": "bread"}),
    ("add paint to my grocery list", "add_to_list", {"item": "paint", "list": "grocery"}),
    ("add call mum to my todo list", "add_to_list", {"item": "call mum", "list": "todo"}),
    ("cross eggs off my shopping list", "complete_list_item", {"item": "eggs"}),
    ("take milk off the list", "remove_from_list", {"item": "milk"}),
    ("what's on my shopping list", "read_list", {}),
    ("read my todo list", "read_list", {"list": "todo"}),
    ("take a note buy milk", "take_note", {"text": "buy milk"}),
    ("read my notes", "list_notes", {}),
])
def test_the_router_reaches_the_list_tools(router, said, tool, args):
    match = router.route(said)
    assert match is not None and not match.ambiguous
    assert match.tool == tool
    assert {k: v for k, v in match.args.items() if k != "list" or "list" in args} == args


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("read my to-do list", "read_list", {}),
    ("what's on my to do list", "read_list", {}),
    ("add fix the gate to my to-do list", "add_to_list", {"item": "fix the gate"}),
    ("drop fix the gate from my to-do list", "remove_from_list", {"item": "fix the gate"}),
])
def test_the_router_hears_to_do_with_a_hyphen_or_apart(router, said, tool, args):
    """"to-do" / "to do" before "list" names the list, not two little words."""
    match = router.route(said)
    assert match is not None and match.tool == tool
    assert {k: v for k, v in match.args.items() if k != "list"} == args
    assert normalise_list_name(match.args.get("list")) == "to-do list"


def test_a_list_item_is_not_a_note(router, registry, storage):
    match = router.route("add eggs to the shopping list")
    assert say(registry, match.tool, **match.args) == "Added eggs to your shopping list."
    assert NoteStore(storage).count() == 0
