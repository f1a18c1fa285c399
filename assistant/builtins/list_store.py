"""Named lists (shopping list, to-do list, …) kept in SQLite (`lists`, `list_items`):
list names as people say them, and items found again the way they are said later
("egg" for "eggs", a recogniser's near miss)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from assistant.storage import Storage
from assistant.tools.registry import ToolError

SHOPPING = "shopping list"
TODO = "to-do list"
DEFAULT_LISTS = (SHOPPING, TODO)
MAX_ITEM_CHARS = 200
MAX_NAME_CHARS = 60

_ALIASES = {
    "": SHOPPING, "list": SHOPPING, "shopping": SHOPPING, "shop": SHOPPING,
    "todo": TODO, "to do": TODO, "to-do": TODO, "todos": TODO, "to dos": TODO,
    "to-dos": TODO, "to-do's": TODO, "todo's": TODO,
    "do": TODO,  # "my to do list" as a slot filler that dropped its leading "to"
}
_LEADING = re.compile(r"^(?:(?:a|an|the|some|my|our|your)(?:\s+|$))+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s,;:.!?\"'“”‘’]+(?:please[\s,.!?]*)?$", re.IGNORECASE)
_QUOTES = " \t\n\"'“”‘’,;:.!?"
# Heron acts only on the item said (plurals and case aside) or a recogniser's near miss
# ("bred" for "bread": SAME_ALIKE and at most SAME_CHARS letters apart). An item merely
# like it ("tea" / "peas", "milk" / "silk") or containing it ("bread" / "milk and bread")
# is only offered back: "Did you mean peas?" — never removed or checked off on a guess.
SAME_ALIKE = 0.85
SAME_CHARS = 2
ITEM_ALIKE = 0.6
ITEM_MARGIN = 0.1
WITHIN = 0.75  # every word heard is in the item ("milk" → "oat milk"), or the reverse
NAME_ALIKE = 0.8  # list names: "shoping list" is the shopping list, "grocery" is not


@dataclass(frozen=True)
class ListItem:
    id: int
    text: str
    done: bool
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "done": self.done}


def normalise_list_name(name: str | None) -> str:
    """The list a spoken name means: "shopping" → "shopping list", "todo" / "to do" →
    "to-do list", "my grocery list" → "grocery list"; nothing → "shopping list"."""
    text = " ".join((name or "").lower().split()).strip(_QUOTES)
    text = _LEADING.sub("", text)
    text = re.sub(r"\s*\blists?$", "", text).strip()
    if text in _ALIASES:
        return _ALIASES[text]
    return f"{text} list"


def clean_item(text: str) -> str:
    """The item as the user said it, without a leading article or a trailing "please"."""
    text = " ".join(text.split()).strip(_QUOTES)
    text = _TRAILING.sub("", _LEADING.sub("", text))
    return text.strip(_QUOTES)


def item_key(text: str) -> str:
    """What two mentions of one item share: case, articles and plurals aside."""
    words = clean_item(text).lower().replace("-", " ").split()
    return " ".join(_singular(w) for w in words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "oes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _alike(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


class ListStore:
    """Lists by name (case-insensitive) and their items, oldest first."""

    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    # -- lists ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every list name the user can say: the defaults, then the lists they made."""
        rows = self._db.query("SELECT name FROM lists ORDER BY created_at, id")
        made = [r["name"] for r in rows]
        return [*DEFAULT_LISTS, *(n for n in made if n not in DEFAULT_LISTS)]

    def resolve(self, name: str | None) -> str:
        """The list name meant: an existing or default list, also when misheard."""
        wanted = normalise_list_name(name)
        known = self.names()
        if wanted in known:
            return wanted
        stem = wanted.removesuffix(" list")
        scored = sorted(((_alike(stem, n.removesuffix(" list")), n) for n in known),
                        reverse=True)
        if scored and scored[0][0] >= NAME_ALIKE:
            return scored[0][1]
        return wanted

    def _list_id(self, name: str, create: bool) -> int | None:
        rows = self._db.query("SELECT id FROM lists WHERE name = ?", (name,))
        if rows:
            return int(rows[0]["id"])
        if not create:
            return None
        with self._db.transaction() as cur:
            cur.execute("INSERT OR IGNORE INTO lists(name, created_at) VALUES (?, ?)",
                        (name, self._clock()))
        return int(self._db.query("SELECT id FROM lists WHERE name = ?", (name,))[0]["id"])

    def exists(self, name: str) -> bool:
        return name in DEFAULT_LISTS or self._list_id(name, create=False) is not None

    # -- items ---------------------------------------------------------------------------
    def items(self, name: str, done: bool = False) -> list[ListItem]:
        """The open (or checked-off) items of a list, in the order they were added."""
        list_id = self._list_id(name, create=False)
        if list_id is None:
            return []
        rows = self._db.query("SELECT * FROM list_items WHERE list_id = ? AND done = ? "
                              "ORDER BY created_at, id", (list_id, int(done)))
        return [ListItem(r["id"], r["text"], bool(r["done"]), r["created_at"]) for r in rows]

    def add(self, name: str, text: str) -> tuple[ListItem, bool]:
        """Add an item; (the open item already there, False) when it is on the list."""
        key = item_key(text)
        list_id = self._list_id(name, create=True)
        now = self._clock()
        with self._db.transaction() as cur:  # one transaction: two adds cannot both insert
            rows = cur.execute("SELECT * FROM list_items WHERE list_id = ? AND done = 0 "
                               "ORDER BY created_at, id", (list_id,)).fetchall()
            for r in rows:
                if item_key(r["text"]) == key:
                    return ListItem(r["id"], r["text"], False, r["created_at"]), False
            cur.execute("INSERT INTO list_items(list_id, text, created_at) VALUES (?,?,?)",
                        (list_id, text, now))
            item_id = cur.lastrowid
        return ListItem(int(item_id), text, False, now), True

    def find(self, name: str, text: str, action: str = "remove {item} from the {list}"
             ) -> ListItem | None:
        """The item on the list that `text` means, open or checked off (see match_item);
        None when nothing is like it. `action` is what the user should say instead when
        only a guess is like it."""
        items = [*self.items(name), *self.items(name, done=True)]
        return match_item(text, items, name, action)

    def complete(self, item: ListItem) -> None:
        with self._db.transaction() as cur:
            cur.execute("UPDATE list_items SET done = 1, done_at = ? WHERE id = ?",
                        (self._clock(), item.id))

    def remove(self, item: ListItem) -> None:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM list_items WHERE id = ?", (item.id,))


def match_item(heard: str, items: list[ListItem], list_name: str = SHOPPING,
               action: str = "remove {item} from the {list}") -> ListItem | None:
    """The one item `heard` means: the same words (plurals aside; the first given wins),
    else the only near miss of it. An item only like it or containing it raises
    ToolError list.did_you_mean, several such list.which; None when nothing is like it."""
    key = item_key(heard)
    if not key:
        return None
    same = [i for i in items if item_key(i.text) == key]
    if same:
        return same[0]
    near = _unique([i for i in items if _near_miss(key, item_key(i.text))])
    if len(near) == 1:
        return near[0]
    if near:
        raise _which(near, list_name)
    words = set(key.split())
    scored = sorted(((_item_score(key, words, i), i) for i in items), key=lambda s: s[0],
                    reverse=True)
    likely = [(score, i) for score, i in scored if score >= ITEM_ALIKE]
    if not likely:
        return None
    best = _unique([i for score, i in likely if likely[0][0] - score < ITEM_MARGIN])
    if len(best) > 1:
        raise _which(best, list_name)
    say = action.format(item=best[0].text, list=list_name)
    raise ToolError("list.did_you_mean", f"Did you mean {best[0].text}? Say '{say}'.",
                    f"say \"{say}\"")


def _near_miss(key: str, theirs: str) -> bool:
    """`theirs` is what was said, misheard by a letter or two ("bred" / "bread")."""
    return abs(len(key) - len(theirs)) <= SAME_CHARS and _alike(key, theirs) >= SAME_ALIKE


def _unique(items: list[ListItem]) -> list[ListItem]:
    """One item per wording: an open and a checked-off "eggs" are one choice."""
    seen: dict[str, ListItem] = {}
    for i in items:
        seen.setdefault(item_key(i.text), i)
    return list(seen.values())


def _which(items: list[ListItem], list_name: str) -> ToolError:
    names = [i.text for i in items[:3]]
    return ToolError("list.which", f"Which one on your {list_name}: {spoken_and(names, 'or')}?",
                     "say the item as it is on the list")


def _item_score(key: str, words: set[str], item: ListItem) -> float:
    """How much `key` (heard) sounds like this item; one's words all in the other's
    ("milk" / "oat milk", "milk and bread" / "bread") counts as WITHIN."""
    theirs = item_key(item.text)
    their_words = set(theirs.split())
    contained = WITHIN if words <= their_words or their_words <= words else 0.0
    return max(_alike(key, theirs), contained)


def spoken_and(words: list[str], last: str = "and") -> str:
    """"eggs", "eggs and milk", "eggs, milk and bread"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
