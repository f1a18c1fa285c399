"""The language each reply is in, which picks the voice that speaks it: the package's
replies in the request's language, our own English (a tool's speech, a question, "not
understood" in English) marked English so the English voice reads it, and "not
understood" in the request's language when the package says it in that language."""

import pytest
from intents_support import IntentsRig

from assistant.agent.agent import NOT_UNDERSTOOD
from assistant.agent.intents.catalog import catalog
from assistant.voice.pipeline import reply_language


@pytest.fixture
def rig(tmp_path):
    r = IntentsRig(tmp_path)
    yield r
    r.close()


@pytest.mark.parametrize("language", ["es", "de", "ar"])
def test_not_understood_is_said_in_the_request_language(rig, language):
    reply = rig.ask("zzz qqq xxx", language=language)
    assert reply.tool_calls == () and reply.understanding["stage"] == "none"
    assert reply.text == catalog(language).errors["no_intent"]  # the package's words
    assert reply.language == language
    assert reply_language(reply, language) == language


def test_not_understood_in_english_says_what_heron_can_do(rig):
    reply = rig.ask("tell me a joke", language="en")
    assert reply.text == NOT_UNDERSTOOD and reply.language == "en"


def test_not_understood_in_a_language_the_package_lacks_is_english(rig):
    # whisper hears Yoruba; the intents package has none
    assert catalog("yo") is None
    reply = rig.ask("mi o mo", language="yo")
    assert reply.text == NOT_UNDERSTOOD
    assert reply.language == "en" and reply_language(reply, "yo") == "en"


def test_a_router_tool_speech_is_english_for_a_german_request(rig):
    # the router (English phrases) places it; the tool answers in English
    reply = rig.ask("set a tea timer for 5 minutes", language="de")
    assert reply.understanding["stage"] == "router"
    assert reply.text == "OK, tea timer set for 5 minutes."
    assert reply.language == "en"
    assert reply_language(reply, "de") == "en"  # the English voice, not espeak's German


def test_a_question_back_is_english(rig):
    reply = rig.ask("set a timer", language="fr")
    assert reply.text.startswith("For how long?") and reply.language == "en"


def test_device_control_answer_is_english(rig):
    reply = rig.ask("ouvre la porte du garage", language="fr")
    assert "connect Home Assistant" in reply.text and reply.language == "en"
