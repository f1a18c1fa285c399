"""A private PulseAudio server with null sinks: a real audio path and no sound card
(FACTS.md, "Devices"). Tests and audio benchmarks start and stop their own; `Room`
(room.py) builds a speaker, a room and an echo path on one."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from models.errors import CodedError


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
