"""Device control with a name we do not know ("turn on the kitchen lights") is answered
"connect Home Assistant" only as a last resort: everyday sentences our tools or the LLM
should get (maths, conversions, files, apps, notes, the screen, questions) never are."""

import pytest

from assistant.agent.intents.mapping import CONNECT_HOME_ASSISTANT
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer, slot_sources
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths


@pytest.fixture(scope="module")
def understanding(tmp_path_factory):
    """The real tool set's router (lexical only: no model to load) and intents stage."""
    root = tmp_path_factory.mktemp("heron")
    core = build_core(HeronPaths(root / "c", root / "d", root / "k"), HeronConfig())
    manifests = core.registry.manifests()
    u = Understanding(Router(manifests), intent_recognizer(slot_sources(core.storage)),
                      has_tool=lambda name: core.registry.get(name) is not None)
    u.use_tools(manifests)
    yield u
    core.close()


NOT_DEVICES = {
    "en": ["what's 7 times 8", "what is 20 percent of 50", "what's 15% of 80",
           "how much is 12 divided by 4", "what is 2 to the power of 10", "double 21",
           "set x to 20 percent", "add up 12 and 30", "what is (4 + 6) * 3",
           "convert 5 miles to km", "how many grams in a pound",
           "what is 100 fahrenheit in celsius", "open firefox", "launch the calculator",
           "fire up the web browser", "find my cv in documents", "where is my tax return file",
           "search my files for invoice", "read the file notes.txt", "take a note buy milk",
           "jot down call the plumber", "remember that i parked on level three",
           "what did I write down", "what's on my screen", "read the screen",
           "what does this error mean", "click on submit", "take a picture",
           "who is in front of the webcam", "is anyone in the room", "scan this qr code",
           "copy hello to the clipboard", "send a note to my phone saying buy milk",
           "tell me a joke", "what is the capital of france", "how are you",
           "what is the meaning of life", "play the next one", "make the volume 50"],
    "de": ["was ist 7 mal 8", "wie viel sind 20 Prozent von 50", "öffne Firefox",
           "was ist die Hauptstadt von Frankreich", "erzähl mir einen Witz", "rechne 3 plus 4",
           "wie viele Gramm sind ein Pfund", "was steht auf meinem Bildschirm"],
    "fr": ["combien font 7 fois 8", "quelle est la capitale de la France",
           "raconte-moi une blague"],
    "es": ["cuánto es 7 por 8", "cuál es la capital de Francia", "abre Firefox",
           "cuéntame un chiste"],
    "ar": ["كم يساوي 7 ضرب 8", "ما هي عاصمة فرنسا", "افتح فايرفوكس", "احكي لي نكتة"],
}
DEVICES = {
    "en": ["turn on the kitchen lights", "turn off the bedroom fan",
           "set the living room lights to 50%", "what's the temperature in the living room",
           "turn on my desk lamp", "turn on the front porch light",
           "turn off the lights in the office", "turn off all the lights upstairs",
           "set the bedroom temperature to 20", "turn on the lights", "close the blinds",
           "open the garage door"],
    "de": ["schalte das Licht in der Küche an", "mach das Licht im Wohnzimmer aus",
           "schalte den Ventilator im Schlafzimmer aus", "wie warm ist es im Wohnzimmer",
           "stelle die Helligkeit im Büro auf 50 Prozent"],
    "fr": ["allume la lumière de la cuisine", "éteins le ventilateur de la chambre",
           "règle la luminosité du salon à 50 %"],
    "es": ["enciende la luz de la cocina", "apaga el ventilador del dormitorio"],
    "ar": ["شغل الضوء في المطبخ", "أطفئ المروحة في غرفة النوم"],
}


def _is_device_control(found) -> bool:
    return found is not None and found.reply == CONNECT_HOME_ASSISTANT


@pytest.mark.parametrize("language", sorted(NOT_DEVICES))
def test_everyday_sentences_are_never_device_control(understanding, language):
    eaten = [(text, understanding.understand(text, language).matched)
             for text in NOT_DEVICES[language]
             if _is_device_control(understanding.understand(text, language))]
    assert eaten == []


@pytest.mark.parametrize("language", sorted(DEVICES))
def test_device_sentences_say_connect_home_assistant(understanding, language):
    missed = [(text, understanding.understand(text, language))
              for text in DEVICES[language]
              if not _is_device_control(understanding.understand(text, language))]
    assert missed == []


def test_a_sentence_the_router_places_is_not_device_control(understanding):
    # "who is {zone}" is a Home Assistant template too; our camera tool knows the words.
    found = understanding.understand("is somebody at my desk", "en")
    assert (found.stage, found.tool) == ("router", "who_is_there")


def test_an_open_name_is_tried_last_and_reported(understanding):
    found = understanding.understand("turn on the kitchen lights", "en")
    assert (found.stage, found.tool, found.matched) == ("intents", None, "HassTurnOn")
    assert 0.6 <= found.confidence < 1.0
    assert [(t["stage"], t.get("names")) for t in found.tried] == [
        ("intents", None), ("router", None), ("intents", "open")]


def test_a_tool_word_is_never_a_device_name(understanding):
    # "timer" is one of our tools' words in the templates; "calculate" starts our
    # calculator's examples.
    for text in ("turn off the egg timer please now", "set calculate to 20 percent"):
        assert not _is_device_control(understanding.understand(text, "en")), text
