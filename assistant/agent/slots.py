"""A slot's value from the words the router's alignment gave it. Slot kinds
("x-slot" in a tool's input_schema): duration, time and day (typed, found up front), url
and path (addresses; a folder said in words becomes ~/Folder), app, label and query
(names: said without "the" or "my" before them), text (said as it is), number and
expression (a spoken sum: numbers and an operator, nothing else).
Arguments no slot holds: "x-words" (a value chosen by words said anywhere; a number
for an integer property), "x-true-when-said" and "x-negative-when-said". "x-drop-words":
words said around a slot's value but no part of it ("the OK button" → "OK");
"x-lead-words": phrases saying what the value is before it ("my email …");
"x-colon-head": a pattern of what may be said before a colon and the value ("this: …");
"x-ends-before": words a short value ends before ("celsius for my recipe" → "celsius"),
or a comma; "x-ends-at": words a value ends before ("the accept button on the board");
"x-any-words": a value that may be another tool's command word ("hours", a unit);
"x-not-values": values that say the tool is not meant at all (a room, said as the place
to ask the weather of, asks a sensor: "is it cold in the kitchen");
"x-message": a message said as it is meant (its "now" and "so that …" are part of it);
"x-put-on": a thing said between "put" and "on" ("put some Nina Simone on for the crowd");
"x-ends-at-statement": a name that ends at a comma followed by something said about the
world ("tick off bananas, Grandad's brought some", "play Johnny Clegg, feeling nostalgic");
"x-screen-target": a monitor or region said anywhere ("on monitor 2" → "monitor:2",
read by loose_values.py, as is a timer's name said apart: "…, call it standup")."""

from __future__ import annotations

import re
from typing import Any

from assistant.agent.file_words import file_query
from assistant.agent.numbers import parse_number, tokenize
from assistant.agent.tokens import ARTICLES, POLITE_TAILS, TYPED_SLOTS, Token

NAME_KINDS = {"app", "label", "query"}
LABEL_STOP = {"a", "an", "the", "my", "me", "new", "this", "that", "all", "timer", "timers", "for",
              "set", "start", "cancel", "stop", "delete", "please", "and", "of", "in", "at",
              "to", "on", "up", "is", "it", "one", "another", "every", "each", "any",
              "paused", "running", "current", "countdown"}
# said before a name, never the start of one ("to do" is a list's name)
_LABEL_LEAD = {"a", "an", "the", "my", "me", "her", "his", "their", "our", "this", "that", "new",
               "another", "set", "start", "cancel", "stop", "delete", "please", "put", "make",
               "give", "create", "label", "labelled", "labeled", "called", "named"}
# "the paused tea timer": the timer's state said before its name
TIMER_STATE = re.compile(r"^(?:paused|running|current|stopped)\s+", re.IGNORECASE)
# where the thing a timer is for sits: "the boerewors on the braai", "bread in the oven"
TIMER_PLACE = re.compile(r"(?<=\S)\s+(?:in|on)\s+the\s+(?:oven|stove|hob|grill|braai|bbq|"
                         r"barbecue|cooker|pan|pot|fire|smoker|fryer|air\s+fryer|"
                         r"microwave|slow\s+cooker)$", re.IGNORECASE)
# "find it in the active window": a place on the screen is no folder
_SCREEN_PLACE = re.compile(r"\b(?:window|screen|monitor|display|page|tab)s?$", re.IGNORECASE)
_FOR_ME = re.compile(r"^for me\s*[:,-]\s*", re.IGNORECASE)
# "make a note that …", "remind me about …", "send … to my phone saying …"
_LEAD_WORDS = {"that", "about", "to", "saying", "says"}
_TRAIL_WORDS = {"a", "an", "the", "for", "in", "at", "on", "to", "of", "and", "please"}
POLITE_WORDS = {"please", "thanks", "now"}
# Said around a request, never part of its value: the request's own (tokens.py) and
# these ("… now, would you").
_POLITE_TAILS = (*POLITE_TAILS, ("now",), ("right", "now"), ("for", "a", "second"),
                 ("would", "you"), ("could", "you"), ("will", "you"), ("ta",))
_POLITE_TAILS_LONGEST_FIRST = sorted(_POLITE_TAILS, key=len, reverse=True)
_POLITE_HEADS = {"please", "kindly"}
_WRAPPED = re.compile(r"^(?:(?:a|an|the|this)\s+(?:quick\s+)?(?:reminder|message|note|notification|"
                      r"text)\s*(?:to|that|saying|says|:)"
                      r"|(?:reminder|message|note|notification|text|this|the following)\s*:)\s*",
                      re.IGNORECASE)
# "copy … so I can paste it": why it is asked, not what; a message keeps it
_PURPOSE = re.compile(r"[\s,]+so(?:\s+that)?\s+(?:i|we|you)\s+(?:can|could|may|will)"
                      r"(?:\s+[\w']+){1,4}?\s+(?:it|them)(?:\s+later)?$", re.IGNORECASE)
# what "put … on" leaves after the thing put on: "on", and why ("… on for the lunch crowd")
_PUT_ON = re.compile(r"\s+on(?:\s+(?:for|while|whilst|as|so|because|till|until|during)\b.*)?$",
                     re.IGNORECASE)
_MESSAGE_TAILS = (("now",), ("right", "now"))  # "the meeting starts now"
_WHILE_CLAUSE = re.compile(r"[\s,]+(?:while|whilst|as|because|since|until|till|so(?:\s+that)?)\s+"
                           r"(?:i|we|you|he|she|they|it)\b.*$", re.IGNORECASE)
# "Ottawa, where I must travel for a hearing", "lock the cabinet, as the cleaners come at
# six": a reason after a comma; a message keeps it, a reminder's words do not
_COMMA_REASON = re.compile(r"\s*,\s*(?:as|because|since|so|where|whereas|given|seeing\s+as|"
                           r"in\s+case|now\s+that)\b.*$", re.IGNORECASE)
# "so that I remember to file the motion", "(5 minutes) from now to switch it off": what
# the reminder is for follows
_REMEMBER_TO = re.compile(r"^(?:(?:so\s+(?:that\s+)?)?(?:i|we)\s+(?:can\s+|will\s+)?"
                          r"remember\s+to|from\s+now(?:\s+to)?)\s+", re.IGNORECASE)
# the words tokens_of leaves out at the end of a sentence, which a message keeps
_ANY_MORE = re.compile(r"(\s+any\s*more)\W*$", re.IGNORECASE)
_SHAPES = {"url": ("url", "domain"), "path": ("path", "file")}
_APP_WORDS = re.compile(r"\s+(?:app|application|program|game)$"
                        r"|^(?:the\s+)?(?:app|application|program)\s+")
_DETERMINERS = r"(?:a|an|the|my|our|your|her|his|their|some|this|that)"
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
# "my documents folder, looking for an invoice": the folder's name ends at "folder"
_AFTER_FOLDER = re.compile(r"(?<=\s)(?:folder|directory)\b.+$")
_FOLDER_NAMED = re.compile(r"^(?:folder|directory)\s+(?:called|named)\s+(.+)$")


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
    folder = _folder_after(tokens[shaped[-1] + 1:end]) if kind == "path" and shaped \
        and tokens[shaped[-1]].kind == "file" else None
    if shaped:  # "browse to lwn.net for me": the address alone
        start, end = shaped[0], shaped[-1] + 1
    # "remind me to … at 6": little words at the edges are not part of the value; before
    # anything but a time they may be ("click sign in", "find log in on the screen").
    if end - start > 1 and tokens[start].text in _LEAD_WORDS:
        start += 1
    before_value = end < len(tokens) and tokens[end].kind in TYPED_SLOTS
    trail = _TRAIL_WORDS if before_value else POLITE_WORDS
    message = prop.get("x-message", False)
    kept = _kept_tail(tokens, start, end) if message else start
    while end - start > 1 and tokens[end - 1].text in trail:
        end -= 1
    start, end = _without_politeness(tokens, start, end)
    end = max(end, kept)
    if kind == "expression":  # "1024 / 8 = ?": the sum, not the question
        while end - start > 1 and tokens[end - 1].text in ("=", "equals"):
            end -= 1
    words = [t.text for t in tokens[start:end]]
    if prop.get("type") in ("integer", "number"):
        number = parse_number(words, 0)
        if number is None:
            return None
        value = -number[0] if _signed_minus(tokens, start) else number[0]
        return int(value) if prop.get("type") == "integer" else value
    # a sum keeps its operators as heard; other values are the words as written
    value = (_LEADING_DETERMINERS.sub("", _as_said(text, tokens[start:end]))
             if kind == "expression"  # "the square root of 169"
             else text[tokens[start].start:tokens[end - 1].end]).strip(_QUOTES)
    if message and end == len(tokens):  # "tell Bob I don't smoke anymore": its own words
        said_after = _ANY_MORE.match(text, tokens[-1].end)
        value += said_after.group(1) if said_after else ""
    if "x-colon-head" in prop:  # "my gas safe number to the clipboard: 584213"
        headed = re.match(rf"(?:{prop['x-colon-head']})\s*:\s+(?=\S)", value, re.IGNORECASE)
        value = value[headed.end():] if headed else value
    if "x-lead-words" in prop:  # "my email jane@…": the value is what follows
        value = _without_lead(value, prop["x-lead-words"], prop.get("x-lead-nouns", ()))
    quoted = [t for t in tokens[start:end] if t.kind == "quoted"]
    if kind in NAME_KINDS | {"text"} and len(quoted) == 1:  # "copy 'hi' onto …": "hi"
        value = text[quoted[0].start:quoted[0].end].strip(_QUOTES)
    if kind == "text":  # "send my phone a reminder to …": the reminder is what follows
        value = _WRAPPED.sub("", value) or value
        value = _FOR_ME.sub("", value) or value  # "copy this for me: order 88213"
        value = value if message else _PURPOSE.sub("", value)
    if kind in NAME_KINDS | {"text"} and not message:  # "… Kind of Blue while I draft this"
        value = _WHILE_CLAUSE.sub("", value) or value
    if kind in NAME_KINDS | {"text"} and (not message or prop.get("x-sheds-reasons")):
        value = _REMEMBER_TO.sub("", _COMMA_REASON.sub("", value) or value) or value
    if prop.get("x-ends-at-statement"):
        value = without_statement(value)
    if prop.get("x-put-on") and start > 0 and tokens[start - 1].text in ("put", "some"):
        value = _PUT_ON.sub("", value) or value  # "put some Nina Simone on for the crowd"
    if "x-ends-before" in prop:  # "celsius for my recipe": the unit is "celsius"
        value = _ended(value, prop["x-ends-before"])
    if "x-ends-at" in prop:  # "the accept button on the load board": "accept"
        value = _ended(value, prop["x-ends-at"], at_comma=False)
    if kind in NAME_KINDS:
        value = _LEADING_DETERMINERS.sub("", value.lower()).strip(_QUOTES)
        if kind == "label" and all(w in LABEL_STOP for w in value.split()):
            return None  # "kill all my timers": "all my" names no timer
        if kind == "label":  # "resume the paused tea timer": the timer is "tea"
            words = value.split()
            while words and words[0] in _LABEL_LEAD:  # "{label} timer" took "set the tea"
                words.pop(0)
            if len(words) > 1 and words[-1] in ("timer", "timers") \
                    and prop.get("x-names") == "timer":
                words.pop()  # "onto the patrol timer": the timer is "patrol"
            while len(words) > 1 and words[-1] in ("in", "on", "at") \
                    and prop.get("x-names") == "timer":
                words.pop()  # "the bread in [the oven]": the words ran out mid-place
            if not words:
                return None  # "make a timer": no name
            value = _length_name(TIMER_STATE.sub("", " ".join(words)) or value)
            value = TIMER_PLACE.sub("", value)
        if kind == "app":
            value = _APP_WORDS.sub("", value)
        if kind == "query":
            value = file_query(value)
    elif kind == "path" and not any(t.kind in ("path", "file") for t in tokens[start:end]):
        return spoken_folder(value) if looks_like_path(value) else None
    elif folder is not None:  # "recipe.txt in my documents folder"
        value = f"{folder}/{value}"
    if "x-drop-words" in prop:  # "the submit button": the button is "submit"
        value = _drop_edge_words(value, prop["x-drop-words"]).strip(_QUOTES)
        if value.lower() in prop["x-drop-words"]:
            return None  # "today weather": "today" is no place
    return value or None


def _signed_minus(tokens: list[Token], start: int) -> bool:
    """Whether the number starting at `start` is said negative: "-20 celsius", "minus
    20" or "negative 5" (not "5 minus 3" nor "5 - 3": a sum)."""
    if start == 0:
        return False
    before = tokens[start - 1]  # tokens_of makes a "minus" said as a sign a "-"
    return before.text == "-" and before.kind == "op" and (
        start < 2 or tokens[start - 2].kind not in ("num", "op"))


def below_minimum(props: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether a number said is below what its slot takes ("volume -20" sets no volume
    of -20: it turns it down)."""
    return any(isinstance(args.get(name), int | float) and "minimum" in prop
               and args[name] < prop["minimum"] for name, prop in props.items())


def _length_name(label: str) -> str:
    """A timer named by its length, in digits as timers are named: "twenty minute" →
    "20 minute"."""
    words = tokenize(label)
    number = parse_number(words, 0)
    if number is None or number[1] != len(words) - 1 or number[0] != int(number[0]) \
            or words[-1].rstrip("s") not in ("hour", "minute", "second"):
        return label
    return f"{int(number[0])} {words[-1].rstrip('s')}"


def refused_value(props: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether a value, without its articles, is one its slot says the tool is not meant
    for ("x-not-values"): "the office" is a room; "Study" and "Schwäbisch Hall" towns."""
    for name, prop in props.items():
        value = args.get(name)
        if "x-not-values" in prop and isinstance(value, str):
            bare = _LEADING_DETERMINERS.sub("", value).strip(_QUOTES)
            # "weather in Study": a name said alone and capitalised is a place's own
            if bare.lower() in prop["x-not-values"] and (bare != value or bare.islower()):
                return True
    return False


def lost_place(slots: dict[str, str], props: dict[str, Any], spans: dict[str, Any],
               text: str, tokens: list[Token]) -> bool:
    """Whether the words said where a folder goes are a place on the screen ("locate OK
    in the active window"), or where a value goes start with a word no such value starts
    with ("x-not-first-words": "start from 'make the glaze'" names no app), or right after
    a word that means another tool ("x-not-after"): then the tool is not meant."""
    for name, kind in slots.items():
        span = spans.get(name)
        said = text[tokens[span[0]].start:tokens[span[1] - 1].end] if span else ""
        if said and kind == "path" and not _PATH_PART.search(said) \
                and _SCREEN_PLACE.search(said):
            return True
        first = tokens[span[0]].text.lower() if span else ""
        if first and first in props.get(name, {}).get("x-not-first-words", ()):
            return True
        # "x-not-after": "turn it down to 20" sets a level, "… by 20" changes it
        before = tokens[span[0] - 1].text if span and span[0] > 0 else ""
        if before and before in props.get(name, {}).get("x-not-after", ()):
            return True
    # "find 'next' in the active window": a window named, the search is on the screen
    return "path" in slots.values() and _IN_A_WINDOW.search(text) is not None


_IN_A_WINDOW = re.compile(r"\b(?:in|on|of|from)\s+(?:the\s+|my\s+)?(?:active|current|focused)"
                          r"\s+window\b", re.IGNORECASE)


def _as_said(text: str, tokens: list[Token]) -> str:
    """The words of `tokens` as written, but an operator as heard ("12 and 30" after
    "add up" is "12 + 30")."""
    out, at = [], tokens[0].start
    for t in tokens:
        if t.start < at:  # the second word of "we're": the same characters
            continue
        said = text[t.start:t.end]
        out += [text[at:t.start], t.text if t.kind == "op" and said.lower() != t.text else said]
        at = t.end
    return "".join(out)


def without_tail(value: str, tails: tuple[tuple[str, ...], ...]) -> str:
    """`value` without a phrase at its end that the tool's examples say after the slot
    (`tails`, articles left out: "… to clipboard" for "… to the clipboard")."""
    parts = value.split()
    words = [p.lower().strip(_QUOTES) for p in parts]
    for tail in tails:
        k, n = len(words), len(tail)
        while n and k > 1:
            if words[k - 1] == tail[n - 1]:
                n -= 1
            elif words[k - 1] not in ARTICLES:
                break
            k -= 1
        if n == 0 and k > 0:
            return " ".join(parts[:k]).strip(_QUOTES)
    return value


def _kept_tail(tokens: list[Token], start: int, end: int) -> int:
    """Where a message ends when its own "now" stays part of it (else `start`)."""
    words = tuple(t.text for t in tokens[start:end])
    for tail in _MESSAGE_TAILS:
        if len(tail) < len(words) and words[-len(tail):] == tail:
            return end
    return start


def _ended(value: str, words: list[str], at_comma: bool = True) -> str:
    """`value` up to the first of `words` after its first word (or a comma); not at an
    "and" that a number follows ("3 feet and 2 inches" is one quantity, not 3 feet)."""
    parts = value.split()
    low = [p.lower().rstrip(",;:.!?") for p in parts]
    cut = next((k for k in range(1, len(parts)) if low[k] in words and not (
        low[k] == "and" and parse_number(low[k + 1:k + 2], 0) is not None)), len(parts))
    # nor past a comma: "how many miles is 10 kilometres, do you know"
    if at_comma:
        cut = next((k + 1 for k in range(cut) if parts[k].endswith(",")), cut)
    return " ".join(parts[:cut]).rstrip(",")


def _folder_after(tokens: list[Token]) -> str | None:
    """The folder a file name is said to be in, from the words after it ("in my
    documents folder" → "~/Documents"); None when they name no folder."""
    words = [t.text for t in tokens]
    if len(words) < 2 or words[0] not in ("in", "from", "on"):
        return None
    said = " ".join(words[1:])
    name = _FOLDER_WORDS.sub("", _LEADING_DETERMINERS.sub("", said))
    if said == name and name not in SPOKEN_FOLDERS and name != "home" or len(name.split()) > 3:
        return None  # "in full" is no folder; "my projects folder" is
    return spoken_folder(said)


def _without_lead(value: str, phrases: list[str], nouns: list[str] = ()) -> str:
    """`value` without a phrase saying what it is ("my email …", "the text …", "my
    address, 14 Elm Street"), or one ending on one of `nouns` before something with a
    digit in it ("the matter number 2024-CV-01187", "her NHS number 485 777 3456")."""
    low = value.lower()
    for phrase in sorted(phrases, key=len, reverse=True):
        if re.match(re.escape(phrase) + r"[,:]?\s", low) and value[len(phrase):].strip(_QUOTES):
            return value[len(phrase):].strip(_QUOTES)
    if nouns:
        named = re.match(rf"{_DETERMINERS}\s+(?:[\w'-]+\s+){{0,2}}?(?:{'|'.join(nouns)})[,:]?\s+"
                         r"(?=\S*\d)", value, re.IGNORECASE)
        if named and value[named.end():].strip(_QUOTES):
            return value[named.end():].strip(_QUOTES)
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


# A comma, then a clause saying something about the world rather than more of a name:
# a subject ("I'm out", "Leo missed the beginning") or a clipped one ("feeling
# nostalgic", "need a reference for …"). "eggs, milk and bread" is still a name.
_STATEMENT = re.compile(
    r"\s*,\s*(?:(?i:i|i'm|im|i've|i'd|we|we're|he|he's|she|she's|they|they're|it|it's|"
    r"my|our|his|her|their|there's|that's|feeling|need|needs|got|gotta|cos|cause|coz|"
    r"just|been)\s|[A-Z][\w-]*(?:'s)?\s+(?:is|was|has|had|says|said|just|missed|wants|"
    r"needs|loves|likes|found|brought|been|did|does|can't|won't)\b).*$")


def without_statement(value: str) -> str:
    """A name without a statement said after it and a comma: "bananas, Grandad's just
    brought some home" → "bananas"."""
    return _STATEMENT.sub("", value) or value


def without_politeness(value: str) -> str:
    """A value heard elsewhere (a Home Assistant intent's wildcard) without the
    politeness said after it: "Vera Lynn for me" → "Vera Lynn"."""
    return _POLITE_END.sub("", value) or value


_POLITE_END = re.compile(r"(?:[\s,]+(?:" + "|".join(
    r"\s+".join(map(re.escape, tail)) for tail in sorted(POLITE_TAILS, key=len, reverse=True))
    + r"))+[\s.!?,]*$", re.IGNORECASE)
_SUM = re.compile(r"\d\s*/\s*\d")
# "~", a leading "/", a file extension, or several parts of letters ("notes/work/cv")
_PATH_PART = re.compile(r"(?:^|\s)[~/]|\w\.[a-z][a-z0-9]{0,4}\b|[a-z][\w-]*/[a-z][\w-]*/",
                        re.IGNORECASE)


def looks_like_path(value: str) -> bool:
    """False for words with a sum in them and nothing that makes them a path:
    "calculate 12/4" given where a file or folder goes is no file of that name."""
    if _PATH_PART.search(value):
        return True
    # "in the active window", "on monitor 2": a place on the screen, not a folder
    return not (" " in value.strip() and _SUM.search(value) or _SCREEN_PLACE.search(value))


def spoken_folder(said: str) -> str:
    """A folder named in words as a path under home: "my documents folder" →
    "~/Documents", "home" → "~", "projects" → "~/projects" (find_files then looks for
    it without regard to case)."""
    said = _LEADING_DETERMINERS.sub("", said.strip().lower())
    named = _FOLDER_NAMED.match(said)  # "the folder called projects"
    said = _AFTER_FOLDER.sub("folder", named.group(1) if named else said)
    name = _FOLDER_WORDS.sub("", said).strip(_QUOTES)
    if name in ("", "home", "home folder"):
        return "~"
    return "~/" + SPOKEN_FOLDERS.get(name, name)


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
    said = [t.text for t in tokens]
    # "after all", "at all", "all right" say no "all"
    words = {w for k, w in enumerate(said)
             if not (w == "all" and ((k > 0 and said[k - 1] in ("after", "at"))
                                     or said[k + 1:k + 2] == ["right"]))}
    out, spoken = dict(args), f" {' '.join(said)} "
    for name, prop in props.items():
        if words & set(prop.get("x-true-when-said", ())):
            out[name] = True
        if name not in out and "x-negative-when-said" in prop and "default" in prop:
            out[name] = prop["default"]
        value = out.get(name)
        if isinstance(value, int | float) and value > 0 and \
                any(f" {w} " in spoken for w in prop.get("x-negative-when-said", ())):
            out[name] = -value  # a word or words ("too loud")
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
