"""A slot's value from the words the router's alignment gave it. Slot kinds
("x-slot" in a tool's input_schema): duration, time and day (typed, found up front), url
and path (addresses; a folder said in words becomes ~/Folder), app, label and query
(names: said without "the" or "my" before them), text (said as it is), number and
expression (a spoken sum: numbers and an operator, nothing else).
Arguments no slot holds: "x-words" (a value chosen by words said anywhere; a number
for an integer property), "x-true-when-said" and "x-negative-when-said". "x-drop-words":
words said around a slot's value but no part of it ("the OK button" → "OK");
"x-lead-words": phrases saying what the value is before it ("my email …")."""

from __future__ import annotations

import re
from typing import Any

from assistant.agent.numbers import parse_number, tokenize
from assistant.agent.tokens import TYPED_SLOTS, Token

NAME_KINDS = {"app", "label", "query"}
_LABEL_STOP = {"a", "an", "the", "my", "new", "this", "that", "all", "timer", "timers", "for",
               "set", "start", "cancel", "stop", "delete", "please", "and", "of", "in", "at",
               "to", "on", "up", "is", "it", "one", "another"}
# "make a note that …", "remind me about …", "send … to my phone saying …"
_LEAD_WORDS = {"that", "about", "to", "saying", "says"}
_TRAIL_WORDS = {"a", "an", "the", "for", "in", "at", "on", "to", "of", "and", "please"}
_POLITE = {"please", "thanks", "now"}
# Said around a request, never part of its value ("… for me, if you don't mind").
_POLITE_TAILS = (("please",), ("thanks",), ("thank", "you"), ("for", "me"), ("now",),
                 ("if", "you", "do", "not", "mind"), ("if", "you", "would"), ("if", "you", "can"),
                 ("if", "possible"), ("right", "now"), ("for", "a", "sec"),
                 ("for", "a", "second"), ("for", "a", "moment"), ("for", "a", "bit"),
                 ("would", "you"), ("could", "you"), ("will", "you"), ("cheers",), ("ta",),
                 ("anymore",), ("any", "more"))
_POLITE_TAILS_LONGEST_FIRST = sorted(_POLITE_TAILS, key=len, reverse=True)
_POLITE_HEADS = {"please", "kindly"}
_WRAPPED = re.compile(r"^(?:a|an|the|this)\s+(?:quick\s+)?(?:reminder|message|note|notification|"
                      r"text)\s*(?:to|that|saying|says|:)\s*", re.IGNORECASE)
_SHAPES = {"url": ("url", "domain"), "path": ("path", "file")}
_APP_WORDS = re.compile(r"\s+(?:app|application|program)$"
                        r"|^(?:the\s+)?(?:app|application|program)\s+")
# "find all my pdfs", "mp3 files": a kind of file is a glob on its extension.
_FILE_TYPES = {"pdf", "mp3", "mp4", "jpg", "jpeg", "png", "gif", "svg", "txt", "csv", "doc",
               "docx", "odt", "ods", "xls", "xlsx", "ppt", "pptx", "zip", "wav", "flac", "ogg",
               "mkv", "avi", "iso", "epub", "md", "json", "html", "py"}
# "the budget spreadsheet": the kind of document is not part of its name
_KIND_OF_FILE = re.compile(r"(?<=\w)\s+(?:file|document|spreadsheet|presentation)s?$")
_FILE_TYPE = re.compile(r"^(?:all\s+)?(?:my\s+|the\s+)?(\w+?)s?(?:\s+files?)?$")
_DETERMINERS = r"(?:a|an|the|my|our|your|some|this|that)"
# "the pdf called contract", "the presentation about sales": the name is what follows
_NAMED = re.compile(r"^(?:[\w-]+\s+){1,2}(?:called|named|about)\s+(?=\S)")
_LEADING_DETERMINERS = re.compile(rf"^(?:{_DETERMINERS}\s+)+", re.IGNORECASE)
_QUOTES = " \t\"'“”‘’,;:.!?"
# Folders a user names by voice ("in documents", "my downloads folder") and the
# XDG user directories they stand for; find_files maps them to the real folder.
SPOKEN_FOLDERS = {"desktop": "Desktop", "document": "Documents", "documents": "Documents",
                  "download": "Downloads", "downloads": "Downloads", "music": "Music",
                  "picture": "Pictures", "pictures": "Pictures", "photos": "Pictures",
                  "video": "Videos", "videos": "Videos", "templates": "Templates",
                  "public": "Public"}
_FOLDER_WORDS = re.compile(r"\s+(?:folder|directory|dir)$")


def slot_value(kind: str, prop: dict[str, Any], span: tuple[int, int] | None, text: str,
               tokens: list[Token]) -> Any:
    """The value of one slot, or None when it was not said."""
    if kind in TYPED_SLOTS:
        # The value counts even when the example that won did not place it.
        marker = TYPED_SLOTS[kind]
        return next((t.value for t in tokens if t.text == marker), None)
    if span is None:
        return None
    start, end = span
    shaped = [k for k in range(start, end) if tokens[k].kind in _SHAPES.get(kind, ())]
    if shaped:  # "browse to lwn.net for me": the address alone
        start, end = shaped[0], shaped[-1] + 1
    # "remind me to … at 6": little words at the edges are not part of the value; before
    # anything but a time they may be ("click sign in", "find log in on the screen").
    if end - start > 1 and tokens[start].text in _LEAD_WORDS:
        start += 1
    before_value = end < len(tokens) and tokens[end].kind in TYPED_SLOTS
    trail = _TRAIL_WORDS if before_value else _POLITE
    while end - start > 1 and tokens[end - 1].text in trail:
        end -= 1
    start, end = _without_politeness(tokens, start, end)
    if kind == "expression":  # "1024 / 8 = ?": the sum, not the question
        while end - start > 1 and tokens[end - 1].text in ("=", "equals"):
            end -= 1
    words = [t.text for t in tokens[start:end]]
    if prop.get("type") in ("integer", "number"):
        number = parse_number(words, 0)
        if number is None:
            return None
        return int(number[0]) if prop.get("type") == "integer" else number[0]
    value = text[tokens[start].start:tokens[end - 1].end].strip(_QUOTES)
    if "x-lead-words" in prop:  # "my email jane@…": the value is what follows
        value = _without_lead(value, prop["x-lead-words"])
    if kind == "text":  # "send my phone a reminder to …": the reminder is what follows
        value = _WRAPPED.sub("", value) or value
    if kind in NAME_KINDS:
        value = _LEADING_DETERMINERS.sub("", value.lower()).strip(_QUOTES)
        if kind == "label" and value in _LABEL_STOP:
            return None
        if kind == "app":
            value = _APP_WORDS.sub("", value)
        if kind == "query":
            value = _file_type_glob(_NAMED.sub("", value))
    elif kind == "path" and not any(t.kind in ("path", "file") for t in tokens[start:end]):
        return spoken_folder(value) if looks_like_path(value) else None
    if "x-drop-words" in prop:  # "the submit button": the button is "submit"
        value = _drop_edge_words(value, prop["x-drop-words"])
    return value or None


def _without_lead(value: str, phrases: list[str]) -> str:
    """`value` without a phrase saying what it is ("my email …", "the text …")."""
    low = value.lower()
    for phrase in sorted(phrases, key=len, reverse=True):
        if low.startswith(phrase + " ") and value[len(phrase):].strip(_QUOTES):
            return value[len(phrase):].strip(_QUOTES)
    return value


def _drop_edge_words(value: str, words: list[str]) -> str:
    """`value` without the words (or phrases: "on the screen") at either edge."""
    parts = value.split()
    phrases = sorted((w.split() for w in words), key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        low = [p.lower() for p in parts]
        for phrase in phrases:
            n = len(phrase)
            if len(parts) > n and low[:n] == phrase:
                parts, changed = parts[n:], True
                break
            if len(parts) > n and low[-n:] == phrase:
                parts, changed = parts[:-n], True
                break
    return " ".join(parts)


def _without_politeness(tokens: list[Token], start: int, end: int) -> tuple[int, int]:
    """The span without the politeness around it: "please", "for me", "thanks"."""
    changed = True
    while changed and end - start > 1:
        changed = False
        words = tuple(t.text for t in tokens[start:end])
        for tail in _POLITE_TAILS_LONGEST_FIRST:  # "right now" before "now"
            if len(tail) < len(words) and words[-len(tail):] == tail:
                end -= len(tail)
                changed = True
                break
        if end - start > 1 and tokens[start].text in _POLITE_HEADS:
            start += 1
            changed = True
    return start, end


_SUM = re.compile(r"\d\s*/\s*\d")
# "~", a leading "/", a file extension, or several parts of letters ("notes/work/cv")
_PATH_PART = re.compile(r"(?:^|\s)[~/]|\w\.[a-z][a-z0-9]{0,4}\b|[a-z][\w-]*/[a-z][\w-]*/",
                        re.IGNORECASE)


def looks_like_path(value: str) -> bool:
    """False for words with a sum in them and nothing that makes them a path:
    "calculate 12/4" given where a file or folder goes is no file of that name."""
    return not (" " in value.strip() and _SUM.search(value) and not _PATH_PART.search(value))


def spoken_folder(said: str) -> str:
    """A folder named in words as a path under home: "my documents folder" →
    "~/Documents", "home" → "~", "projects" → "~/projects" (find_files then looks for
    it without regard to case)."""
    name = _FOLDER_WORDS.sub("", _LEADING_DETERMINERS.sub("", said.strip().lower()))
    name = name.strip(_QUOTES)
    if name in ("", "home", "home folder"):
        return "~"
    return "~/" + SPOKEN_FOLDERS.get(name, name)


def _file_type_glob(value: str) -> str:
    found = _FILE_TYPE.match(value)
    if found and found.group(1) in _FILE_TYPES:
        return f"*.{found.group(1)}"
    return _KIND_OF_FILE.sub("", value) or value


def choice_values(props: dict[str, Any], tokens: list[Token]) -> dict[str, str]:
    """Arguments chosen by words anywhere in the utterance: a property's "x-words" maps
    each value to phrases that select it ({"camera": ["webcam", "camera"]})."""
    said = " " + " ".join(t.text for t in tokens) + " "
    out = {}
    for name, prop in props.items():
        for value, phrases in prop.get("x-words", {}).items():
            if any(f" {p} " in said for p in phrases):
                # JSON keys are strings: "x-words": {"1": ["latest note"]} for a number
                out[name] = int(value) if prop.get("type") == "integer" else value
                break
    return out


def said_values(props: dict[str, Any], tokens: list[Token], args: dict[str, Any]
                ) -> dict[str, Any]:
    """`args` with the arguments a spoken word sets: "x-true-when-said" (a boolean, true
    when one of its words is heard: "cancel all timers") and "x-negative-when-said" (a
    number made negative: "take 2 minutes off the timer"; its schema "default" when no
    number was said: "turn it down")."""
    words = {t.text for t in tokens}
    out = dict(args)
    for name, prop in props.items():
        if words & set(prop.get("x-true-when-said", ())):
            out[name] = True
        if name not in out and "x-negative-when-said" in prop and "default" in prop:
            out[name] = prop["default"]
        value = out.get(name)
        if isinstance(value, int | float) and value > 0 and \
                words & set(prop.get("x-negative-when-said", ())):
            out[name] = -value
    return out


def measure_values(slots: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    """`args` with a quantity split into its number and unit: in "convert 2 hours to
    minutes" the router hears a duration where "{value} {from_unit}" go, and the unit
    slot holds both."""
    number = next((n for n, kind in slots.items() if kind == "number"), None)
    if number is None or number in args:
        return args
    for name, kind in slots.items():
        value = args.get(name)
        if kind != "text" or not isinstance(value, str):
            continue
        words = tokenize(value)
        parsed = parse_number(words, 0)
        if parsed is not None and 0 < parsed[1] < len(words):
            return {**args, number: parsed[0], name: " ".join(words[parsed[1]:])}
    return args
