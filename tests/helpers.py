"""Helpers for tests that use Heron as a user would: the real CLI in a subprocess,
and speech files made at test time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def run_heron(home: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` with HERON_HOME=home; never raises on exit codes."""
    full_env = {**os.environ, "HERON_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


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


_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                 "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_CANONICAL = {**{w: str(i) for i, w in enumerate(_NUMBER_WORDS)}, "thirty": "30",
              "forty": "40", "fifty": "50", "okay": "ok"}


def words(text: str) -> list[str]:
    """Lowercase words, number words as digits ("two" → "2"), "okay" → "ok"."""
    text = text.lower().replace("—", " ").replace("-", " ")
    return [_CANONICAL.get(w, w) for w in re.findall(r"[a-z0-9']+", text)]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance / reference length."""
    ref, hyp = words(reference), words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / max(1, len(ref))
