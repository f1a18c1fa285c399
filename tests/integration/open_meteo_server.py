"""A local HTTP server speaking Open-Meteo's forecast (/v1/forecast) and geocoding
(/v1/search) APIs: the same query parameters, the same JSON shapes (including the
400 {"error": true, "reason": …} for a bad request and a search with no match having
no "results" key). Weather values are fixed per place so tests can assert the speech;
temperature_unit / wind_speed_unit convert them as the real service does."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CURRENT = ("temperature_2m", "weather_code", "wind_speed_10m")
DAILY = ("weather_code", "temperature_2m_max", "temperature_2m_min",
         "precipitation_probability_max")


@dataclass
class Weather:
    """What the server reports for one place (metric; day 0 is today)."""

    temperature_c: float = 4.2
    code: int = 3
    wind_kmh: float = 12.3
    daily_codes: tuple[int, ...] = (3, 61, 0, 1, 2, 45, 95)
    lows_c: tuple[float, ...] = (1.8, 3.0, -1.0, 0.0, 2.0, 5.0, 8.0)
    highs_c: tuple[float, ...] = (6.1, 9.4, 4.0, 5.0, 7.0, 11.0, 15.0)
    rain_pct: tuple[int | None, ...] = (40, 85, 0, 5, 10, 20, 70)


@dataclass
class OpenMeteoState:
    places: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower name → result
    weather: dict[tuple[float, float], Weather] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)

    def add_place(self, name: str, latitude: float, longitude: float, country: str,
                  weather: Weather | None = None) -> None:
        self.places[name.lower()] = {
            "id": len(self.places) + 1, "name": name, "latitude": latitude,
            "longitude": longitude, "elevation": 40.0, "feature_code": "PPLC",
            "country_code": country[:2].upper(), "timezone": "Europe/Berlin",
            "population": 1000000, "country": country, "admin1": name}
        self.weather[(round(latitude, 2), round(longitude, 2))] = weather or Weather()


class _Handler(BaseHTTPRequestHandler):
    state: OpenMeteoState

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.state.requests.append((parts.path, query))
        if parts.path == "/v1/search":
            self._send(200, self._search(query))
        elif parts.path == "/v1/forecast":
            self._forecast(query)
        else:
            self._send(404, {"error": True, "reason": "Not Found"})

    def _search(self, q: dict[str, str]) -> dict[str, Any]:
        found = self.state.places.get(q.get("name", "").strip().lower())
        out: dict[str, Any] = {"generationtime_ms": 0.4}
        if found is not None and int(q.get("count", 10)) >= 1:
            out["results"] = [found]
        return out

    def _forecast(self, q: dict[str, str]) -> None:
        try:
            lat, lon = float(q["latitude"]), float(q["longitude"])
        except (KeyError, ValueError):
            self._send(400, {"error": True, "reason": "Parameter 'latitude' and "
                             "'longitude' must have the same number of elements"})
            return
        w = self.state.weather.get((round(lat, 2), round(lon, 2)), Weather())
        days = min(int(q.get("forecast_days", 7)), len(w.daily_codes))
        f = q.get("temperature_unit") == "fahrenheit"
        temp = (lambda c: round(c * 9 / 5 + 32, 1)) if f else (lambda c: c)
        wind = {"mph": lambda k: round(k / 1.609344, 1), "kmh": lambda k: k}[
            q.get("wind_speed_unit", "kmh")]
        current = {"time": f"{self.state.today}T12:00", "interval": 900,
                   "temperature_2m": temp(w.temperature_c), "weather_code": w.code,
                   "wind_speed_10m": wind(w.wind_kmh)}
        units = {"temperature_2m": "°F" if f else "°C", "weather_code": "wmo code",
                 "wind_speed_10m": "mp/h" if q.get("wind_speed_unit") == "mph" else "km/h"}
        daily = {"time": [str(self.state.today + dt.timedelta(days=i)) for i in range(days)],
                 "weather_code": list(w.daily_codes[:days]),
                 "temperature_2m_max": [temp(x) for x in w.highs_c[:days]],
                 "temperature_2m_min": [temp(x) for x in w.lows_c[:days]],
                 "precipitation_probability_max": list(w.rain_pct[:days])}
        asked_current = q.get("current", "").split(",")
        asked_daily = q.get("daily", "").split(",")
        self._send(200, {
            "latitude": lat, "longitude": lon, "generationtime_ms": 0.1,
            "utc_offset_seconds": 3600, "timezone": "Europe/Berlin",
            "timezone_abbreviation": "CET", "elevation": 40.0,
            "current_units": {"time": "iso8601", "interval": "seconds",
                              **{k: units[k] for k in CURRENT if k in asked_current}},
            "current": {k: v for k, v in current.items()
                        if k in ("time", "interval") or k in asked_current},
            "daily_units": {"time": "iso8601"},
            "daily": {k: v for k, v in daily.items() if k == "time" or k in asked_daily}})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OpenMeteoServer:
    """`with OpenMeteoServer() as s:` serves on 127.0.0.1 (a free port) in a thread."""

    def __init__(self) -> None:
        self.state = OpenMeteoState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def forecast_url(self) -> str:
        return f"{self.base}/v1/forecast"

    @property
    def geocoding_url(self) -> str:
        return f"{self.base}/v1/search"

    def __enter__(self) -> OpenMeteoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
