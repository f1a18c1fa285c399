"""Choosing among whisper's hypotheses (assistant/voice/hearing.py), slot values Heron knows
(agent/known_values.py), the repeats whisper makes on a short window
(audio/whisper_window.py) and vowels misheard (intents/misheard.py): pure logic, no
model (a stand-in decoder where the choice of pass is tested)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.agent.intents.misheard import sound_similarity
from assistant.agent.known_values import unknown_slots
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, Understood, intent_recognizer
from assistant.config import HeronConfig
from assistant.voice.hearing import ACCEPT, MIN_FIT, Candidate, CommandHearing, choose, command_fit
from assistant.voice.stack import VoiceStack, VoiceStages
from audio.asr import AsrOptions, AsrResult
from audio.whisper_window import said_once


def understood(tool: str | None, confidence: float) -> Understood:
    return Understood("router", tool, {}, confidence, "", "en")


def test_the_top_text_stays_when_no_hypothesis_is_a_command():
    cands = [Candidate("what is going to make today", -0.4, None),
             Candidate("what is next today", -0.9, None)]
    assert choose(cands) == 0


def test_a_sure_command_below_the_top_wins():
    cands = [Candidate("can some a tiger", -1.4, understood("media_play", 0.66)),
             Candidate("cancel my timer", -0.9, understood("cancel_timer", 1.0))]
    assert choose(cands) == 1


def test_a_far_less_likely_text_does_not_win_on_a_small_margin():
    cands = [Candidate("set the volume of 40 percent", -0.2, understood("set_volume", 0.93)),
             Candidate("at the volume of 40 percent", -1.5, understood("set_volume", 0.96))]
    assert choose(cands) == 0


def test_an_answer_that_calls_no_tool_fits_less():
    assert command_fit(understood(None, 0.8)) < command_fit(understood("get_time", 0.8))
    assert command_fit(None) == 0.0
    assert command_fit(understood("get_time", 1.0)) >= ACCEPT


@pytest.mark.parametrize(("said", "once"), [
    ("open the text editor, open the text editor, open the", "open the text editor"),
    ("Scan this QR code. Scan this QR code. Scan this", "Scan this QR code"),
    ("set a timer for 5 minutes", "set a timer for 5 minutes"),
    ("bye bye", "bye bye"),
    ("start a timer for five minutes and a timer", "start a timer for five minutes and a timer"),
])
def test_whisper_saying_it_again_is_kept_once(said, once):
    assert said_once(said) == once


def test_a_vowel_misheard_is_still_the_word():
    assert sound_similarity("council", "cancel") >= 0.75
    assert sound_similarity("summer", "timer") == 0.0  # other consonants: another word


def test_a_command_word_with_a_vowel_misheard_is_understood():
    u = Understanding(Router([]), intent_recognizer())
    found = u.understand("Council my timer.")
    assert found is not None and found.tool == "cancel_timer"


def test_bias_must_be_a_known_mode():
    with pytest.raises(ValueError, match="asr.bias"):
        AsrOptions(bias="loud")


def test_a_slot_value_heron_does_not_know_makes_another_hypothesis_win():
    # whisper's top text fills the list slot with a sound-alike: a sure command, but of
    # a list that does not exist, so a lower hypothesis naming a real list wins
    u = Understanding(Router([]), intent_recognizer())  # lists: shopping, to-do
    cands = []
    for text, score, name in (("What's on my sharpening list?", -0.5, "sharpening"),
                              ("What's on my shopping list.", -0.6, "shopping")):
        found = Understood("router", "read_list", {"list": name}, 1.0, "", "en")
        cands.append(Candidate(text, score, found, u.unknown_values(found)))
    assert cands[0].unknown == ("list",) and cands[1].unknown == ()
    assert cands[0].fit < ACCEPT  # so the n-best is looked at
    assert choose(cands) == 1


def test_a_unit_or_sum_the_tool_cannot_read_is_unknown_and_unusable():
    no_lists, no_apps = (lambda: ()), (lambda name: None)
    assert unknown_slots("convert", {"from_unit": "pounds", "to_unit": "drums"},
                         no_lists, no_apps) == ("to_unit",)
    assert unknown_slots("convert", {"from_unit": "miles", "to_unit": "kilometers"},
                         no_lists, no_apps) == ()
    assert unknown_slots("convert", {"from_unit": "dollars", "to_unit": "euros"},
                         no_lists, no_apps) == ()  # currencies are the tool's own
    assert unknown_slots("calculate", {"expression": "17 times. 23"},
                         no_lists, no_apps) == ("expression",)  # whisper's full stop
    assert unknown_slots("calculate", {"expression": "17 times 23"}, no_lists, no_apps) == ()
    assert unknown_slots("open_app", {"name": "cal curator"}, no_lists, no_apps) == ("name",)
    assert unknown_slots("add_to_list", {"item": "milk", "list": "todo"},
                         lambda: ["To-do list"], no_apps) == ()
    found = understood("convert", 1.0)
    assert command_fit(found, ("to_unit",)) < MIN_FIT  # the second pass listens again
    assert MIN_FIT <= command_fit(found, ("list",)) < ACCEPT  # a new list may be meant


class Heard:
    """A stand-in decoder (no model): what it hears, whatever the audio."""

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def transcribe(self, samples, **kwargs) -> AsrResult:
        self.calls += 1
        return AsrResult(self.text, "en", 1.0, 1000, 10, scores=(-0.3,))


def test_when_the_first_model_hears_no_words_the_second_listens_again():
    # the VAD passed it as speech, but whisper tiny's silence rule dropped it
    u = Understanding(Router([]), intent_recognizer())
    stack = VoiceStack(HeronConfig(), None, stages=VoiceStages(
        asr=Heard(""), second_asr=Heard("What's on my shopping list?")))
    result = CommandHearing(stack, u).hear(np.zeros(16000, np.int16))
    assert result.text == "What's on my shopping list?"
    assert stack.second_asr.calls == 1
    # at a pause (second_pass=False) nothing more is decoded
    assert CommandHearing(stack, u).hear(np.zeros(16000, np.int16),
                                         second_pass=False).text == ""
