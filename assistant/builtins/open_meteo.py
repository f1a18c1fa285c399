"""A small client for Open-Meteo's forecast and geocoding APIs (no key needed), and
the WMO weather codes in words. Every connection is checked against the tool's
net:<host> grant first, so it is audited and cannot reach another host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from assistant.tools.capabilities import Capabilities
from assistant.tools.registry import ToolError

FORECAST_DAYS = 7
MAX_RESPONSE_BYTES = 256 * 1024
UNREACHABLE_HINT = ("check the internet connection, or the [weather] forecast_url and "
                    "geocoding_url settings")

# WMO weather interpretation codes (Open-Meteo's weather_code) → (words, joiner): the
# joiner fits "it's 4 degrees <joiner> <words>".
WMO_CODES: dict[int, tuple[str, str]] = {
    0: ("clear", "and"), 1: ("mostly clear", "and"), 2: ("partly cloudy", "and"),
    3: ("overcast", "and"), 45: ("foggy", "and"), 48: ("foggy with frost", "and"),
    51: ("light drizzle", "with"), 53: ("drizzle", "with"), 55: ("heavy drizzle", "with"),
    56: ("light freezing drizzle", "with"), 57: ("freezing drizzle", "with"),
    61: ("light rain", "with"), 63: ("rain", "with"), 65: ("heavy rain", "with"),
    66: ("light freezing rain", "with"), 67: ("freezing rain", "with"),
    71: ("light snow", "with"), 73: ("snow", "with"), 75: ("heavy snow", "with"),
    77: ("snow grains", "with"), 80: ("light rain showers", "with"),
    81: ("rain showers", "with"), 82: ("violent rain showers", "with"),
    85: ("light snow showers", "with"), 86: ("heavy snow showers", "with"),
    95: ("thunderstorms", "with"), 96: ("thunderstorms and light hail", "with"),
    99: ("thunderstorms and heavy hail", "with"),
}


def condition(code: int) -> tuple[str, str]:
    """(words, joiner) for a WMO code; an unknown code is said as "mixed weather"."""
    return WMO_CODES.get(code, ("mixed weather", "with"))


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    country: str = ""


@dataclass(frozen=True)
class Day:
    date: str  # ISO date, local to the place (timezone=auto)
    code: int
    low: float
    high: float
    rain_chance_pct: int | None  # None when the model has no precipitation probability


@dataclass(frozen=True)
class Forecast:
    temperature: float
    code: int
    wind: float
    temperature_unit: str  # as Open-Meteo reports it: "°C" | "°F"
    wind_unit: str  # "km/h" | "mp/h"
    days: tuple[Day, ...]


class OpenMeteoClient:
    def __init__(self, forecast_url: str, geocoding_url: str, timeout_s: float = 8.0) -> None:
        self.forecast_url = forecast_url
        self.geocoding_url = geocoding_url
        self.timeout_s = timeout_s

    async def geocode(self, name: str, caps: Capabilities) -> Place | None:
        """The best match for a place name, or None when there is none."""
        data = await self._get(self.geocoding_url, {"name": name, "count": 1,
                                                    "language": "en", "format": "json"}, caps)
        results = data.get("results") or []
        if not results:
            return None
        try:
            r = results[0]
            return Place(str(r["name"]), float(r["latitude"]), float(r["longitude"]),
                         str(r.get("country") or ""))
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise _bad_response(self.geocoding_url, err) from None

    async def forecast(self, latitude: float, longitude: float, imperial: bool,
                       caps: Capabilities) -> Forecast:
        params = {
            "latitude": f"{latitude:.4f}", "longitude": f"{longitude:.4f}",
            "current": "temperature_2m,weather_code,wind_speed_10m",
            "daily": "weather_code,temperature_2m_max,temperature_2m_min,"
                     "precipitation_probability_max",
            "timezone": "auto", "forecast_days": FORECAST_DAYS,
            "temperature_unit": "fahrenheit" if imperial else "celsius",
            "wind_speed_unit": "mph" if imperial else "kmh",
        }
        data = await self._get(self.forecast_url, params, caps)
        try:
            now, daily = data["current"], data["daily"]
            chances = daily.get("precipitation_probability_max") or [None] * len(daily["time"])
            days = tuple(
                Day(str(d), int(c), float(lo), float(hi), None if p is None else int(p))
                for d, c, lo, hi, p in zip(daily["time"], daily["weather_code"],
                                           daily["temperature_2m_min"],
                                           daily["temperature_2m_max"], chances, strict=True))
            units = data.get("current_units") or {}
            return Forecast(float(now["temperature_2m"]), int(now["weather_code"]),
                            float(now["wind_speed_10m"]),
                            str(units.get("temperature_2m", "")),
                            str(units.get("wind_speed_10m", "")), days)
        except (KeyError, TypeError, ValueError) as err:
            raise _bad_response(self.forecast_url, err) from None

    async def _get(self, url: str, params: dict[str, Any], caps: Capabilities
                   ) -> dict[str, Any]:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        caps.check_host(f"{parts.hostname}:{port}")  # audited; raises when not granted
        try:
            # No redirects: a redirect could lead to a host the grant does not name.
            async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) \
                    as client:
                response = await client.get(url, params=params)
        except httpx.TimeoutException:
            raise ToolError("weather.unreachable", f"The weather service at {parts.hostname} "
                            f"did not answer within {self.timeout_s:g} seconds; "
                            f"{UNREACHABLE_HINT}.") from None
        except httpx.HTTPError as err:
            raise ToolError("weather.unreachable", f"I can't reach the weather service at "
                            f"{parts.hostname} ({type(err).__name__}); {UNREACHABLE_HINT}.") \
                from None
        if response.status_code != 200:
            reason = _reason(response)
            raise ToolError("weather.unreachable", f"The weather service at {parts.hostname} "
                            f"answered {response.status_code}{reason}; {UNREACHABLE_HINT}.")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise _bad_response(url, "the answer is too large")
        try:
            data = response.json()
        except ValueError as err:
            raise _bad_response(url, err) from None
        if not isinstance(data, dict):
            raise _bad_response(url, "not a JSON object")
        return data


def _reason(response: httpx.Response) -> str:
    """Open-Meteo explains a refused request as {"error": true, "reason": "..."}."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return ""
    return f" ({str(reason)[:200]})" if reason else ""


def _bad_response(url: str, why: object) -> ToolError:
    return ToolError("weather.bad_response", f"The weather service at {urlsplit(url).hostname}"
                     f" sent an answer I can't read ({why}); {UNREACHABLE_HINT}.")
