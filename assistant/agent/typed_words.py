"""Words as people type them: contractions ("can't" → can not), shorthand ("vol",
"tmrw") and the casual verbs a request opens with ("chuck on some jazz" → put on)."""

from __future__ import annotations

_IS_WORDS = {"what", "it", "that", "there", "how", "who", "where", "when", "here"}
# Verbs people open a request with for "put" and "remove" ("throw oat milk on the list",
# "chuck on some jazz", "bin the crisps off the list").
PLAIN_VERBS = {"throw": "put", "chuck": "put", "bung": "put", "pop": "put", "slap": "put",
               "whack": "put", "toss": "put", "bin": "remove", "ditch": "remove",
               "crank": "turn", "knock": "take", "tack": "add", "stick": "put"}

# Interjections said before a request, never part of it ("eish, set a timer …", "oh
# never mind", "well, open firefox").
INTERJECTIONS = {"oh", "ah", "eish", "aiyah", "aiya", "hmm", "erm", "er", "oops", "ugh",
                 "argh", "well", "alright", "actually", "sorry", "wait"}

# Whose things someone helping names ("her screen", "his to-do list") and the things.
OWNERS = {"her", "his", "their", "your"}
OWNED = {"screen", "computer", "laptop", "pc", "phone", "list", "timer", "timers", "notes",
         "note", "clipboard", "camera", "webcam", "music", "volume", "sound", "files", "file",
         "folder", "documents", "desktop", "pictures", "downloads", "shopping", "todo",
         "monitor", "display", "window", "song", "playlist", "reminder", "reminders"}


def expand(word: str) -> list[str]:
    """One typed word as the words it stands for: "what's" → what is, "vol" → volume."""
    if word in _TYPED_SHORT:
        return _TYPED_SHORT[word].split()
    base, _, tail = word.partition("'")
    base = _TYPED_SHORT.get(base, base) if tail else base  # "whit's" → what is
    if tail == "s":
        return [base, "is"] if base in _IS_WORDS else [base]
    if tail == "re":
        return [base, "are"]
    if tail == "ll":
        return [base, "will"]
    if tail in _CONTRACTED:  # "i'm", "i've", "i'd"
        return [base, _CONTRACTED[tail]]
    if tail == "t" and base.endswith("n"):
        # "can't" is "can not", "won't" "will not"; else the n belongs to "not"
        return [_NEGATED.get(base, base[:-1] or base), "not"]
    return [word]


_CONTRACTED = {"m": "am", "ve": "have", "d": "would"}
# How people shorten words when they type ("vol 30", "weather tmrw", "pls").
_TYPED_SHORT = {"vol": "volume", "tmrw": "tomorrow", "tmr": "tomorrow",
                "pls": "please", "plz": "please", "thx": "thanks", "msg": "message",
                "pic": "picture", "pics": "pictures", "docs": "documents", "prev": "previous",
                "rm": "remove", "calc": "calculate", "whats": "what is", "hows": "how is",
                "wheres": "where is", "nvm": "never mind", "abt": "about", "rn": "right now",
                "lemme": "let me", "cmd": "command", "tf": "",
                # Scots: "whit's the weather the morra", "knock it doon a wee bit"
                "whit": "what", "aff": "off", "tae": "to", "doon": "down", "gonnae": "going to",
                "morra": "tomorrow", "ye": "you", "gaun": "going", "wis": "was", "wee": "",
                "oot": "out",
                # texting: "ur music", "im going live", "add em", "check the cam"
                "u": "you", "ur": "your", "im": "i am", "theyre": "they are", "dont": "do not",
                "cant": "can not", "cam": "camera", "tunes": "music", "em": "them",
                "gonna": "going to", "wanna": "want to", "gotta": "have to"}
_NEGATED = {"can": "can", "won": "will", "shan": "shall"}
