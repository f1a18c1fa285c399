"""A small MPRIS client (the `media.control` backend): finds the media players on the
session bus (bus names org.mpris.MediaPlayer2.*), reads what they play and sends them
Play, Pause, Next, Previous and OpenUri. Blocking (jeepney): tools call it with
asyncio.to_thread. The bus address is looked up at call time, so a desktop session
started later works without a restart.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.desktop.portal_shortcuts import session_bus_address
from assistant.tools.registry import ToolError

PREFIX = "org.mpris.MediaPlayer2."
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
CALL_TIMEOUT_S = 2.0
SETTLE_S = 2.0  # how long a player may take to show the effect of a command
_POLL_S = 0.05

NO_PLAYER = ("No media player is running. Start one (for example a music app) and "
             "ask again.")


@dataclass(frozen=True)
class PlayerState:
    """One player as the bus shows it now."""

    bus_name: str
    owner: str  # unique connection name (":1.42"): a higher number connected later
    identity: str
    status: str  # Playing | Paused | Stopped
    title: str = ""
    artist: str = ""
    url: str = ""
    can_play: bool = True
    can_pause: bool = True
    can_go_next: bool = True
    can_go_previous: bool = True
    uri_schemes: tuple[str, ...] = ()

    def track(self) -> str:
        """What is playing, in words ("Title by Artist"), or ""."""
        from_url = _title_from_url(self.url)
        # players without tags show the file name ("Song.flac"): say it without the suffix
        title = from_url if not self.title or Path(self.title).stem == from_url else self.title
        if title and self.artist:
            return f"{title} by {self.artist}"
        return title

    def to_dict(self) -> dict[str, Any]:
        return {"player": self.identity, "bus_name": self.bus_name, "status": self.status,
                "title": self.title, "artist": self.artist, "url": self.url}


def _title_from_url(url: str) -> str:
    if not url.startswith("file://"):
        return ""
    from urllib.parse import unquote, urlsplit

    return Path(unquote(urlsplit(url).path)).stem


def _order(owner: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", owner)) or (0,)


class MprisClient:
    """The media players on the session bus. `address` None: the session bus of the
    environment (`env`, default os.environ) at call time. Remembers the player it
    controlled last, which wins over the others when none is playing."""

    def __init__(self, address: str | None = None, env: Mapping[str, str] | None = None,
                 timeout_s: float = CALL_TIMEOUT_S) -> None:
        self._address = address
        self._env = env
        self.timeout_s = timeout_s
        self._last = ""
        self._lock = threading.Lock()

    def address(self) -> str | None:
        return self._address or session_bus_address(os.environ if self._env is None
                                                     else self._env)

    @contextmanager
    def session(self) -> Iterator[MprisSession]:
        """One connection to the bus for the length of a tool call."""
        from jeepney.io.blocking import open_dbus_connection

        address = self.address()
        if address is None:
            raise ToolError("media.no_session_bus", "I can't reach your media players: there "
                            "is no desktop session bus. Run Heron inside your desktop "
                            "session and ask again.", "run Heron inside your desktop session")
        try:
            conn = open_dbus_connection(address, auth_timeout=self.timeout_s)
        except (OSError, RuntimeError, ValueError, KeyError) as err:
            raise ToolError("media.no_session_bus", "I can't reach your media players: the "
                            "desktop session bus does not answer. Run Heron inside your "
                            "desktop session and ask again.",
                            "check DBUS_SESSION_BUS_ADDRESS") from err
        try:
            yield MprisSession(self, conn)
        finally:
            conn.close()

    def remember(self, bus_name: str) -> None:
        with self._lock:
            self._last = bus_name

    def last(self) -> str:
        with self._lock:
            return self._last

    def status(self) -> dict[str, Any]:
        """For `heron doctor`."""
        try:
            with self.session() as s:
                players = s.players()
        except ToolError as err:
            return {"available": False, "problem": err.message, "hint": err.hint}
        return {"available": True, "players": [p.identity for p in players]}


class MprisSession:
    """The players, reached through one open bus connection."""

    def __init__(self, client: MprisClient, conn: Any) -> None:
        self._client = client
        self._conn = conn

    def _call(self, bus_name: str, iface: str, method: str, signature: str = "",
              body: tuple = (), path: str = OBJECT_PATH) -> tuple:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        address = DBusAddress(path, bus_name=bus_name, interface=iface)
        reply = self._conn.send_and_get_reply(new_method_call(address, method, signature, body),
                                              timeout=self._client.timeout_s)
        return unwrap_msg(reply)

    def _names(self) -> list[tuple[str, str]]:
        """(well-known name, unique owner) of every MPRIS player on the bus."""
        from jeepney.wrappers import DBusErrorResponse

        bus = "org.freedesktop.DBus"
        try:
            names = self._call(bus, bus, "ListNames", path="/org/freedesktop/DBus")[0]
        except (DBusErrorResponse, TimeoutError, ConnectionError) as err:
            raise ToolError("media.bus_timeout", "The desktop session bus did not answer, so "
                            "I can't reach your media players. Wait a moment and ask again.",
                            "if it keeps happening, log out and back in") from err
        out = []
        for name in names:
            if name.startswith(PREFIX):
                try:
                    owner = self._call(bus, bus, "GetNameOwner", "s", (name,),
                                       path="/org/freedesktop/DBus")[0]
                except Exception:  # noqa: BLE001 - gone between the two calls
                    continue
                out.append((name, owner))
        return out

    def _state(self, bus_name: str, owner: str) -> PlayerState:
        props = "org.freedesktop.DBus.Properties"
        player = _plain(self._call(bus_name, props, "GetAll", "s", (PLAYER_IFACE,))[0])
        root = _plain(self._call(bus_name, props, "GetAll", "s", (ROOT_IFACE,))[0])
        meta = player.get("Metadata") or {}
        artist = meta.get("xesam:artist") or []
        return PlayerState(
            bus_name=bus_name, owner=owner,
            identity=str(root.get("Identity") or bus_name[len(PREFIX):].split(".")[0]),
            status=str(player.get("PlaybackStatus") or "Stopped"),
            title=str(meta.get("xesam:title") or ""),
            artist=", ".join(artist) if isinstance(artist, list) else str(artist),
            url=str(meta.get("xesam:url") or ""),
            can_play=bool(player.get("CanPlay", True)),
            can_pause=bool(player.get("CanPause", True)),
            can_go_next=bool(player.get("CanGoNext", True)),
            can_go_previous=bool(player.get("CanGoPrevious", True)),
            uri_schemes=tuple(root.get("SupportedUriSchemes") or ()))

    def players(self) -> list[PlayerState]:
        """Every player that answers; one that hangs or errors is left out."""
        out = []
        for name, owner in self._names():
            try:
                out.append(self._state(name, owner))
            except Exception:  # noqa: BLE001 - a broken player must not hide the others
                continue
        return out

    def choose(self, usable: Callable[[PlayerState], bool] | None = None) -> PlayerState:
        """The player a command is for: the one playing, else the one Heron controlled
        last, else a paused one, else the one started last. ToolError media.no_player."""
        players = [p for p in self.players() if usable is None or usable(p)]
        if not players:
            raise ToolError("media.no_player", NO_PLAYER, "start a media player")
        last = self._client.last()
        return max(players, key=lambda p: (p.status == "Playing", p.bus_name == last,
                                           p.status == "Paused", _order(p.owner)))

    def state(self, player: PlayerState) -> PlayerState:
        return self._state(player.bus_name, player.owner)

    def command(self, player: PlayerState, method: str, signature: str = "",
                body: tuple = ()) -> None:
        """Call a Player method (Play, Pause, Next, Previous, OpenUri …)."""
        from jeepney.wrappers import DBusErrorResponse

        try:
            self._call(player.bus_name, PLAYER_IFACE, method, signature, body)
        except DBusErrorResponse as err:
            raise ToolError("media.failed", f"{player.identity} refused to {method.lower()}: "
                            f"{err.name}.", "try it in the player itself") from err
        except TimeoutError as err:
            raise ToolError("media.timeout", f"{player.identity} did not answer. Check that "
                            "it is not frozen and ask again.", "restart the player") from err
        self._client.remember(player.bus_name)

    def wait(self, player: PlayerState, done: Callable[[PlayerState], bool],
             timeout_s: float = SETTLE_S) -> PlayerState:
        """The player's state once `done(state)` holds, or the last state seen when
        `timeout_s` passes first (players apply commands asynchronously) or the player
        stops answering. ToolError media.player_gone / media.timeout when it quits or
        hangs before showing any state after the command."""
        from jeepney.wrappers import DBusErrorResponse

        deadline = time.monotonic() + timeout_s
        seen: PlayerState | None = None
        while True:
            try:
                seen = self.state(player)
            except (DBusErrorResponse, TimeoutError, ConnectionError) as err:
                if seen is not None:
                    return seen
                raise _gone(player, err) from err
            if done(seen) or time.monotonic() >= deadline:
                return seen
            time.sleep(_POLL_S)


def _gone(player: PlayerState, err: Exception) -> ToolError:
    """The player took a command, then quit (its name left the bus) or hung."""
    if isinstance(err, TimeoutError):
        return ToolError("media.timeout", f"{player.identity} stopped answering. Check that "
                         "it is not frozen and ask again.", "restart the player")
    return ToolError("media.player_gone", f"{player.identity} closed before I could see what "
                     "it did. Start it again and ask again.", "start the player again")


def _plain(props: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """A{sv} as jeepney gives it ((signature, value) pairs) as plain values; the track
    metadata inside is an a{sv} too."""
    out = {name: value for name, (_sig, value) in props.items()}
    if isinstance(out.get("Metadata"), dict):
        out["Metadata"] = {k: v for k, (_sig, v) in out["Metadata"].items()}
    return out
