"""Device control goes to Home Assistant (home_control, with the sentence as said) when
it is connected, and is answered "connect it with heron ha login" when it is not;
every other sentence is understood as before."""

import pytest

from assistant.agent.intents.mapping import CONNECT_HOME_ASSISTANT
from assistant.agent.intents.recognizer import SlotSources
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer
from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.builtins.home_control import HomeControl
from assistant.builtins.timers import SetTimer
from assistant.builtins.weather import GetWeather
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage

HOME_SENTENCES = [
    ("turn on the kitchen light", "HassTurnOn"),
    ("Is the garage door open?", "HassGetState"),
    ("close the blinds", "HassTurnOff"),
    ("set the thermostat to 21 degrees", "HassClimateSetTemperature"),
    ("activate the movie scene", "HassTurnOn"),
    ("turn off the bedroom fan", "HassTurnOff"),
]


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    storage = Storage(tmp_path_factory.mktemp("home") / "heron.db")
    manifests = [SetTimer(TimerStore(storage)).manifest, GetWeather().manifest,
                 HomeControl(HomeAssistantOptions(url="http://homeassistant.local:8123"),
                             token=lambda: "t").manifest]
    yield manifests
    storage.close()


def understanding_with(manifests, home: bool) -> Understanding:
    names = {m.name for m in manifests if home or m.name != "home_control"}
    shown = [m for m in manifests if m.name in names]
    u = Understanding(Router(shown), intent_recognizer(SlotSources()),
                      has_tool=lambda name: name in names)
    u.use_tools(shown)
    return u


@pytest.mark.parametrize(("text", "intent"), HOME_SENTENCES)
def test_device_control_goes_to_home_assistant_as_said(tools, text, intent):
    found = understanding_with(tools, home=True).understand(text, "en")
    assert found is not None, text
    assert (found.tool, found.args, found.reply) == (
        "home_control", {"text": text, "language": "en"}, None)
    assert found.matched == intent


@pytest.mark.parametrize(("text", "intent"), HOME_SENTENCES)
def test_without_home_assistant_the_reply_names_heron_ha_login(tools, text, intent):
    found = understanding_with(tools, home=False).understand(text, "en")
    assert found is not None and found.tool is None, text
    assert found.reply == CONNECT_HOME_ASSISTANT and "heron ha login" in found.reply


def test_another_language_is_passed_on(tools):
    found = understanding_with(tools, home=True).understand(
        "schalte das Licht in der Küche an", "de")
    assert (found.tool, found.args) == (
        "home_control", {"text": "schalte das Licht in der Küche an", "language": "de"})


@pytest.mark.parametrize(("text", "tool"), [
    ("set a timer for 5 minutes", "set_timer"), ("what's the weather", "get_weather"),
    ("what's the weather in Paris", "get_weather")])
def test_our_own_tools_keep_their_sentences(tools, text, tool):
    assert understanding_with(tools, home=True).understand(text, "en").tool == tool


def test_home_control_gives_the_router_no_examples(tools):
    assert next(m for m in tools if m.name == "home_control").examples == ()
