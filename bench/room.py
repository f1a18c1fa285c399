"""A virtual room with a real audio path and no sound card, on a private PulseAudio
server (pulse_server.py). `Room` adds what an in-process benchmark needs: Heron's
speaker and the room the microphone hears as two sinks joined by an echo path, and
recorders ("taps") and a player stamped on the sound server's own clock
(room_streams.py)."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.pulse_server import PulseError, PulseServer
from bench.room_streams import TAP_RATE_HZ, Player, Tap

log = logging.getLogger(__name__)


class Room:
    """`with Room(echo_ms=30) as room:` — Heron's speaker plays into the default sink
    `heron_out`; module-loopback carries it into `heron_room` as a room's echo would;
    `heron_room`'s monitor is the default source (the microphone); a user is
    `room.player(Room.ROOM)`; `room.tap(sink)` records a sink. While open, this process's
    PortAudio talks to the private server (PULSE_RUNTIME_PATH, and HOME for the ALSA
    devices in ~/.asoundrc; PortAudio re-initialised if loaded): all undone on exit."""

    SPEAKER, ROOM = "heron_out", "heron_room"

    def __init__(self, echo_ms: int = 30) -> None:
        self.echo_ms = echo_ms
        self.server: PulseServer | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self._saved_env: dict[str, str | None] = {}
        self._streams: list[Tap | Player] = []

    def __enter__(self) -> Room:
        self._dir = tempfile.TemporaryDirectory(prefix="heron-room-")
        try:
            self.server = PulseServer(Path(self._dir.name), die_with_parent=True).start()
            s = self.server
            s.load_module("module-null-sink", f"sink_name={self.ROOM}")
            # adjust_time=0: both null sinks run on one clock, so the loopback need not
            # resample (a drifting echo path is not what this room is about).
            s.load_module("module-loopback", f"source={self.SPEAKER}.monitor",
                          f"sink={self.ROOM}", f"latency_msec={self.echo_ms}",
                          "adjust_time=0")
            s.pactl("set-default-sink", self.SPEAKER)
            s.pactl("set-default-source", f"{self.ROOM}.monitor")
            for sink in (self.SPEAKER, self.ROOM):
                s.add_alsa_device(f"{sink}_tap", f"{sink}.monitor")
                s.add_alsa_device(f"{sink}_play", sink)
            for key in ("PULSE_RUNTIME_PATH", "HOME", "PULSE_SERVER"):
                self._saved_env[key] = os.environ.get(key)
            os.environ.pop("PULSE_SERVER", None)
            os.environ["PULSE_RUNTIME_PATH"] = s.env["PULSE_RUNTIME_PATH"]
            os.environ["HOME"] = s.env["HOME"]
            _reinit_portaudio()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        log.info("room: PulseAudio at %s, echo path %d ms", self._dir.name, self.echo_ms)
        return self

    def tap(self, sink: str) -> Tap:
        tap = Tap(f"{sink}_tap")
        self._streams.append(tap)
        return tap

    def player(self, sink: str) -> Player:
        player = Player(f"{sink}_play")
        self._streams.append(player)
        return player

    def clock_check(self, speaker_tap: Tap, room_tap: Tap, room_player: Player,
                    clicks: int = 5) -> dict:
        """Clicks played into each sink, found again by its tap: how far the taps' times
        are from the players' (two estimates by the sound server, through different
        streams), and how late the speaker's echo reaches the room."""
        speaker_player = self.player(self.SPEAKER)
        self.settle(speaker_tap, room_tap, room_player, speaker_player)
        click = np.zeros(TAP_RATE_HZ // 10, np.int16)
        click[:48] = 16000
        found: dict[str, list[float]] = {"speaker": [], "room": [], "echo": []}
        try:
            for _ in range(clicks):
                for name, player, tap in (("speaker", speaker_player, speaker_tap),
                                          ("room", room_player, room_tap)):
                    playing = player.play(click)
                    playing.done.wait(2.0)
                    time.sleep(0.35)  # the tap hands its blocks over ~0.1 s late
                    t = playing.started_at or 0.0
                    heard = [(name, tap)] + ([("echo", room_tap)] if name == "speaker" else [])
                    for key, on in heard:
                        hits = on.sound_times(t - 0.2, t + 0.3, 4000)  # a quarter up
                        if len(hits):
                            found[key].append((float(hits[0]) - t) * 1000)
        finally:
            speaker_player.close()
            self._streams.remove(speaker_player)
        return {"clicks": clicks,
                "speaker_tap_minus_player_ms": _spread(found["speaker"], clicks),
                "room_tap_minus_player_ms": _spread(found["room"], clicks),
                "echo_delay_ms": _spread(found["echo"], clicks)["median"]}

    def settle(self, *streams: Tap | Player, timeout_s: float = 20.0) -> None:
        """Wait until every stream's times can be trusted (see SETTLE_BLOCKS)."""
        deadline = time.monotonic() + timeout_s
        # A tap's blocks arrive ~20 ms after the sink had them; a player's ~0.1 s ahead.
        while not all(s.settled(0.1 if isinstance(s, Tap) else 0.25) for s in streams):
            if time.monotonic() > deadline:
                raise PulseError("bench.pulseaudio_failed",
                                 "the room's audio streams did not settle to real-time pace",
                                 "the machine may be overloaded: try again when it is idle")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        for stream in self._streams:
            stream.close()
        self._streams.clear()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if self.server is not None:
            self.server.stop()
            self.server = None
            _reinit_portaudio()  # forget the devices of a server that is gone
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def _spread(values: list[float], expected: int) -> dict:
    arr = np.abs(values) if values else None
    return {"found": len(values), "of": expected,
            "median": round(float(np.median(values)), 2) if values else None,
            "max_abs": round(float(arr.max()), 2) if arr is not None else None}


def _reinit_portaudio() -> None:
    """PortAudio lists devices (and ALSA reads ~/.asoundrc) when it initialises, which
    happens at the first `import sounddevice`; if that was before, do it again."""
    if "sounddevice" not in sys.modules:
        return
    from audio.devices import refresh_devices
    from audio.errors import DeviceError

    try:
        refresh_devices()
    except DeviceError as err:
        log.warning("room: %s", err.message)
