"""Built-in tool get_weather: now and the next days from Open-Meteo, for the place set
in [weather] (off until one is set). The place name leaves the machine, so the tool
asks for exactly the configured hosts (net:<host>) and is confirmed once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.builtins.open_meteo import Forecast, OpenMeteoClient, Place, condition
from assistant.tools.capabilities import scope_problem
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.capabilities import Capabilities
    from assistant.tools.registry import ToolContext

OFF_MESSAGE = ('Weather is off until you tell me where you are: add [weather] location = '
               '"Berlin" (your town) to config.toml, then restart Heron.')
MAX_DAY_OFFSET = 6
# Rooms of a home: "the temperature in the living room" asks a sensor (Home Assistant),
# not the forecast for a place.
# A place said as one of these (and an article) is a room: the weather tool is not
# meant ("weather in Study" and "Schwäbisch Hall" are towns, said as they are).
ROOMS = ["room", "kitchen", "bedroom", "bathroom", "lounge", "hall", "hallway", "garage",
         "attic", "loft", "basement", "cellar", "nursery", "office", "study", "upstairs",
         "downstairs", "conservatory", "landing", "toilet", "shed", "living room",
         "dining room", "spare room", "utility room", "house", "flat", "garden"]
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A day said after the place ("in Paris tomorrow"): the router hands it over as part of
# the location, so it is read back out when no day_offset came with it.
_WHEN = re.compile(r"\s*,?\s*\b(?:(today|tonight)|(the day after tomorrow)|(tomorrow)|"
                   rf"(?:on |this )?({'|'.join(_WEEKDAYS)}))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class WeatherOptions:
    """[weather] in config.toml. `location` = "" keeps weather off; latitude and
    longitude (both) skip looking the place up; units: metric | imperial. The URLs are
    Open-Meteo's; point them at a mirror or a self-hosted instance if you like."""

    location: str = ""
    latitude: float | None = field(default=None, metadata={"range": (-90, 90)})
    longitude: float | None = field(default=None, metadata={"range": (-180, 180)})
    units: str = "metric"
    forecast_url: str = "https://api.open-meteo.com/v1/forecast"
    geocoding_url: str = "https://geocoding-api.open-meteo.com/v1/search"
    timeout_s: float = 8.0

    def __post_init__(self) -> None:
        if self.units not in ("metric", "imperial"):
            raise ValueError(f'weather.units must be "metric" or "imperial", got {self.units!r}')
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("weather.latitude and weather.longitude go together: set both "
                             "or neither")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValueError(f"weather.latitude must be from -90 to 90, got {self.latitude}")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValueError(f"weather.longitude must be from -180 to 180, got "
                             f"{self.longitude}")
        if len(self.location) > 100:
            raise ValueError("weather.location is too long (at most 100 characters)")
        if not 0 < self.timeout_s <= 60:
            raise ValueError("weather.timeout_s must be more than 0 and at most 60")
        for key in ("forecast_url", "geocoding_url"):
            host_scope(getattr(self, key), f"weather.{key}")

    @property
    def enabled(self) -> bool:
        return bool(self.location.strip()) or self.latitude is not None

    @property
    def imperial(self) -> bool:
        return self.units == "imperial"

    def scopes(self) -> tuple[str, ...]:
        """net:<host> for each configured URL (the port too when one is given)."""
        return tuple(dict.fromkeys(host_scope(getattr(self, k), k)
                                   for k in ("forecast_url", "geocoding_url")))


def host_scope(url: str, key: str = "url") -> str:
    """The net: scope for a service URL; ValueError saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise ValueError(f"{key} {url!r} is not a web address ({err})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f'{key} must be an http(s) address such as '
                         f'"https://api.open-meteo.com/v1/forecast", got {url!r}')
    scope = f"net:{parts.hostname}" + (f":{port}" if port else "")
    if scope_problem(scope):
        raise ValueError(f"{key} {url!r}: {parts.hostname!r} is not a host name Heron "
                         "can grant")
    return scope


class GetWeather:
    manifest = ToolManifest(
        name="get_weather", title="Weather", builtin=True, effects="read", confirm="once",
        description="Current weather and the forecast for the next days, from Open-Meteo. "
                    "The place name is sent to Open-Meteo.",
        input_schema={
            "type": "object", "additionalProperties": False,
            "properties": {
                "day_offset": {"type": "integer", "minimum": 0, "maximum": MAX_DAY_OFFSET,
                               "x-slot": "day",
                               "description": "0 today (with the weather now), 1 tomorrow, "
                                              "… up to 6"},
                "location": {"type": "string", "minLength": 1, "maxLength": 100,
                             "x-slot": "text", "x-said-after": "in", "x-there": True,
                             "x-not-values": ROOMS,
                             "x-drop-words": ["of", "for", "today", "now", "right now", "rn",
                                              "currently", "at the moment"],
                             "description": "another place than the configured one"},
            },
        },
        output_schema={"type": "object", "properties": {
            "place": {"type": "string"}, "date": {"type": "string"},
            "condition": {"type": "string"}, "temperature": {"type": "number"},
            "low": {"type": "number"}, "high": {"type": "number"},
            "rain_chance_pct": {"type": ["integer", "null"]}}},
        examples=("what's the weather", "what is the weather like", "how's the weather",
                  "weather forecast", "what's the forecast", "is it going to rain",
                  "what's the weather in {location}", "how is the weather in {location}",
                  "weather in {location}", "what's the forecast for {location}",
                  "what is the weather forecast for {location}",
                  "what's the weather {day_offset}", "weather {day_offset}",
                  "what's the weather like {day_offset}", "what's the forecast {day_offset}",
                  "what's the forecast for {day_offset}", "will it rain {day_offset}",
                  "is it going to rain {day_offset}", "weather {day_offset} in {location}",
                  "what's the weather in {location} {day_offset}",
                  "what's the weather going to be like in {location}", "do i need an umbrella",
                  "should i take a coat", "do i need a jacket today",
                  "will i need a coat {day_offset}",
                  "do i need a coat", "will it be cold", "will it snow {day_offset}",
                  "will it snow in {location}", "is it going to be windy {day_offset}",
                  "is it going to be cold {day_offset}",
                  "is it going to be hot in {location} {day_offset}",
                  "is it going to be cold in {location} {day_offset}",
                  "is it windy outside", "how cold will it get",
                  "how cold is it going to be {day_offset}", "is it nice out",
                  "what is it doing outside", "is the sun out", "do i need sunscreen",
                  "is there a storm coming", "will it be dry {day_offset}",
                  "what's the weather looking like in {location}",
                  "is it going to be a nice day", "will it be hot {day_offset}", "will it be sunny",
                  "will it be sunny in {location} {day_offset}",
                  "forecast {location} {day_offset}", "{location} weather",
                  "{location} weather {day_offset}", "weather of {location} {day_offset}",
                  "weather for {location} {day_offset}", "is it raining in {location}",
                  "what is it like out in {location}",
                  "is it going to be warm", "how hot is it", "how hot will it be {day_offset}",
                  "how hot will it get", "will i need gloves", "do i need a hat {day_offset}",
                  "any chance of rain", "any chance of rain {day_offset}",
                  "is it going to freeze", "will it freeze {day_offset}",
                  "do i need to wrap up warm {day_offset}", "what's the temperature",
                  "what's the temperature outside", "will it rain in {location}",
                  "is it raining in {location}", "do i need an umbrella {day_offset}",
                  "weather for {location}", "what's it like outside",
                  "forecast for {location} {day_offset}"),
        timeout_s=20.0,
    )

    def __init__(self, options: WeatherOptions | None = None,
                 client: OpenMeteoClient | None = None) -> None:
        self.options = options or WeatherOptions()
        o = self.options
        self._client = client or OpenMeteoClient(o.forecast_url, o.geocoding_url, o.timeout_s)
        # The instance manifest asks for exactly the configured hosts.
        self.manifest = replace(type(self).manifest, permissions=o.scopes(),
                                timeout_s=max(4 * o.timeout_s, 10.0))
        self._places: dict[str, Place] = {}  # places do not move: looked up once

    async def preview(self, args: dict[str, Any], ctx: ToolContext
                      ) -> tuple[dict[str, Any], frozenset[str]]:
        """Before any question: weather that is off says how to turn it on."""
        if not self.options.enabled:
            raise ToolError("weather.off", OFF_MESSAGE,
                            '[weather] location = "Berlin" in config.toml')
        return {}, frozenset()

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        if not self.options.enabled:
            raise ToolError("weather.off", OFF_MESSAGE)
        asked = str(args.get("location") or "").strip()
        offset = args.get("day_offset")
        if offset is None:
            asked, offset = split_day(asked, dt.date.today())
        place = await self._place(asked, ctx.caps)
        forecast = await self._client.forecast(place.latitude, place.longitude,
                                               self.options.imperial, ctx.caps)
        if offset >= len(forecast.days):
            raise ToolError("weather.too_far", f"I only have the forecast for the next "
                            f"{len(forecast.days) - 1} days.")
        return report(place.name, forecast, offset, self.options.imperial)

    async def _place(self, asked: str, caps: Capabilities) -> Place:
        o = self.options
        if not asked and o.latitude is not None and o.longitude is not None:
            return Place(o.location.strip(), o.latitude, o.longitude)
        name = asked or o.location.strip()
        key = name.casefold()
        if key not in self._places:
            found = await self._client.geocode(name, caps)
            if found is None:
                raise ToolError("weather.unknown_place", f"I couldn't find a place called "
                                f"{name}. Try the nearest town"
                                + ("." if asked else ', or set [weather] latitude and '
                                   'longitude in config.toml.'))
            self._places[key] = found
        return self._places[key]


def split_day(location: str, today: dt.date) -> tuple[str, int]:
    """("paris tomorrow", …) → ("paris", 1); a place without a day is for today."""
    m = _WHEN.search(location)
    if not m:
        return location, 0
    if m.group(1):
        offset = 0
    elif m.group(2):
        offset = 2
    elif m.group(3):
        offset = 1
    else:
        offset = (_WEEKDAYS.index(m.group(4).lower()) - today.weekday()) % 7
    return location[:m.start()].strip(), offset


def report(place: str, forecast: Forecast, offset: int, imperial: bool) -> dict[str, Any]:
    """The spoken report and its data for day `offset` (0: now and today)."""
    day = forecast.days[offset]
    words, joiner = condition(forecast.code if offset == 0 else day.code)
    low, high = round(day.low), round(day.high)
    span = f"{low} to {high} degrees" if low != high else f"around {low} degrees"
    rain = "" if day.rain_chance_pct is None else \
        f", {day.rain_chance_pct} percent chance of rain"
    where = f"in {place}" if place else "here"
    if offset == 0:
        wind = "miles per hour" if imperial else "kilometers per hour"
        speech = (f"{where[0].upper()}{where[1:]} it's {round(forecast.temperature)} degrees "
                  f"{joiner} {words}, wind {round(forecast.wind)} {wind}. "
                  f"Today: {span}{rain}.")
    else:
        when = _day_name(day.date, offset)
        speech = f"{when} {where}: {words}, {span}{rain}."
    result: dict[str, Any] = {
        "place": place, "date": day.date, "day_offset": offset, "condition": words,
        "low": day.low, "high": day.high, "rain_chance_pct": day.rain_chance_pct,
        "temperature_unit": forecast.temperature_unit or ("°F" if imperial else "°C"),
        "speech": speech}
    if offset == 0:
        result.update(temperature=forecast.temperature, wind_speed=forecast.wind,
                      wind_unit=forecast.wind_unit or ("mp/h" if imperial else "km/h"))
    return result


def _day_name(iso: str, offset: int) -> str:
    if offset == 1:
        return "Tomorrow"
    try:
        return f"On {dt.date.fromisoformat(iso):%A}"
    except ValueError:
        return f"In {offset} days"
