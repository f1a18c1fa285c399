"""Text as it should be read aloud, for what piper's front end says badly (English).

"6:16 AM" goes to espeak as "six sixteen am", whose "sixteen am" runs together into
"sixty nam"; listeners (and whisper) mishear it. Clock times are written out in words
with the meridiem as separate letters: "six sixteen A M", "four oh eight P M"."""

from __future__ import annotations

import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\s?([AaPp])\.?\s?[Mm]\b\.?")


def number_words(n: int) -> str:
    """0–59 in words."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _clock_words(match: re.Match) -> str:
    hour, minute = int(match[1]), int(match[2])
    if not (1 <= hour <= 12 and minute <= 59):
        return match[0]
    said = number_words(hour)
    if minute:
        said += f" oh {_ONES[minute]}" if minute < 10 else f" {number_words(minute)}"
    end = "." if match[0].endswith(".") else ""
    return f"{said} {match[3].upper()} M{end}"


def speakable(text: str, language: str = "en") -> str:
    """`text` rewritten for the speech synthesizer (English voices only)."""
    if language and language != "en":
        return text
    return _CLOCK.sub(_clock_words, text)
