"""get_weather against a local server speaking Open-Meteo's API, through a real
ToolRegistry: what Heron says, what it sends, the one confirmation, the audit rows,
and clear coded errors when weather is off, the place is unknown or nothing answers."""

import asyncio
import socket
from dataclasses import replace

import pytest
from helpers import User
from open_meteo_server import OpenMeteoServer, Weather

from assistant.agent.router import Router
from assistant.audit import AuditLog
from assistant.builtins.weather import GetWeather, WeatherOptions
from assistant.bus import EventBus
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

FORECAST_PARAMS = {"current": "temperature_2m,weather_code,wind_speed_10m",
                   "daily": "weather_code,temperature_2m_max,temperature_2m_min,"
                            "precipitation_probability_max",
                   "timezone": "auto"}


@pytest.fixture
def server():
    with OpenMeteoServer() as s:
        s.state.add_place("Berlin", 52.52437, 13.41053, "Germany")
        s.state.add_place("Paris", 48.85341, 2.3488, "France", Weather(
            temperature_c=17.6, code=61, wind_kmh=20.4, daily_codes=(61, 0),
            lows_c=(11.0, 9.0), highs_c=(18.0, 21.0), rain_pct=(90, 0)))
        yield s


@pytest.fixture
def heron(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, b"k" * 32)
    user = User()
    registry = ToolRegistry(EventBus(), audit,
                            prompter=FanOutPrompter([CallbackPrompter(user)], timeout_s=5))

    def add(options_or_tool):
        tool = options_or_tool if isinstance(options_or_tool, GetWeather) \
            else GetWeather(options_or_tool)
        registry.register(tool)
        return registry

    yield add, user, audit
    storage.close()


def options_for(server, **kw):
    kw.setdefault("location", "Berlin")
    return WeatherOptions(forecast_url=server.forecast_url,
                          geocoding_url=server.geocoding_url, **kw)


def ask(registry, **args):
    return asyncio.run(registry.call(ToolCall("get_weather", args, source="voice")))


def test_the_weather_now_and_today_is_spoken_from_the_service(server, heron):
    add, user, audit = heron
    out = ask(add(options_for(server)))
    assert out.status == "ok", out.error
    assert out.result["speech"] == ("In Berlin it's 4 degrees and overcast, wind 12 "
                                    "kilometers per hour. Today: 2 to 6 degrees, 40 percent "
                                    "chance of rain.")
    assert out.result["place"] == "Berlin" and out.result["temperature_unit"] == "°C"
    (search, q1), (forecast, q2) = server.state.requests
    assert (search, q1["name"], q1["count"]) == ("/v1/search", "Berlin", "1")
    assert forecast == "/v1/forecast"
    assert (q2["latitude"], q2["longitude"]) == ("52.5244", "13.4105")
    assert {k: q2[k] for k in FORECAST_PARAMS} == FORECAST_PARAMS


def test_tomorrow_and_later_days_say_the_day(server, heron):
    add, _, _ = heron
    registry = add(options_for(server))
    out = ask(registry, day_offset=1)
    assert out.result["speech"] == ("Tomorrow in Berlin: light rain, 3 to 9 degrees, 85 "
                                    "percent chance of rain.")
    out = ask(registry, day_offset=2)
    weekday = f"{server.state.today.fromordinal(server.state.today.toordinal() + 2):%A}"
    assert out.result["speech"] == f"On {weekday} in Berlin: clear, -1 to 4 degrees, 0 " \
                                   "percent chance of rain."
    # the place was looked up once, then remembered
    assert [p for p, _ in server.state.requests].count("/v1/search") == 1


def test_another_place_is_looked_up(server, heron):
    add, _, _ = heron
    out = ask(add(options_for(server)), location="Paris")
    assert out.result["speech"].startswith("In Paris it's 18 degrees with light rain, wind "
                                           "20 kilometers per hour. Today: 11 to 18 degrees, "
                                           "90 percent")
    assert server.state.requests[0][1]["name"] == "Paris"


def test_imperial_units_are_asked_for_and_said(server, heron):
    add, _, _ = heron
    out = ask(add(options_for(server, units="imperial")))
    q = server.state.requests[-1][1]
    assert (q["temperature_unit"], q["wind_speed_unit"]) == ("fahrenheit", "mph")
    assert out.result["speech"].startswith("In Berlin it's 40 degrees and overcast, wind 8 "
                                           "miles per hour. Today: 35 to 43 degrees")
    assert out.result["temperature_unit"] == "°F"


def test_configured_coordinates_skip_the_lookup(server, heron):
    add, _, _ = heron
    out = ask(add(options_for(server, location="Home", latitude=48.85341, longitude=2.3488)))
    assert out.result["speech"].startswith("In Home it's 18 degrees with light rain")
    assert [p for p, _ in server.state.requests] == ["/v1/forecast"]


def test_an_unknown_place_says_so(server, heron):
    add, _, _ = heron
    out = ask(add(options_for(server)), location="Atlantis")
    assert (out.status, out.code) == ("error", "weather.unknown_place")
    assert out.error.startswith("I couldn't find a place called Atlantis.")


def test_a_service_that_does_not_answer_is_a_coded_error_with_a_next_step(server, heron):
    add, _, _ = heron
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1/forecast"
    out = ask(add(WeatherOptions(location="Berlin", forecast_url=dead,
                                 geocoding_url=server.geocoding_url)))
    assert (out.status, out.code) == ("error", "weather.unreachable")
    assert "check the internet connection" in out.error


def test_a_refused_request_is_reported_with_the_services_reason(server, heron):
    add, _, _ = heron
    bad = server.base + "/v1/nothing-here"
    out = ask(add(WeatherOptions(location="Berlin", forecast_url=bad,
                                 geocoding_url=server.geocoding_url)))
    assert (out.status, out.code) == ("error", "weather.unreachable")
    assert "answered 404 (Not Found)" in out.error


def test_weather_is_off_until_a_place_is_set_and_says_how_to_turn_it_on(server, heron):
    add, user, _ = heron
    out = ask(add(options_for(server, location="")))
    assert (out.status, out.code) == ("error", "weather.off")
    assert '[weather] location = "Berlin"' in out.error
    assert user.asked == [] and server.state.requests == []  # no question, nothing sent


def test_a_denied_question_sends_nothing(server, heron):
    add, user, _ = heron
    user.answer = Answer.DENY
    out = ask(add(options_for(server)))
    assert (out.status, out.code) == ("denied", "tool.denied")
    assert len(user.asked) == 1 and server.state.requests == []


def test_the_manifest_asks_for_exactly_the_configured_hosts(server):
    default = GetWeather().manifest
    assert default.permissions == ("net:api.open-meteo.com",
                                   "net:geocoding-api.open-meteo.com")
    assert (default.confirm, default.effects) == ("once", "read")
    port = server.base.rsplit(":", 1)[1]
    assert GetWeather(options_for(server)).manifest.permissions == (f"net:127.0.0.1:{port}",)


def test_a_call_outside_the_grant_is_refused_and_audited(server, heron):
    add, _, audit = heron
    weather = GetWeather(options_for(server))
    # granted only the real Open-Meteo hosts, but pointed at another one
    weather.manifest = replace(weather.manifest, permissions=GetWeather().manifest.permissions)
    out = ask(add(weather))
    assert (out.status, out.code) == ("error", "capability.denied")
    assert server.state.requests == []
    uses = [e for e in audit.entries() if e["kind"] == "capability"]
    assert [(u["scope"], u["allowed"]) for u in uses] == [("net:<host>", False)]


@pytest.mark.parametrize(("kw", "words"), [
    ({"units": "kelvin"}, 'must be "metric" or "imperial"'),
    ({"latitude": 52.5}, "set both or neither"),
    ({"latitude": 91.0, "longitude": 0.0}, "from -90 to 90"),
    ({"forecast_url": "ftp://example.org/x"}, "must be an http(s) address"),
    ({"geocoding_url": "https://[::1]:99/v1/search"}, "not a host name"),
    ({"timeout_s": 0.0}, "timeout_s must be more than 0"),
])
def test_bad_weather_settings_say_what_is_wrong(kw, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        WeatherOptions(location="Berlin", **kw)


def test_every_weather_call_is_decided_and_audited_with_the_host_it_reached(server, heron):
    add, user, audit = heron
    registry = add(options_for(server))
    assert ask(registry).status == ask(registry, day_offset=1).status == "ok"
    entries = audit.entries()
    decisions = [e["decision"] for e in entries if e["kind"] == "decision"]
    calls = [(e["tool"], e["status"]) for e in entries if e["kind"] == "call"]
    uses = [(e["scope"], e["target"], e["allowed"]) for e in entries
            if e["kind"] == "capability"]
    host = server.base.removeprefix("http://")
    assert decisions == ["allow", "allow"]
    assert calls == [("get_weather", "ok")] * 2
    # geocoding once (then remembered), the forecast twice: each connection audited
    assert uses == [(f"net:{host}", host, True)] * 3
    assert user.asked[0].scopes == (f"net:{host}",)


def test_the_router_hands_over_another_place():
    router = Router([GetWeather(WeatherOptions(location="Berlin")).manifest])
    assert router.route("what's the weather").args == {}
    match = router.route("what's the weather in Paris")
    assert (match.tool, match.args) == ("get_weather", {"location": "Paris"})


def test_a_day_said_after_the_place_is_read_back_out(server, heron):
    add, _, _ = heron
    registry = add(options_for(server))
    match = Router([registry.get("get_weather")]).route("what's the weather in Paris tomorrow")
    out = asyncio.run(registry.call(ToolCall(match.tool, match.args, source="voice")))
    assert out.result["speech"] == ("Tomorrow in Paris: clear, 9 to 21 degrees, 0 percent "
                                    "chance of rain.")
    assert server.state.requests[0][1]["name"] == "Paris"


def test_weather_is_confirmed_once_then_not_asked_again(server, heron):
    add, user, _ = heron
    registry = add(options_for(server))
    assert ask(registry).status == ask(registry, day_offset=1).status == "ok"
    assert len(user.asked) == 1  # the first call asked; the "always" covers the second
    assert user.asked[0].offered[0] is Answer.ALWAYS
