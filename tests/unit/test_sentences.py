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


@pytest.mark.parametrize("text,pieces", [
    # a long first sentence with no early comma: cut before a joining word, early
    ("The grey heron stands still at the edge of the water for a long time. It waits.",
     ["The grey heron stands still", "at the edge of the water for a long time.",
      "It waits."]),
    ("The lighthouse keeper climbed the stairs every evening at dusk, counting each step.",
     ["The lighthouse keeper climbed the stairs every evening", "at dusk, counting each step."]),
    # short enough, or nowhere to pause: as it is
    ("You have 5 timers running in the kitchen right now.",
     ["You have 5 timers running in the kitchen right now."]),
    ("Supercalifragilistic expialidocious words never stop being wonderfully long here.",
     ["Supercalifragilistic expialidocious words never stop being wonderfully long here."]),
])
def test_a_long_first_sentence_is_cut_early_so_speech_starts_sooner(text, pieces):
    assert split_for_speech(text) == pieces
