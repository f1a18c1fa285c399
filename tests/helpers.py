"""Helpers for tests that use Heron as a user would: the real CLI in a subprocess,
and speech files made at test time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

from bench.text import wer, words  # noqa: F401  (re-exported for the tests)

REPO = Path(__file__).resolve().parents[1]


def run_heron(home: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` with HERON_HOME=home; never raises on exit codes."""
    full_env = {**os.environ, "HERON_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def sounds_like(expected: str, heard: str, max_wer: float = 0.5) -> bool:
    """Whether a transcript of speech (`heard`, possibly with other speech around it)
    contains `expected`, forgiving what small whisper models do to spoken numbers and
    times: "4:08 PM" comes back as "408 p.m.", "4.08pm" or "four oh eight".
    True when the expected digits appear in order, or some stretch of `heard` is within
    `max_wer` of `expected`."""
    def digits(text: str) -> str:
        return "".join(re.findall(r"[0-9]", " ".join(words(text))))

    if len(digits(expected)) >= 2 and digits(expected) in digits(heard):
        return True
    target = " ".join(words(re.sub(r"\b([ap])\.? ?m\b\.?", r"\1m", expected.lower())))
    said = words(re.sub(r"\b([ap])\.? ?m\b\.?", r"\1m", heard.lower()))
    n = len(target.split())
    spans = [" ".join(said[i:i + k]) for k in range(max(1, n - 1), n + 2)
             for i in range(max(1, len(said) - k + 1))]
    return any(wer(target, span) <= max_wer for span in spans)


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(samples.astype(np.int16).tobytes())
    return path


def espeak_wav(path: Path, text: str, voice: str = "en-us", speed: int = 150,
               lead_s: float = 0.5, tail_s: float = 1.5) -> Path:
    """Speak `text` with Debian's espeak-ng (22.05 kHz), padded with silence by sox."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is missing: run `scripts/system-deps.sh test`")
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run(["sox", str(raw), str(path), "pad", str(lead_s), str(tail_s)], check=True)
    raw.unlink()
    return path


class PulseServer:
    """A private PulseAudio server with a null sink `heron_out`: playback goes to the
    sink and the default source (its monitor) hears it — a real audio path with no
    sound card. Clients find it through `env` (PULSE_RUNTIME_PATH)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        runtime = root / "pulse"
        runtime.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PULSE_RUNTIME_PATH": str(runtime), "HOME": str(root)}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 15) -> PulseServer:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is missing: run `scripts/system-deps.sh test`")
        self.proc = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n",
             "--load=module-null-sink sink_name=heron_out",
             "--load=module-native-protocol-unix auth-anonymous=1"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ok = subprocess.run(["pactl", "info"], env=self.env, capture_output=True)
            if ok.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the test PulseAudio server did not start")

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
        so PortAudio lists it by name, as it would a USB microphone."""
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
