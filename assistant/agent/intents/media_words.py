"""A "search and play" that names nothing to search for ("play the next one", "play it
again", "play something") is a player command: the next or previous track, or carry on.
Home Assistant's `play {search_query}` takes any words; these word lists are ours, per
language (package code), and a language without them keeps the search."""

from __future__ import annotations

import re

NEXT, PREVIOUS, RESUME = "media_next", "media_previous", "media_resume"
_WORD = re.compile(r"[\w']+", re.UNICODE)
# Words that say which track without naming one, and words that name nothing at all
# (articles, pronouns, "music", "again", politeness).
_NEXT = {"en": frozenset({"next", "following"})}
_PREVIOUS = {"en": frozenset({"previous", "last", "before"})}
_NOTHING = {"en": frozenset({
    "the", "a", "an", "my", "our", "it", "this", "that", "one", "ones", "same", "some",
    "something", "anything", "again", "now", "please", "music", "song", "songs", "track",
    "tracks", "tune", "tunes", "media", "playback", "stuff", "thing", "for", "me", "back",
    # "play again the music from where it stopped": carry on
    "from", "where", "stopped", "paused", "left", "off", "was",
})}


def player_command(query: str, language: str) -> str | None:
    """The media tool a query made only of such words means, or None for a search."""
    lang = language.lower().split("-")[0]
    nothing = _NOTHING.get(lang)
    if nothing is None:
        return None
    words = {w.casefold() for w in _WORD.findall(query)}
    nexts, previous = words & _NEXT[lang], words & _PREVIOUS[lang]
    if words - nothing - nexts - previous or (nexts and previous):
        return None  # a name is left (search for it), or it says both
    return NEXT if nexts else PREVIOUS if previous else RESUME


# Words before the name that only say it is music by someone ("something by Adele",
# "songs from Queen"): our music search looks for the name.
_BY = {"en": re.compile(
    r"^(?:(?:some|any)thing|(?:some |any )?(?:music|songs?|tracks?|tunes?|stuff)|a (?:song|track|"
    r"tune)|(?:a|an|the) album|(?:an|the) albums?)\s+(?:by|from|of)\s+(?=\S)", re.IGNORECASE)}
# … and a kind of music said before its name ("the song Bohemian Rhapsody")
_KIND = {"en": re.compile(r"^(?:for\s+(?:me|us)\s+)?(?:(?:the|a)\s+)?"
                          r"(?:song|track|tune|album|record)"
                          r"\s+(?=\S)|^for\s+(?:me|us)\s+(?=\S)", re.IGNORECASE)}


# … and after it ("Burna Boy songs")
_AFTER = {"en": re.compile(r"(?<=\S)\s+(?:songs|tracks|tunes)$", re.IGNORECASE)}


def search_words(query: str, language: str) -> str:
    """The words of a search that name the music: "something by Adele" → "Adele"."""
    lang = language.lower().split("-")[0]
    by, kind, after = _BY.get(lang), _KIND.get(lang), _AFTER.get(lang)
    query = by.sub("", query) if by is not None else query
    query = (kind.sub("", query) or query) if kind is not None else query
    return after.sub("", query) if after is not None else query
