"""Built-in tools add_to_list, complete_list_item, remove_from_list and read_list:
named lists (shopping list, to-do list, any list the user names) in Heron's own
database, so they need no scope. A list is not a note: items are checked off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.builtins.list_store import (
    MAX_ITEM_CHARS,
    MAX_NAME_CHARS,
    ListItem,
    ListStore,
    clean_item,
    spoken_and,
)
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

SPOKEN_ITEMS = 20
_ITEM = {"type": "string", "minLength": 1, "maxLength": MAX_ITEM_CHARS, "x-slot": "text",
         "x-drop-words": ["the", "some", "my", "our"], "x-ends-at-statement": True,
         # "is milk on the list" asks; it adds nothing
         "x-not-first-words": ["is", "are", "was", "what", "anything", "do", "does"],
         "description": "the item in the user's words, without a leading article"}
_LIST = {"type": "string", "maxLength": MAX_NAME_CHARS, "x-slot": "label", "x-names": "list",
         "description": 'the list\'s name, e.g. "shopping list", "to-do list" '
                        '(default: shopping list)'}
_ITEM_ARGS = {"type": "object", "additionalProperties": False, "required": ["item"],
              "properties": {"item": _ITEM, "list": _LIST}}
# "got the bread from the co-op": what was bought, not where
_DONE_ITEM_ARGS = {**_ITEM_ARGS, "properties": {
    "item": {**_ITEM, "x-ends-at": ["from", "at"]}, "list": _LIST}}
_RESULT = {"type": "object", "properties": {
    "list": {"type": "string"}, "item": {"type": "string"},
    "items": {"type": "array", "items": {"type": "string"}}, "speech": {"type": "string"}}}


class _ListTool:
    def __init__(self, store: ListStore) -> None:
        self._store = store

    def _item(self, args: dict[str, Any], question: str, example: str) -> str:
        item = clean_item(args.get("item", ""))
        if not item:
            raise ToolError("list.empty_item", question, f"say, for example: {example}")
        return item

    def _existing(self, args: dict[str, Any]) -> str:
        name = self._store.resolve(args.get("list"))
        if not self._store.exists(name):
            raise ToolError("list.not_found", f"You have no {name}.",
                            f"your lists: {spoken_and(self._store.names())}; "
                            f"say \"add eggs to the {name}\" to start it")
        return name

    def _find(self, name: str, heard: str, action: str
              ) -> tuple[ListItem | None, ListItem | None]:
        """(the open item meant, else the checked-off one) — at most one is set. Only the
        item said or a near miss of it; an item merely like it is asked about."""
        item = self._store.find(name, heard, action)
        if item is None:
            return None, None
        return (None, item) if item.done else (item, None)

    def _result(self, name: str, item: str, speech: str, **extra: Any) -> dict[str, Any]:
        return {"list": name, "item": item,
                "items": [i.text for i in self._store.items(name)], **extra, "speech": speech}


def _not_on(item: str, name: str) -> ToolError:
    return ToolError("list.item_not_found",
                     f"{_upper(item)} {_is(item)} not on your {name}.",
                     f"say \"what's on my {name}\" to hear what is on it")


class AddToList(_ListTool):
    manifest = ToolManifest(
        name="add_to_list", title="Add to a list", builtin=True, effects="write",
        description="Add an item to a named list: the shopping list (default), the to-do "
                    "list or any list the user names. Not for notes.",
        input_schema=_ITEM_ARGS, output_schema=_RESULT,
        examples=("add {item} to my {list} list", "add to the {list} list {item}",
                  "add to my {list} list {item}",
                  "add {item} to the {list} list", "put {item} on my {list} list",
                  "put {item} on the list", "put {item} on my list",
                  "add {item} to my list", "i need {item}", "we need {item}",
                  "we're out of {item}", "we are out of {item}",
                  "put {item} on the {list} list", "stick {item} on the {list} list",
                  "add {item} to {list} list", "add {item} in {list} list",
                  "add {item} to the list", "add {item} please", "{item} on the list",
                  "remember to buy {item}", "we have run out of {item}", "we are low on {item}",
                  "we are running low on {item}", "i need to buy {item}",
                  "put {item} down on the {list} list", "add {item} onto my {list} list",
                  "i have to get {item}", "can you add {item} to my {list} list",
                  "{item} needs to go on the {list} list", "append {item} to the {list} list"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        name = self._store.resolve(args.get("list"))
        item = self._item(args, f"What should I add to your {name}?",
                          f"add eggs to the {name}")
        added, new = self._store.add(name, item)
        speech = (f"Added {added.text} to your {name}." if new
                  else f"You already have {added.text} on your {name}.")
        return self._result(name, added.text, speech, added=new)


class CompleteListItem(_ListTool):
    manifest = ToolManifest(
        name="complete_list_item", title="Check off a list item", builtin=True,
        effects="write",
        description="Check an item off a named list (shopping list by default): it is "
                    "done or bought.",
        input_schema=_DONE_ITEM_ARGS, output_schema=_RESULT,
        examples=("cross {item} off my {list} list", "cross {item} off the list",
                  "mark {item} done in {list} list", "mark {item} done on the {list} list",
                  "mark {item} as done on the {list} list",
                  "tick off {item} on my {list} list",
                  "cross {item} off my list", "check off {item}",
                  "check {item} off my {list} list", "check {item} off the list",
                  "tick {item} off my {list} list", "tick off {item}",
                  "mark {item} as done", "mark {item} as bought", "i bought {item}",
                  "{item} is bought", "{item} are done", "{item} is in the cart",
                  "{item} i bought already",
                  "i've got {item}", "complete {item} on my {list} list",
                  "tick off {item} on the {list} list", "check off {item} on my {list} list",
                  "mark {item} as done on my {list} list", "mark {item} off the {list} list",
                  "mark {item} as packed on the {list} list", "{item} is done",
                  "i have got {item}", "i have bought {item}", "done with {item}",
                  "tick {item} off", "cross off {item}", "cross off {item} on the {list} list",
                  "mark {item} as complete", "{item} is finished, tick it off",
                  "cross off {item} from my {list} list", "tick off {item} from the {list} list",
                  "tick {item} off from the {list} list"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        name = self._existing(args)
        heard = self._item(args, f"What should I check off your {name}?",
                           f"cross eggs off the {name}")
        item, done = self._find(name, heard, "cross {item} off the {list}")
        if done is not None:
            return self._result(name, done.text, f"You already checked {done.text} off your "
                                f"{name}.", completed=False)
        if item is None:
            raise _not_on(heard, name)
        self._store.complete(item)
        return self._result(name, item.text, f"Checked {item.text} off your {name}.",
                            completed=True)


class RemoveFromList(_ListTool):
    manifest = ToolManifest(
        name="remove_from_list", title="Remove from a list", builtin=True, effects="write",
        description="Remove an item from a named list (shopping list by default), e.g. "
                    "added by mistake.",
        input_schema=_ITEM_ARGS, output_schema=_RESULT,
        examples=("take {item} off the list", "take {item} off my {list} list",
                  "delete from the {list} list {item}", "remove {item} from {list} list",
                  "take {item} off my list", "remove {item} from my {list} list",
                  "remove {item} from the list", "remove {item} from my list",
                  "delete {item} from my {list} list", "delete {item} from the list",
                  "we don't need {item}", "i don't need {item} anymore",
                  "drop {item} from my {list} list",
                  "remove {item} from {list} list", "remove {item} from the {list} list",
                  "get rid of {item} from the list", "get rid of {item} on my {list} list",
                  "scratch {item} from the {list} list",
                  "delete {item} off the list", "take {item} off", "strike {item} from my list",
                  "take {item} off the {list} list", "erase {item} from the {list} list",
                  "we no longer need {item}", "cancel {item} on the {list} list",
                  "take out {item} from the {list} list", "take {item} out of my {list} list"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        name = self._existing(args)
        heard = self._item(args, f"What should I remove from your {name}?",
                           f"take eggs off the {name}")
        item, done = self._find(name, heard, "remove {item} from the {list}")
        target = item or done
        if target is None:
            raise _not_on(heard, name)
        self._store.remove(target)
        return self._result(name, target.text, f"Removed {target.text} from your {name}.",
                            removed=True)


class ReadList(_ListTool):
    manifest = ToolManifest(
        name="read_list", title="Read a list", builtin=True, effects="read",
        description="Say what is still on a named list (shopping list by default).",
        input_schema={"type": "object", "additionalProperties": False,
                      "properties": {"list": _LIST}},
        output_schema=_RESULT,
        examples=("what's on my {list} list", "what's on the {list} list",
                  "what is on my {list} list", "what's on my list", "what's on the list",
                  "read my {list} list", "read the {list} list", "read me my {list} list",
                  "show my {list} list", "what's left on my {list} list",
                  "what have i got on my {list} list",
                  "read out my {list} list", "tell me what is on the {list} list",
                  "what is on the list", "read me the {list} list", "show me the {list} list",
                  "list the items on my {list} list", "check my {list} list",
                  "what do i have on my {list} list", "what did i put on the {list} list",
                  "go through my {list} list", "go over my {list} list",
                  "let me hear my {list} list", "open my {list} list", "what do we need",
                  "what do i need to buy", "what is on the {list} list", "tell me my {list} list",
                  "what is left to do", "what is still on my {list} list", "do we need anything",
                  "is there anything on the {list} list", "what else is on my {list} list",
                  "everything on my {list} list",
                  "remind me what is on the {list} list", "remind me what is on the list",
                  "i forgot what is on my {list} list",
                  "i can not remember what is on the {list} list", "what is in my {list} list",
                  "what remains on my {list} list", "read back my {list} list",
                  "what is inside my {list} list",
                  "what do we need from the shop"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        name = self._existing(args)
        items = [i.text for i in self._store.items(name)]
        return {"list": name, "items": items, "speech": _read(name, items)}


def _read(name: str, items: list[str]) -> str:
    if not items:
        return f"Your {name} is empty."
    if len(items) == 1:
        return f"Your {name} has one item: {items[0]}."
    head = f"Your {name} has {len(items)} items"
    if len(items) > SPOKEN_ITEMS:
        return f"{head}. The first {SPOKEN_ITEMS}: {spoken_and(items[:SPOKEN_ITEMS])}."
    return f"{head}: {spoken_and(items)}."


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is(item: str) -> str:
    """"eggs are", "milk is": a plural-looking last word takes "are"."""
    last = item.split()[-1].lower() if item.split() else ""
    plural = last.endswith("s") and not last.endswith(("ss", "us", "is"))
    return "are" if plural else "is"


def list_tools(store: ListStore) -> list[_ListTool]:
    """The four list tools over one store, for the core to register."""
    return [AddToList(store), CompleteListItem(store), RemoveFromList(store), ReadList(store)]


__all__ = ["AddToList", "CompleteListItem", "ListStore", "ReadList",
           "RemoveFromList", "list_tools"]
