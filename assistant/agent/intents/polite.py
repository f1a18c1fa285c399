"""Words that only make a request polite ("could you", "please", "s'il te plaît"), per
language (package code, lower case), and free slots (a message, a search, a list item)
without them. These words are ours: the templates' skip words do not reach into the
words a wildcard took ("announce please: lunch is ready")."""

from __future__ import annotations

import re

POLITE_START = {
    # "hey", "ok", "so" set apart by a comma: "play OK Computer" names an album
    "en": r"(?:please|kindly|(?:hey|ok|okay|so)(?=,)|(?:can|could|would|will) you"
          r"(?: please| possibly| maybe| kindly)?|i want you to|i'd like you to)",
    "de": r"(?:bitte|(?:kannst|könntest|würdest) du(?: bitte)?|(?:können|könnten) sie)",
    "fr": r"(?:s'il te plaît|s'il vous plaît|stp|(?:peux|pourrais)[- ]tu|tu peux|"
          r"(?:pouvez|pourriez)[- ]vous|vous pouvez)",
    "es": r"(?:por favor|(?:puedes|podrías|puede|podría)(?: por favor)?)",
    "it": r"(?:per favore|(?:puoi|potresti)(?: per favore)?)",
    "nl": r"(?:alsjeblieft|(?:kun|kan|wil) je)",
    "pt": r"(?:por favor|(?:podes|pode|poderia|podia)(?: por favor)?)",
    "ar": r"(?:من فضلك|لو سمحت|(?:هل )?(?:يمكنك|ممكن|تستطيع))",
}
POLITE_END = {
    "en": r"(?:please|thanks|thank you)", "de": r"(?:bitte|danke)",
    "fr": r"(?:s'il te plaît|s'il vous plaît|stp|merci)", "es": r"(?:por favor|gracias)",
    "it": r"(?:per favore|grazie)", "nl": r"(?:alsjeblieft|alstublieft|dank je)",
    "pt": r"(?:por favor|obrigad[oa])", "ar": r"(?:من فضلك|لو سمحت|شكرا)",
}
# Who a broadcast is for, said before the message ("announce to the house that …").
# Said before a colon and the message, naming it or whom it is for ("broadcast this: …",
# "announce to the shop: card machine's down").
COLON_HEAD_EN = r"this|that|the following|to [\w' ]{1,30}"
_COLON_HEADS = {"en": COLON_HEAD_EN}
_ADDRESSEES = {
    "en": r"to (?:the )?(?:whole )?(?:house|home|household|family|kids|room|everyone|"
          r"everybody|all)(?: (?:that|saying))?|that",
}


# How a message is framed before it is said ("a message saying …", "the following: …").
# A noun phrase only counts when "saying"/"that" or a colon (in what was said) follows:
# "announce the message is ready" says "the message is ready", and "the following bus
# is late" is about a bus.
_FRAMES = {
    "en": (r"(?:saying|that says|which says|reading)",
           r"(?:(?:a|an|the|this|my) (?:message|announcement|broadcast|note)|the following"
           r"(?: (?:message|announcement))?)(?: (?:to|for) (?:the )?(?:whole )?(?:house|home|"
           r"family|kids|everyone|everybody|all))?",
           r"(?:saying|that says|which says|reading|that)"),
}


def _code(language: str) -> str:
    return language.lower().split("-")[0]


def without_polite(value: str, language: str, said: str = "", keep_start: bool = False
                   ) -> str:
    """A free slot's words without a polite ending, nor a polite opening (with
    `keep_start`, only one the user set apart in `said`: "please: lunch is ready", not
    the "please" of "announce please be quiet")."""
    lang = _code(language)
    text = " ".join(value.split()).strip(" ,.!?;:\"'")
    end, start = POLITE_END.get(lang), POLITE_START.get(lang)
    if end is not None:
        text = re.sub(rf"[ ,]+(?:{end})$", "", text, flags=re.IGNORECASE)
    if start is not None:
        opening = re.match(rf"(?:{start})\b[ ,]*", text, re.IGNORECASE)
        if opening is not None and text[opening.end():] and (
                not keep_start or re.search(rf"\b{re.escape(opening.group().strip(' ,'))}"
                                            r"\s*[:,;!.]", said, re.IGNORECASE)
                # "announce please that we leave": "that" opens the message
                or re.match(r"that\b", text[opening.end():], re.IGNORECASE)):
            text = text[opening.end():]
    return text.strip(" ,")


def broadcast_message(value: str, language: str, said: str = "") -> str:
    """What to announce, without the polite words or whom it is for."""
    text = without_polite(value, language, said, keep_start=True)
    addressee = _ADDRESSEES.get(_code(language))
    if addressee is not None:
        found = re.match(rf"(?:{addressee})\b[ ,:]*", text, re.IGNORECASE)
        if found is not None and text[found.end():]:
            text = text[found.end():]
    message = as_said(_unframed(text, language, said), said)
    head = _COLON_HEADS.get(_code(language))
    headed = re.match(rf"(?:{head})\s*:\s+(?=\S)", message, re.IGNORECASE) if head else None
    return message[headed.end():] if headed else message


def as_said(value: str, said: str) -> str:
    """`value`'s words as they were written in `said`, with the commas and colons
    between them that the templates' matching dropped ("dinner's ready, come in"); the
    value itself when its words are not found there in order."""
    words = re.findall(r"\w+(?:'\w+)*", value)
    if not words or not said:
        return value
    found = re.search(r"(?<!\w)" + r"[^\w']+".join(re.escape(w) for w in words) + r"(?!\w)",
                      said, re.IGNORECASE)
    return said[found.start():found.end()] if found is not None else value


def _unframed(text: str, language: str, said: str) -> str:
    """The message without the words that frame it: "a message saying time for bed" →
    "time for bed"; "a message" alone only when a colon followed it in `said`."""
    frames = _FRAMES.get(_code(language))
    if frames is None:
        return text
    lead, noun, joint = frames
    found = re.match(rf"(?:{lead}|{noun}[ ,]+{joint})\b[ ,:]*", text, re.IGNORECASE)
    if found is None:
        noun_only = re.match(rf"(?:{noun})\b", text, re.IGNORECASE)
        if noun_only is not None and re.search(
                rf"\b{re.escape(noun_only.group())}\s*:", said, re.IGNORECASE):
            found = re.match(rf"(?:{noun})\b[ ,:]*", text, re.IGNORECASE)
    rest = text[found.end():] if found is not None else ""
    return rest if rest.strip() else text
