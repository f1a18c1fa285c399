import pytest

from assistant.voice.sentences import split_for_speech


@pytest.mark.parametrize("text,pieces", [
    ("It's 3:15 PM.", ["It's 3:15 PM."]),
    ("OK, timer set for 2 minutes and 30 seconds.",
     ["OK,", "timer set for 2 minutes and 30 seconds."]),
    ("Your tea timer is done. Enjoy!", ["Your tea timer is done.", "Enjoy!"]),
    ("", []),
    ("   ", []),
    ("Yes, no.", ["Yes, no."]),
])
def test_split_for_speech(text, pieces):
    assert split_for_speech(text) == pieces
