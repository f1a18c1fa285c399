"""Helpers for tests that use Heron as a user would: the real CLI in a subprocess,
and speech files made at test time."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.pulse_server import PulseServer  # noqa: F401  (re-exported for the tests)
from bench.text import wer, words  # noqa: F401  (re-exported for the tests)
from bench.wyoming_peers import free_port  # noqa: F401  (re-exported for the tests)
from bench.xserver import stop_process

REPO = Path(__file__).resolve().parents[1]


class User:
    """A permission prompter's user: answers every question with `answer` (default
    "always"); keeps what it was asked."""

    def __init__(self, answer: object = None) -> None:
        from assistant.permissions.policy import Answer

        self.answer = Answer.ALWAYS if answer is None else answer
        self.asked: list = []

    async def __call__(self, request: object) -> object:
        self.asked.append(request)
        return self.answer


def run_heron(home: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` with HERON_HOME=home; never raises on exit codes."""
    full_env = {**os.environ, "HERON_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


SPOKEN_DIGITS = {"oh": "0", "zero": "0", "one": "1", "won": "1", "two": "2", "to": "2",
                 "too": "2", "three": "3", "four": "4", "for": "4", "five": "5",
                 "six": "6", "seven": "7", "eight": "8", "ate": "8", "nine": "9"}


def sounds_like(expected: str, heard: str, max_wer: float = 0.5) -> bool:
    """Whether a transcript of speech (`heard`, possibly with other speech around it)
    contains `expected`, forgiving what small whisper models do to spoken numbers and
    times: "4:08 PM" comes back as "408 p.m.", "4.08pm" or "four oh eight".
    True when the expected digits appear in order, or some stretch of `heard` is within
    `max_wer` of `expected`."""
    def digits(text: str) -> str:
        # "It's 4:09 PM" is heard as "It's for 0.9 PM" too: number homophones count
        said = [SPOKEN_DIGITS.get(w, w) for w in words(text)]
        return "".join(re.findall(r"[0-9]", " ".join(said)))

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


@contextmanager
def private_session_bus(tmp_path: Path) -> Iterator[str]:
    """A dbus-daemon of our own (a session bus with nothing on it); yields its
    address."""
    daemon = shutil.which("dbus-daemon")
    assert daemon, "dbus-daemon is missing: install the test tools with " \
                   "`scripts/system-deps.sh test`"
    config = tmp_path / "session.conf"
    config.write_text(
        "<!DOCTYPE busconfig PUBLIC '-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN'"
        " 'http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd'>\n"
        f"<busconfig><type>session</type><listen>unix:path={tmp_path}/bus</listen>"
        "<auth>EXTERNAL</auth><policy context='default'><allow send_destination='*'/>"
        "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>\n")
    proc = subprocess.Popen([daemon, "--config-file", str(config), "--nofork",
                             "--print-address"], stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        stop_process(proc)


def load_key(path: Path) -> bytes:
    """The audit key in the 0600 file `path`, made on first use (what Heron did before
    the secret store; AuditLog.open migrates such a file)."""
    if path.is_file():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key
