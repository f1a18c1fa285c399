"""A virtual room with a real audio path and no sound card: a private PulseAudio server
with null sinks (FACTS.md, "Devices"). Tests and audio benchmarks start and stop their
own. `Room` adds what an in-process benchmark needs: Heron's speaker and the room the
microphone hears as two sinks joined by an echo path, and recorders ("taps") and a
player stamped on the sound server's own clock."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import CodedError

log = logging.getLogger(__name__)

TAP_RATE_HZ = 16000
TAP_BLOCK = 160  # 10 ms: a block's time is the sound server's, so small blocks are cheap
# Below ~100 ms the ALSA→PulseAudio bridge starves (docs/architecture.md, Audio devices).
STREAM_LATENCY_S = 0.1
# A new stream first works through a backlog (for 2-3 s its blocks are up to ~0.6 s
# old, and the server's estimate of that age is off); its times are trusted once the
# last SETTLE_BLOCKS came at about real-time pace with a small lag.
SETTLE_BLOCKS = 50


class PulseError(CodedError, RuntimeError):
    """PulseAudio is missing or would not start (a RuntimeError too, as tests expect)."""

    exit_code = 7


class PulseServer:
    """A private PulseAudio server with a null sink `heron_out`: playback goes to the
    sink and the default source (its monitor) hears it — a real audio path with no
    sound card. Clients find it through `env` (PULSE_RUNTIME_PATH)."""

    def __init__(self, root: Path, die_with_parent: bool = False) -> None:
        self.root = root
        runtime = root / "pulse"
        runtime.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PULSE_RUNTIME_PATH": str(runtime), "HOME": str(root)}
        self.env.pop("PULSE_SERVER", None)  # it would override the runtime path
        # With --exit-idle-time=-1 a server outlives a parent that was killed (a timed-out
        # benchmark); the kernel's parent-death signal ends it too. (It fires when the
        # thread that started the server ends: start it from the main thread.)
        self.die_with_parent = die_with_parent
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 15) -> PulseServer:
        for tool in ("pulseaudio", "pactl"):
            if shutil.which(tool) is None:
                raise PulseError("bench.pulseaudio_missing",
                                 f"{tool} is missing: run `scripts/system-deps.sh test`",
                                 "install it: sudo apt-get install pulseaudio "
                                 "pulseaudio-utils libasound2-plugins")
        prefix = (["setpriv", "--pdeathsig", "TERM"]
                  if self.die_with_parent and shutil.which("setpriv") else [])
        self.proc = subprocess.Popen(
            [*prefix, "pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n",
             "--load=module-null-sink sink_name=heron_out",
             "--load=module-native-protocol-unix auth-anonymous=1"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            ok = subprocess.run(["pactl", "info"], env=self.env, capture_output=True)
            if ok.returncode == 0:
                return self
            time.sleep(0.2)
        code = self.proc.poll()
        self.stop()
        raise PulseError("bench.pulseaudio_failed",
                         "the test PulseAudio server did not start"
                         + (f" (it exited with {code})" if code is not None else ""),
                         "run `pulseaudio -n -vv` by hand to see why")

    def play(self, wav: Path) -> None:
        subprocess.run(["paplay", "-d", "heron_out", str(wav)], env=self.env, check=True,
                       timeout=60)

    def record(self, wav: Path) -> subprocess.Popen:
        """Record what the sink plays until the returned process is terminated."""
        return subprocess.Popen(["parecord", "-d", "heron_out.monitor", "--file-format=wav",
                                 str(wav)], env=self.env)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None

    # -- modules and streams, to simulate plugging devices in and out ------------------
    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True,
                              text=True, timeout=30).stdout

    def load_module(self, name: str, *args: str) -> int:
        """`pactl load-module NAME ARGS`; returns the module index for unload_module."""
        return int(self.pactl("load-module", name, *args).strip())

    def unload_module(self, index: int) -> None:
        self.pactl("unload-module", str(index))

    def module_index(self, argument: str) -> int:
        """The index of the loaded module whose arguments contain `argument`."""
        for line in self.pactl("list", "short", "modules").splitlines():
            fields = line.split("\t")
            if len(fields) > 2 and argument in fields[2]:
                return int(fields[0])
        raise LookupError(f"no loaded module with {argument!r}")

    def source_outputs(self) -> list[str]:
        """Open recording streams (`pactl list short source-outputs`), one line each."""
        return self.pactl("list", "short", "source-outputs").splitlines()

    def add_alsa_device(self, name: str, source: str) -> None:
        """An ALSA device NAME (in $HOME/.asoundrc) recording from PulseAudio source SOURCE,
        so PortAudio lists it by name, as it would a USB microphone. (Given a sink's name,
        the device plays into that sink.)"""
        with (self.root / ".asoundrc").open("a", encoding="utf-8") as f:
            f.write(f'pcm.{name} {{\n  type pulse\n  device "{source}"\n'
                    f'  hint {{ show on description "{name}" }}\n}}\n')

    def remove_alsa_devices(self) -> None:
        """Forget every device add_alsa_device made (PortAudio notices on a rescan)."""
        (self.root / ".asoundrc").unlink(missing_ok=True)

    def start_playing(self, wav: Path, sink: str = "heron_out") -> subprocess.Popen:
        """Play `wav` into `sink` in the background; terminate the process to stop."""
        return subprocess.Popen(["paplay", "-d", sink, str(wav)], env=self.env,
                                stderr=subprocess.DEVNULL)


def _server_time(now: float, stream_now: float, stream_at: float) -> float:
    """Map a PortAudio stream time (ADC/DAC time, on the stream's clock) onto
    time.monotonic(). Both come from the sound server's latency accounting, which is far
    steadier than when a callback happens to run (blocks arrive in bursts)."""
    if stream_at <= 0 or abs(stream_now - stream_at) > 1.0:
        return now  # no usable stream time: the callback's own moment
    return now + (stream_at - stream_now)


class _Stream:
    """A 16 kHz mono int16 PortAudio stream on one of the room's ALSA devices, whose
    callback stamps each block with the sound server's time for it."""

    def __init__(self, device: str, output: bool) -> None:
        import sounddevice as sd  # only once the room's server is reachable

        self.device = device
        self._recent: deque[tuple[float, float]] = deque(maxlen=SETTLE_BLOCKS)  # (now, lag)
        kind = sd.OutputStream if output else sd.InputStream
        self._stream = kind(device=device, samplerate=TAP_RATE_HZ, channels=1, dtype="int16",
                            blocksize=TAP_BLOCK, latency=STREAM_LATENCY_S,
                            callback=self._callback)
        self._stream.start()

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        raise NotImplementedError

    def _stamp(self, stream_now: float, stream_at: float) -> float:
        now = time.monotonic()
        at = _server_time(now, stream_now, stream_at)
        self._recent.append((now, abs(at - now)))
        return at

    def settled(self, max_lag_s: float) -> bool:
        """The last SETTLE_BLOCKS came at about real-time pace, each less than
        `max_lag_s` away from its time in the sink."""
        recent = list(self._recent)
        return (len(recent) == SETTLE_BLOCKS and max(lag for _, lag in recent) < max_lag_s
                and recent[-1][0] - recent[0][0] < 1.5 * SETTLE_BLOCKS * TAP_BLOCK
                / TAP_RATE_HZ)

    def close(self) -> None:
        from audio.devices import close_stream

        close_stream(self._stream)


class Tap(_Stream):
    """Records a sink's monitor at 16 kHz; each 10 ms block is stamped with the
    time.monotonic() at which its first sample was in the sink (PortAudio's
    inputBufferAdcTime), so a sound's time is known to a few ms, not to a callback burst."""

    def __init__(self, device: str) -> None:
        self.overflows = 0
        self._lock = threading.Lock()
        self._blocks: list[tuple[float, np.ndarray]] = []
        super().__init__(device, output=False)

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        if status:
            self.overflows += 1
        at = self._stamp(t.currentTime, t.inputBufferAdcTime)
        with self._lock:
            self._blocks.append((at, data[:, 0].copy()))

    def _snapshot(self) -> list[tuple[float, np.ndarray]]:
        with self._lock:
            return list(self._blocks)

    def sound_times(self, t_from: float, t_to: float, level: int) -> np.ndarray:
        """The times of every sample in [t_from, t_to] at or above `level` (|int16|)."""
        hits = []
        for at, block in self._snapshot():
            if at + len(block) / TAP_RATE_HZ < t_from or at > t_to:
                continue
            times = at + np.flatnonzero(np.abs(block.astype(np.int32)) >= level) / TAP_RATE_HZ
            hits.append(times[(times >= t_from) & (times <= t_to)])
        return np.concatenate(hits) if hits else np.zeros(0)

    def audio(self, t_from: float, t_to: float) -> np.ndarray:
        """What was recorded between two monotonic times (zeros where nothing was)."""
        out = np.zeros(max(0, round((t_to - t_from) * TAP_RATE_HZ)), np.int16)
        for at, block in self._snapshot():
            i = round((at - t_from) * TAP_RATE_HZ)
            lo, hi = max(i, 0), min(i + len(block), len(out))
            if lo < hi:
                out[lo:hi] = block[lo - i:hi - i]
        return out

    def forget_before(self, t: float) -> None:
        """Drop blocks older than `t` (a long benchmark need not keep every run)."""
        with self._lock:
            self._blocks = [b for b in self._blocks if b[0] >= t]


@dataclass
class Playing:
    samples: np.ndarray
    started_at: float | None = None  # monotonic time its first sample was in the sink
    done: threading.Event = field(default_factory=threading.Event)


class Player(_Stream):
    """Plays 16 kHz clips into a sink from a stream that runs all along (silence in
    between), so the time the first sample reaches the sink is PortAudio's
    outputBufferDacTime of a settled stream rather than a guess at start-up."""

    def __init__(self, device: str) -> None:
        self._pending: deque[Playing] = deque()
        self._current: Playing | None = None
        self._pos = 0
        super().__init__(device, output=True)

    def play(self, samples: np.ndarray) -> Playing:
        """Start playing at the next block; returns at once."""
        playing = Playing(np.asarray(samples, np.int16).reshape(-1))
        self._pending.append(playing)
        return playing

    def _callback(self, data: np.ndarray, frames: int, t: Any, status: Any) -> None:
        out = data[:, 0]
        out[:] = 0
        at = self._stamp(t.currentTime, t.outputBufferDacTime)
        if self._current is None and self._pending:
            self._current, self._pos = self._pending.popleft(), 0
            self._current.started_at = at
        cur = self._current
        if cur is not None:
            n = min(frames, len(cur.samples) - self._pos)
            out[:n] = cur.samples[self._pos:self._pos + n]
            self._pos += n
            if self._pos >= len(cur.samples):
                self._current = None
                cur.done.set()


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
