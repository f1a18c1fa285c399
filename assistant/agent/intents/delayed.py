"""A timer with a command ("remind me to email anna in 90 minutes": Home Assistant's
delayed command) becomes a reminder; its text is what to be reminded of, without the
polite opening ("can you", "peux-tu") or the "remind me to" around it. These words
are ours, per language: Home Assistant has no reminder intent to take them from."""

from __future__ import annotations

import re

from assistant.agent.intents.polite import POLITE_END, POLITE_START

# The ways to ask to be reminded (what follows is the reminder), per language (package
# code, lower case).
_REMIND = {
    "en": r"(?:remind me|(?:don['’]?t|do not) let me forget|make sure i (?:remember|don['’]?t "
          r"forget)|(?:(?:set|make|create|add|give me|put in|schedule)(?: me)? )?(?:a |an )?"
          r"reminder(?: for me)?)(?: (?:to|about|that|of|for))?",
    "de": r"(?:erinnere?|erinnern sie) mich(?: bitte)?(?: daran)?(?: (?:dass|an))?"
          r"|mich(?: bitte)?(?: daran)? erinnern(?: (?:dass|an))?",
    "fr": r"(?:rappelle|rappelez)[- ](?:moi|nous)(?: (?:de|d'|que|qu'))?"
          r"|me rappeler(?: (?:de|d'|que|qu'))?",
    "es": r"(?:recuérdame|recordarme|recuerdame)(?: (?:que|de|a))?",
    "it": r"(?:ricordami|ricordarmi)(?: (?:di|che|a))?",
    "nl": r"(?:herinner|herinnert) (?:me|mij)(?: (?:eraan|aan))?(?: (?:om|dat))?"
          r"|(?:me|mij) (?:eraan )?herinneren(?: (?:om|dat|aan))?",
    "pt": r"(?:lembra|lembre|lembrar)[- ]me(?: (?:de|que|do|da))?|me (?:lembra|lembre|lembrar)"
          r"(?: (?:de|que|do|da))?",
    "ar": r"ذكّ?رني(?: بأن| أن| ب(?=ال)| ب)?",
}
# English keeps no leading article ("the laundry" → "laundry"), like the router's slots.
_ENGLISH_ARTICLE = re.compile(r"^(?:(?:a|an|the|my|some)\s+)+", re.IGNORECASE)


def reminder_text(command: str, language: str) -> str:
    """What to be reminded of in a timer's command, in the language it was said in;
    "" when the command says only "remind me"."""
    lang = language.lower().split("-")[0]
    text = " ".join(command.split()).strip(" ,.!?;:\"'")
    start, end, remind = (POLITE_START.get(lang), POLITE_END.get(lang), _REMIND.get(lang))
    if start is not None:
        text = re.sub(rf"^(?:{start})[ ,]+", "", text, flags=re.IGNORECASE)
    if end is not None:
        text = re.sub(rf"[ ,]+(?:{end})$", "", text, flags=re.IGNORECASE)
    if remind is not None:
        found = re.match(rf"^(?:{remind})(?:\b|(?<=['’])|(?<=ب))[ ,]*", text, re.IGNORECASE)
        if found is not None:
            text = text[found.end():]
        # "water the plants, remind me (in 30 minutes)": the request after the reminder.
        text = re.sub(rf"[ ,]+(?:{remind})$", "", text, flags=re.IGNORECASE)
    text = text.strip(" ,")
    return _ENGLISH_ARTICLE.sub("", text) if lang == "en" else text


def said_first(command: str, text: str, language: str) -> bool:
    """The sentence opens with the command itself, after a polite opening at most, and
    not with a request to be reminded ("announce that we're leaving in five minutes",
    not "remind me to …" nor "in five minutes, …")."""
    lang = language.lower().split("-")[0]
    # hassil's command has no punctuation: "broadcast: meeting starts in five minutes"
    said = " ".join(re.sub(r"[^\w\s']", " ", text).split()).casefold()
    wanted = " ".join(re.sub(r"[^\w\s']", " ", command).split()).casefold()
    start, remind = POLITE_START.get(lang), _REMIND.get(lang)
    if start is not None:
        said = re.sub(rf"^(?:{start})[ ,]+", "", said, flags=re.IGNORECASE)
        wanted = re.sub(rf"^(?:{start})[ ,]+", "", wanted, flags=re.IGNORECASE)
    if not wanted or not said.startswith(wanted):
        return False
    return remind is None or re.match(rf"^(?:{remind})\b", wanted, re.IGNORECASE) is None
