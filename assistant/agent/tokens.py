"""Utterance tokens that remember where they came from: contractions expanded, leading
filler and polite tails dropped, a question asked the indirect way asked plainly. Typed
values (durations, clock times, days) are masked by value_masks.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.agent.numbers import is_number_word
from assistant.agent.typed_words import INTERJECTIONS, OWNED, OWNERS, PLAIN_VERBS, expand

# masked tokens standing for a typed value: seconds, "HH:MM", days from today
DURATION, TIME, DAY = "<duration>", "<time>", "<day>"
TYPED_SLOTS = {"duration": DURATION, "time": TIME, "day": DAY}
# "example.com" is an address, "notes.txt" a file name.
_TLDS = {"com", "org", "net", "io", "dev", "app", "edu", "gov", "uk", "de", "fr", "eu", "co",
         "info", "ai", "me", "tv", "us", "ca", "au", "nl", "se", "ch", "it", "es", "jp"}

_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s,]+|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/[^\s,]*)"
    # arithmetic signs ("(4 + 6) * 3"); "-" and "/" standing alone ("99 / 3"), and "/"
    # between numbers ("1/0", "3/4": a sum typed, never a path)
    r"|(?P<op>(?:(?<=\s)|(?<=^))(?:[-/](?=\s)|-(?=\d))|(?:(?<=[\d)])|(?<=[\d)]\s))/(?=\s?[\d(])"
    r"|[+*×÷^%()=])"
    # a path starts a word: ~/…, ./…, /…; relative ("notes/todo.txt", "src/app/main")
    # when it names a file or has three parts, so "and/or" stays two words
    r"|(?P<path>(?<![\w)])(?:(?:~|\.{1,2})?/[^\s,!?]*|~(?=\s|$)"
    r"|[\w-]+(?:/[\w.-]+)*/[\w-]+(?:\.[\w-]+)*\.[a-z][a-z0-9]{0,4}\b"
    r"|[a-z][\w-]*(?:/[a-z][\w-]*){2,}/?))"
    r"|(?P<clock>\b\d{1,2}:\d{2}\b)"
    r"|(?P<file>\b[\w-]{2,}(?:\.[\w-]+)*\.[a-z][a-z0-9]{0,4}\b)"
    r"|(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)?)",
    re.IGNORECASE,
)
# A "." after these ends no sentence nor clause ("call Mr. Haldane", "Dr. Smith moved it").
_ABBREVIATED = ("Mr", "Mrs", "Ms", "Dr", "St", "Prof", "Mt", "Jr", "Sr", "vs", "etc", "approx",
                "Ave", "Rd", "Inc", "Ltd")
NOT_ABBREVIATED = "".join(rf"(?<!\b(?i:{a}))" for a in _ABBREVIATED)  # before its "."
NOT_AFTER_ABBREVIATION = "".join(rf"(?<!\b(?i:{a})\.)" for a in _ABBREVIATED)
# Said before the command and meaningless to routing.
# The wake words' own words too: the pre-roll can carry the end of "okay nabu" ("Naboo,").
LEADING_FILLER = {"hey", "hi", "ok", "okay", "jarvis", "nabu", "naboo", "heron", "please", "yo",
                  "so", "um", "uh", "can", "could", "would", "will", "you", "tell", "me",
                  "kindly", "possibly", "maybe", "bro", "pls", "plz", "perhaps",
                  *INTERJECTIONS}  # "eish, set a timer …", "oh go back to the one before"
# Cheap to ignore when they appear where an example has nothing.
FILLER = LEADING_FILLER | {"now", "thanks", "thank", "just", "quickly", "again", "for",
                           "a", "an", "the", "my", "me", "to", "up", "of", "right", "away",
                           "like", "actually", "oh", "well", "and", "then", "exactly",
                           "precisely", "us"}
# Too short or too common to be fuzzy-matched to anything but themselves.
STOPWORDS = {"a", "an", "the", "my", "is", "to", "for", "of", "in", "on", "me", "i", "it",
             "at", "and", "this", "that", "what", "are", "be", "do", "with", "by", "from"}
# Never a slot value on their own ("remind me in five minutes": "me" is not the text).
# Names (a "hey jarvis" timer) can be, so the greeting words are not in this set.
NOT_A_VALUE = (FILLER - {"hey", "hi", "jarvis", "nabu", "naboo", "heron", "ok", "okay"}) \
    | STOPWORDS


@dataclass(frozen=True)
class Token:
    text: str  # lowercased, contractions expanded; DURATION/TIME for masked values
    start: int  # character span in the original utterance
    end: int
    kind: str = "word"  # word | num | url | domain | path | file | clock | duration | time
    # | quoted (words in quotes, one value)
    value: object = None  # seconds for a duration, "HH:MM" for a time


# Words in quotes are one value, as typed: "find 'Run workflow' in this window". An
# apostrophe inside a word ("'don't stop'") or after one ("the kids' toys") is no quote.
_QUOTED = re.compile(r"(?<![\w'\"‘’“”])(?:\"(?=\S)([^\"]+?)(?<=\S)\"|“(?=\S)([^”]+?)(?<=\S)”"
                     r"|'(?=\S)((?:[^'\n]|(?<=\w)'(?=\w))+?)(?<=\S)'"
                     r"|‘(?=\S)([^’]+?)(?<=\S)’)(?!\w)")


def quoted_spans(text: str) -> list[tuple[int, int, str]]:
    """Each quoted part of `text` (its characters, quotes included, and its words), but
    not a whole request in quotes."""
    bare = text.strip(" .!?")
    return [(m.start(), m.end(), next(g for g in m.groups() if g))
            for m in _QUOTED.finditer(text) if m.group() != bare]


def tokens_of(text: str) -> list[Token]:
    """Tokens with character offsets; contractions expanded ("what's" → what is) and
    leading filler ("hey jarvis, could you") dropped; words in quotes are one token."""
    out: list[Token] = []
    quoted = quoted_spans(text)
    texted = -1  # the end of a texted "every1" (its "1" is no number)
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        start, end = m.span()
        if start < texted:
            continue
        if kind == "word" and _TEXTED_ONE.match(text, start):  # "tell every1 in the house"
            texted = end + 1
            out.append(Token(_TEXTED_ONES[m.group().lower()], start, texted))
            continue
        inside = next((q for q in quoted if q[0] <= start < q[1]), None)
        if inside is not None:
            if not out or out[-1].kind != "quoted" or out[-1].start != inside[0]:
                out.append(Token(inside[2].lower(), inside[0], inside[1], "quoted"))
            continue
        raw = m.group().lower()
        if kind in ("url", "path", "file"):
            trimmed = raw.rstrip(".!?)")
            end -= len(raw) - len(trimmed)
            raw = trimmed
        if kind == "file" and raw.rsplit(".", 1)[-1] in _TLDS:
            kind = "domain"
        if kind == "num":
            raw = raw.replace(",", "")
            out.append(Token(raw, start, end, kind))
            continue
        if kind != "word":
            out.append(Token(raw, start, end, kind))
            continue
        if raw in ("minus", "negative") and (not out or out[-1].kind not in ("num", "op")) \
                and re.match(r"\s*\d", text[end:]):
            out.append(Token("-", start, end, "op"))  # "minus 20 celsius": a sign
            continue
        out.extend(Token(w, start, end) for w in expand(raw))
    request = _comparatives(_please_after_verb(_plain_verb(_owned(
        _asked_plainly(out[_request_start(out):])))))
    return _summed(_verb_sum(_join_todo(_without_polite_tail(_timer_kinds(request)))))


# Timers named for what they are: "pause the pomodoro" is the pomodoro timer.
_TIMER_KINDS = {"pomodoro"}
TIMER_NOUNS = {"timer", "timers", "countdown"}


def _timer_kinds(tokens: list[Token]) -> list[Token]:
    if any(t.text in TIMER_NOUNS for t in tokens):  # "timer 25m label pomodoro"
        return tokens
    out: list[Token] = []
    for t in tokens:
        out.append(t)
        if t.text in _TIMER_KINDS:
            out.append(Token("timer", t.start, t.end))
    return out


_TEXTED_ONES = {"some": "someone", "every": "everyone", "any": "anyone", "no": "nobody"}
_TEXTED_ONE = re.compile(r"(?i:some|every|any|no)1(?![\w])")


def _asked_plainly(tokens: list[Token]) -> list[Token]:
    """A question asked the indirect way is asked plainly: "(tell me) what 48 times 17
    is" → "what is 48 times 17"; "2 to the power of 10 is how much" → "how much is …"."""
    words = [t.text for t in tokens]
    if len(words) > 2 and words[0] == "what" and words[-1] in ("is", "are") \
            and words[1] not in ("is", "are", "was"):
        return [tokens[0], tokens[-1], *tokens[1:-1]]
    if len(words) > 3 and words[-3:-1] == ["is", "how"] and words[-1] in ("much", "many"):
        return [*tokens[-2:], tokens[-3], *tokens[:-3]]
    return tokens


# Said before a request, never part of it ("would you be so kind as to read …").
POLITE_HEADS = (("be", "so", "kind", "as", "to"), ("i", "was", "wondering", "if", "you", "could"),
                ("do", "you", "think", "you", "could"), ("is", "it", "possible", "to"),
                ("i", "would", "like", "you", "to"), ("would", "you", "mind"),
                ("do", "you", "mind"), ("go", "ahead", "and"), ("i", "wonder", "if"),
                ("i", "wonder", "whether"), ("i", "wonder"),
                ("i", "would", "be", "grateful", "if", "you", "could"),
                ("i", "would", "be", "grateful", "if", "you", "would"),
                ("i", "should", "be", "grateful", "if", "you", "would"),
                ("i", "should", "be", "grateful", "if", "you", "could"),
                ("any", "chance", "you", "could"), ("any", "chance", "you", "can"),
                ("is", "there", "a", "way", "to"), ("is", "there", "any", "way", "to"),
                ("would", "it", "be", "possible", "to"), ("would", "it", "be", "possible",
                                                           "for", "you", "to"),
                ("i", "was", "hoping", "you", "would"), ("i", "was", "hoping", "you", "could"),
                ("i", "would", "love", "it", "if", "you", "could"),
                ("i", "would", "love", "to", "know"), ("i", "would", "like", "to", "know"),
                ("i", "need", "to", "know"), ("i", "want", "to", "know"),
                ("what", "if", "you"), ("how", "about", "you"),
                ("i", "would", "ask", "that", "you"), ("i", "would", "ask", "you", "to"),
                ("i", "would", "appreciate", "it", "if", "you", "could"),
                ("i", "would", "appreciate", "it", "if", "you", "would"),
                ("i", "am", "requesting", "you", "to"), ("i", "request", "you", "to"),
                ("i", "would", "love", "it", "if", "you"),
                ("i", "would", "appreciate", "it", "if", "you"),
                ("it", "would", "be", "great", "if", "you"),
                # someone asking for another: "she wants to know what day it is"
                ("she", "wants", "to", "know"), ("he", "wants", "to", "know"),
                ("they", "want", "to", "know"), ("she", "is", "asking"), ("he", "is", "asking"),
                ("they", "are", "asking"))
# Lead-ins after which the request is said as a gerund ("would you mind pausing it").
GERUND_HEADS = {("would", "you", "mind"), ("do", "you", "mind")}
# … or in the past tense ("i'd love it if you reminded me …")
PAST_HEADS = {("i", "would", "love", "it", "if", "you"),
              ("i", "would", "appreciate", "it", "if", "you"),
              ("it", "would", "be", "great", "if", "you")}
# "is it possible to see how long …": the asking is the request
_ASK_VERBS = {"see", "check", "know", "learn"}
_ASKED = {"how", "what", "when", "where", "whether", "if", "which", "who", "what's", "how's"}
_IRREGULAR_PAST = {"told": "tell", "took": "take", "gave": "give", "made": "make",
                   "found": "find", "ran": "run", "wrote": "write", "brought": "bring",
                   "sent": "send", "rang": "ring", "got": "get", "kept": "keep",
                   "threw": "throw", "showed": "show", "put": "put", "set": "set",
                   "read": "read", "shut": "shut", "cut": "cut", "let": "let"}
_GERUND = re.compile(r"^([a-z]{2,})ing$")
_VOWEL_GROUPS = re.compile(r"[aeiou]+")
# after a short vowel that had an e: "delet(e)", "updat(e)", "resum(e)", "compar(e)"
_E_ENDINGS = ("um", "et", "at", "ut", "ar", "ir", "ag")


def verb_of(gerund: str) -> str | None:
    """The verb a gerund is said of by the spelling rules ("telling" → "tell", "stopping"
    → "stop", "closing" → "close", "cancelling" → "cancel"); None for no gerund."""
    found = _GERUND.match(gerund)
    if found is None:
        return None
    base = found.group(1)
    groups = len(_VOWEL_GROUPS.findall(base))
    last, before = base[-1], base[-2]
    if len(base) == 3 and last == before and base[0] in "aeiou":
        return base  # "add", "egg"
    if last == before and last not in "aeiou":  # a doubled consonant
        if last in "lsfz" and not (groups > 1 and base.endswith("ell")):
            return base  # "tell", "call", "kiss"; but "cancel(l)", "label(l)"
        return base[:-1]  # "stop", "set", "run"
    if last == "v" or last in "sz" and before in "aeiou":  # "save", "close", "pause"
        return base + "e"
    if last in "aeiouwxy" or before not in "aeiou" or groups == 0:
        return base  # "play", "show", "turn", "start"
    if len(base) > 2 and base[-3] in "aeiou":  # "read", "look", "repeat"
        return base
    if groups == 1 or base.endswith(_E_ENDINGS):  # "make", "write", "delete", "resume"
        return base + "e"
    return base  # "open", "visit", "listen", "enter"


def verb_of_past(word: str) -> str | None:
    """The verb a past tense is said of ("reminded" → "remind", "paused" → "pause",
    "copied" → "copy", "told" → "tell"); None for none."""
    if word in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[word]
    if len(word) > 4 and word.endswith("ied"):
        return word[:-3] + "y"
    return verb_of(word[:-2] + "ing") if len(word) > 4 and word.endswith("ed") else None


_MORE = {"quiet": "quieter", "loud": "louder", "soft": "softer", "short": "shorter",
         "long": "longer"}


def _comparatives(tokens: list[Token]) -> list[Token]:
    """"more quiet" is "quieter" ("make the sound more quiet")."""
    out: list[Token] = []
    for tok in tokens:
        if out and out[-1].text == "more" and tok.text in _MORE:
            out[-1] = Token(_MORE[tok.text], out[-1].start, tok.end)
        else:
            out.append(tok)
    return out


def _owned(tokens: list[Token]) -> list[Token]:
    """"her screen", "his shopping list": someone helping says whose; to the tools it is
    the user's own ("my")."""
    return [Token("my", t.start, t.end) if t.text in OWNERS and k + 1 < len(tokens)
            and tokens[k + 1].text in OWNED else t for k, t in enumerate(tokens)]


def _plain_verb(tokens: list[Token]) -> list[Token]:
    """A casual verb opening the request is the plain one ("throw oat milk on the list");
    "remind her" and "remember me" (said for "remind me") are "remind me"."""
    if len(tokens) > 1 and tokens[0].text in PLAIN_VERBS:
        tokens = [Token(PLAIN_VERBS[tokens[0].text], tokens[0].start, tokens[0].end),
                  *tokens[1:]]
    words = [t.text for t in tokens[:7]]
    for k in (5, 6):  # "i (would) like to be reminded …" is "remind me …"
        if len(tokens) > k + 1 and words[k - 2:k] == ["be", "reminded"] and words[0] == "i" \
                and words[k - 3] == "to" and words[k - 4] in ("like", "want", "need", "wish"):
            tokens = [Token("remind", tokens[0].start, tokens[k - 1].end),
                      Token("me", tokens[k - 1].end, tokens[k - 1].end), *tokens[k:]]
            break
    if len(tokens) > 2 and tokens[0].text in ("remind", "remember") \
            and tokens[1].text in ("me", "her", "him", "them", "us"):
        tokens = [Token("remind", tokens[0].start, tokens[0].end),
                  Token("me", tokens[1].start, tokens[1].end), *tokens[2:]]
    return tokens


def _please_after_verb(tokens: list[Token]) -> list[Token]:
    """"play please the song …", "click please on Next": a "please" (or "kindly") said
    right after the verb is no word of the command."""
    if len(tokens) > 2 and tokens[1].text in ("please", "kindly") and tokens[0].kind == "word":
        return [tokens[0], *tokens[2:]]
    return tokens


def _request_start(tokens: list[Token]) -> int:
    """Where the request starts: after leading filler and polite lead-ins. After "would
    you mind" the verb is a gerund: its verb is the command word ("resuming" → "resume",
    "stopping" → "stop")."""
    i, changed = 0, True
    while changed:
        changed = False
        for head in POLITE_HEADS:  # before the filler: "would" opens "would you mind"
            if len(head) < len(tokens) - i and \
                    tuple(t.text for t in tokens[i:i + len(head)]) == head:
                i += len(head)
                changed = True
                verb = verb_of(tokens[i].text) if head in GERUND_HEADS else \
                    verb_of_past(tokens[i].text) if head in PAST_HEADS else None
                if verb:
                    tokens[i] = Token(verb, tokens[i].start, tokens[i].end)
                if tokens[i].text in _ASK_VERBS and len(tokens) > i + 2 \
                        and tokens[i + 1].text in _ASKED:
                    i += 1
        while i < len(tokens) - 1 and tokens[i].text in LEADING_FILLER:
            i += 1
            changed = True
        # "help me open whatsapp": a request said as help with it ("help me with this
        # error" asks for the help itself)
        if [t.text for t in tokens[i:i + 2]] == ["help", "me"] and len(tokens) > i + 3 \
                and tokens[i + 2].text not in _HELP_WITH:
            i += 2
            changed = True
    return i


_HELP_WITH = {"with", "out", "understand", "to", "please", "now", "here"}


# Said after a request, never part of it nor of its values ("… for me, if you don't
# mind"); slots.py adds the ones only a value sheds.
POLITE_TAILS = (("please",), ("thanks",), ("thank", "you"), ("for", "me"), ("cheers",),
                ("for", "a", "moment"), ("for", "a", "bit"), ("for", "a", "sec"),
                ("if", "you", "do", "not", "mind"), ("if", "you", "would"),
                ("if", "you", "can"), ("if", "possible"), ("any", "more"), ("anymore",),
                ("real", "quick"), ("for", "her"), ("for", "him"), ("for", "them"),
                ("for", "us"), ("eh",), ("lol",), ("ta",), ("rn",), ("or", "what"),
                ("mate",), ("bro",), ("pls",), ("plz",), ("lmao",), ("innit",),
                # Singapore/Malaysia and South Africa: "open whatsapp lah", "can or not"
                ("lah",), ("leh",), ("lor",), ("ah",), ("can", "or", "not"), ("hey",),
                ("asap",), ("quick",), ("quickly",), ("thx",), ("ty",))
# … and after a whole request only ("what's on my list at the moment")
_SENTENCE_TAILS = (*POLITE_TAILS, ("at", "the", "moment"), ("please", "tell", "me"),
                   ("tell", "me"), ("to", "her"), ("to", "him"), ("to", "them"))
# Little words before a name that are not part of it ("the", "my")
ARTICLES = frozenset({"a", "an", "the", "my", "your"})


def _without_polite_tail(tokens: list[Token]) -> list[Token]:
    end, changed = len(tokens), True
    while changed:
        changed = False
        for tail in _SENTENCE_TAILS:
            if len(tail) < end and tuple(t.text for t in tokens[end - len(tail):end]) == tail:
                end -= len(tail)
                changed = True
    return tokens[:end]


# After these, "and" between numbers is a plus: "add up 12 and 30", "the sum of 4 and 5".
SUM_HEADS = (("add", "up"), ("sum", "of"), ("total", "of"), ("add", "together"))
# … when they open the request, perhaps as a question ("what is the sum of …"); said
# inside a note or a reminder ("the total of 5 and 6 is eleven") they are its words
_SUM_LEAD = {"what", "is", "the", "calculate", "work", "out", "tell", "me", "give"}


_VERB_OPS = {"divide": "/", "multiply": "*"}


def _verb_sum(tokens: list[Token]) -> list[Token]:
    """"divide 100 by 8" is "100 / 8"; "multiply 6 by 7" "6 * 7" (the verb opening
    the request, numbers on both sides of "by")."""
    words = [t.text for t in tokens]
    k = 0
    while k < len(words) and words[k] in _SUM_LEAD:
        k += 1
    if k >= len(words) or words[k] not in _VERB_OPS or "by" not in words[k + 1:]:
        return tokens
    by = words.index("by", k + 1)
    before, after = words[k + 1:by], words[by + 1:]
    if not before or not after or not all(is_number_word(w) for w in before) \
            or not is_number_word(after[0]):
        return tokens
    op = Token(_VERB_OPS[words[k]], tokens[by].start, tokens[by].end, "op")
    return [*tokens[:k], *tokens[k + 1:by], op, *tokens[by + 1:]]


def _summed(tokens: list[Token]) -> list[Token]:
    """"add up 12 and 30": the "and" between the numbers is an operator ("+")."""
    words = [t.text for t in tokens]
    heads = [k + len(h) for k in range(len(words)) for h in SUM_HEADS
             if tuple(words[k:k + len(h)]) == h and set(words[:k]) <= _SUM_LEAD]
    if not heads:
        return tokens
    out = list(tokens)
    for k in range(min(heads) + 1, len(tokens) - 1):
        if words[k] == "and" and is_number_word(words[k - 1]) and is_number_word(words[k + 1]):
            out[k] = Token("+", tokens[k].start, tokens[k].end, "op")
    return out


def _join_todo(tokens: list[Token]) -> list[Token]:
    """"to-do list" / "to do list": one word naming the list, not two little words."""
    out: list[Token] = []
    for k, tok in enumerate(tokens):
        after = tokens[k + 1].text if k + 1 < len(tokens) else ""
        if tok.text == "do" and out and out[-1].text == "to" and after in ("list", "lists"):
            out[-1] = Token("todo", out[-1].start, tok.end)
            continue
        out.append(tok)
    return out
