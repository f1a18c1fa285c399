"""Built-in tools take_note and list_notes: notes kept in Heron's own database (the
`notes` table), so they need no scope. A note taken from untrusted content (a file,
the screen) remembers that, and list_notes passes it on."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.storage import Storage
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

MAX_NOTE_CHARS = 2000
SPOKEN_NOTES = 5
UNTRUSTED_MARK = ":untrusted"


@dataclass(frozen=True)
class Note:
    id: int
    created_at: float
    text: str
    source: str

    @property
    def untrusted(self) -> bool:
        return self.source.endswith(UNTRUSTED_MARK)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "source": self.source,
                "created_iso": dt.datetime.fromtimestamp(self.created_at).astimezone()
                .isoformat(timespec="seconds")}


class NoteStore:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self._db = storage
        self._clock = clock

    def add(self, text: str, source: str) -> Note:
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO notes(created_at, text, source) VALUES (?,?,?)",
                        (now, text, source))
            nid = cur.lastrowid
        return Note(int(nid), now, text, source)

    def recent(self, limit: int = 50) -> list[Note]:
        rows = self._db.query("SELECT * FROM notes ORDER BY created_at DESC, id DESC LIMIT ?",
                              (limit,))
        return [Note(r["id"], r["created_at"], r["text"], r["source"]) for r in rows]

    def count(self) -> int:
        return int(self._db.query("SELECT COUNT(*) AS n FROM notes")[0]["n"])


class TakeNote:
    manifest = ToolManifest(
        name="take_note", title="Take a note", builtin=True, effects="write",
        description="Save a short note in Heron's notes.",
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1,
                                    "maxLength": MAX_NOTE_CHARS, "x-slot": "text",
                                    "x-message": True}},
        },
        output_schema={"type": "object", "properties": {"note": {"type": "object"}}},
        examples=("take a note {text}", "make a note {text}", "note that {text}",
                  "write down {text}", "add a note {text}", "remember that {text}",
                  "jot down {text}", "make a note that {text}", "note down {text}",
                  "take a note that {text}", "save a note saying {text}",
                  "write this down {text}", "new note {text}", "put in my notes {text}",
                  "scribble down that {text}", "quick note {text}",
                  "put down in my notes that {text}", "save a note {text}",
                  "memo {text}", "note {text}", "can you note {text}", "write a note {text}",
                  "add to my notes {text}", "please remember {text}", "log a note {text}",
                  "note to self {text}", "put a note down {text}", "note this down {text}",
                  "keep a note that {text}", "jot this down {text}", "make a memo {text}",
                  "write down that {text}", "jot something down {text}",
                  "i need to write something down {text}"),
    )

    def __init__(self, store: NoteStore) -> None:
        self._store = store

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        text = args["text"].strip()
        if not text:
            raise ToolError("notes.empty", "What should the note say?",
                            "say, for example: take a note buy milk")
        source = ctx.call.source + (UNTRUSTED_MARK if ctx.call.untrusted else "")
        note = self._store.add(text, source)
        return {"note": note.to_dict(), "speech": "OK, noted."}


class ListNotes:
    manifest = ToolManifest(
        name="list_notes", title="List notes", builtin=True, effects="read",
        description="Say the most recent notes (newest first).",
        input_schema={
            "type": "object", "additionalProperties": False,
            "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 200,
                                     "x-slot": "number",
                                     # "my last note": one note (a number said wins)
                                     "x-words": {"1": ["last note", "latest note",
                                                       "most recent note", "newest note",
                                                       "recent note"]}}},
        },
        output_schema={"type": "object", "properties": {"notes": {"type": "array"}}},
        examples=("what are my notes", "read my notes", "list my notes", "show my notes",
                  "what did i note", "read back my notes", "what did i write down",
                  "what did i jot down", "what notes do i have", "read me my notes",
                  "what is in my notes", "do i have any notes", "what did i ask you to note",
                  "go through my notes", "what were my last {limit} notes",
                  "read my last {limit} notes",
                  "show me my notes", "read out my notes", "what did i note down",
                  "what have i noted", "my notes", "read the notes i made",
                  "show me the latest {limit} notes", "show my last {limit} notes",
                  "read my most recent note", "read my latest note", "what was my last note",
                  "what was the last thing i noted", "read back the notes i have made",
                  "show me the newest {limit} notes", "what are my recent notes"),
    )

    def __init__(self, store: NoteStore) -> None:
        self._store = store

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        notes = self._store.recent(int(args.get("limit", 50)))
        total = self._store.count()
        if not notes:
            speech = "You have no notes."
        else:
            said = [_sentence(n.text) for n in notes[:SPOKEN_NOTES]]
            head = "You have one note:" if total == 1 else f"You have {total} notes."
            if total > SPOKEN_NOTES:
                head += f" The latest {SPOKEN_NOTES}:"
            speech = " ".join([head, *said])
        return {"notes": [n.to_dict() for n in notes], "total": total,
                "untrusted_output": any(n.untrusted for n in notes), "speech": speech}


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?")
    return text[:1].upper() + text[1:] + "."
