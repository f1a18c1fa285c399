"""Clock times are written out for the speech synthesizer."""

import pytest

from audio.speech_text import number_words, speakable


@pytest.mark.parametrize("text,said", [
    ("It's 6:16 AM.", "It's six sixteen A M."),
    ("It's 4:08 PM.", "It's four oh eight P M."),
    ("It's 12:00 PM.", "It's twelve P M."),
    ("Back at 10:45 a.m. today", "Back at ten forty-five A M. today"),
    ("Due at 18:30.", "Due at 18:30."),  # a 24-hour time stays as it is
    ("Your 5 minutes timer is done.", "Your 5 minutes timer is done."),
])
def test_clock_times_are_spoken_in_words(text, said):
    assert speakable(text) == said


def test_other_languages_are_left_alone():
    assert speakable("Il est 6:16 AM.", "fr") == "Il est 6:16 AM."


def test_number_words():
    assert [number_words(n) for n in (0, 13, 20, 42, 59)] == [
        "zero", "thirteen", "twenty", "forty-two", "fifty-nine"]
