"""What the Listener reads from the words at a pause: a complete command ends the turn
soon, words no request ends on keep it open, anything else goes to the turn model."""

from __future__ import annotations

import pytest
from intents_support import IntentsRig

from assistant.voice.listener import Listener


@pytest.fixture
def listener(tmp_path):
    r = IntentsRig(tmp_path)
    yield Listener(None, r.bus, r.agent.understanding)
    r.close()


@pytest.mark.parametrize("text,verdict", [
    ("What time is it?", "complete"),
    ("set a timer for five minutes", "complete"),
    ("remind me to", "unfinished"),  # ends on a word no request ends on
    ("Set a timer for", "unfinished"),
    ("Add eggs and", "unfinished"),
    ("Turn the volume...", "unfinished"),  # whisper trails off with an ellipsis
    ("start a timer", "incomplete"),  # a command still missing its duration
    ("Open. Open. Open.", "unknown"),  # whisper looping on too little audio
    ("what is the meaning of life", "unknown"),
    ("", "unknown"),
])
def test_the_words_at_a_pause(listener, text, verdict):
    assert listener.judge(text, "en") == verdict


def test_the_dangling_word_rule_is_english_only(listener):
    # "for" is a dangling word in English; the list is not applied to other languages
    assert listener.judge("stelle einen Timer for", "de") != "unfinished"
    assert listener.judge("set a timer for", "en") == "unfinished"
    assert listener.is_complete("stelle einen Timer auf 5 Minuten", "de")
