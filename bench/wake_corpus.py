"""Audio for the wake word benchmark, in two disjoint sets.

- dev: the clips the threshold is chosen on (the set of the first benchmark);
- held_out: other voices, speeds, phrasings, noises and prose, never used for choosing —
  the numbers that say whether the chosen threshold generalises.

Positives are "okay Nabu" (the default wake word) and "hey Jarvis" by piper (joe, several
styles) and espeak-ng voices with noise at 10 dB SNR; negatives are speech without the
phrases: real recordings (moonshine-voice assets) and espeak-ng prose from Python's own
documentation (dev) or Debian's licence texts (held-out).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio.file_source import decode_file, to_internal
from audio.frames import SAMPLE_RATE_HZ

SNR_DB = 10.0
WAKE_WORDS = re.compile(r"nabu|jarvis|alexa|mycroft|rhasspy", re.I)
MOONSHINE_CLIPS = ("two_cities.wav", "beckett.wav", "endgame_nagg_nell.wav", "clone-test.wav")


@dataclass(frozen=True)
class CorpusSpec:
    name: str
    phrases: dict[str, tuple[str, ...]]  # wake word id -> how it is written
    piper_styles: tuple[tuple[float, float], ...]  # (length_scale, noise_scale)
    espeak_voices: tuple[str, ...]
    espeak_speeds: tuple[int, ...]
    noises: tuple[str, ...]
    prose_voices: tuple[str, ...]
    negative_s: float  # 0: positives only
    prose: str  # "pydoc": Python's documentation; "licenses": Debian's licence texts
    human_rates: tuple[float, ...]  # moonshine recordings replayed at these speeds
    kokoro_styles: tuple[str, ...] = ()  # Kokoro-82M voices (bench/kokoro_voice.py)
    kokoro_speeds: tuple[float, ...] = ()


DEV = CorpusSpec(
    name="dev", phrases={"okay_nabu": ("Okay Nabu.",), "hey_jarvis": ("Hey Jarvis.",)},
    piper_styles=tuple((ls, ns) for ls in (0.85, 1.0, 1.2) for ns in (0.333, 0.8)),
    espeak_voices=("en-us", "en-gb", "en+f3", "en+m7", "en-sc", "en-us+f4"),
    espeak_speeds=(130, 160, 190), noises=("white", "pink"),
    prose_voices=("en-us", "en-gb", "en+f3", "en+m7", "en-sc", "en-us+f4", "en-us+m3",
                  "en-gb+f2", "en+m1"),
    negative_s=3700, prose="pydoc", human_rates=(0.9, 1.0, 1.1))
# The same conditions with other voices, speeds, noise samples and text.
HELD_OUT = CorpusSpec(
    name="held_out", phrases={"okay_nabu": ("Okay Nabu.", "Okay Nabu!"),
                              "hey_jarvis": ("Hey Jarvis.", "Hey Jarvis!")},
    piper_styles=((0.9, 0.5), (1.1, 0.667), (0.95, 1.0), (1.3, 0.6)),
    espeak_voices=("en-029", "en-gb-x-rp", "en-us+m2", "en+f4", "en-gb+m4", "en-us+f5"),
    espeak_speeds=(145, 175), noises=("white", "pink"),
    prose_voices=("en-029", "en-gb-x-rp", "en-us+m2", "en+f4", "en-gb+m4", "en-us+f5"),
    negative_s=1850, prose="licenses", human_rates=(0.95, 1.05),
    kokoro_styles=("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"),
    kokoro_speeds=(0.9, 1.1))
# Harder than the targets ask: other people talking (3 voices at 10 dB SNR), a rumble,
# and a pause after "Hey,"/"Okay,". Reported, not judged.
STRESS = CorpusSpec(
    name="stress", phrases={"okay_nabu": ("Okay Nabu.", "Okay, Nabu!"),
                            "hey_jarvis": ("Hey Jarvis.", "Hey, Jarvis!")},
    piper_styles=HELD_OUT.piper_styles, espeak_voices=HELD_OUT.espeak_voices,
    espeak_speeds=HELD_OUT.espeak_speeds, noises=("babble", "brown"), prose_voices=(),
    negative_s=0, prose="", human_rates=())


def noise(kind: str, n: int, rng: np.random.Generator, babble: np.ndarray | None = None
          ) -> np.ndarray:
    """Unit-power noise: white, pink (1/f) or brown (1/f²), shaped in the frequency
    domain, or babble (other people's speech, overlaid)."""
    if kind == "babble":
        assert babble is not None and len(babble) > n
        talkers = [np.roll(babble, int(rng.integers(len(babble))))[:n] for _ in range(3)]
        out = np.sum(talkers, axis=0).astype(np.float64)
    else:
        out = rng.standard_normal(n)
        if kind in ("pink", "brown"):
            spec = np.fft.rfft(out)
            f = np.maximum(np.arange(len(spec)), 1)
            spec /= np.sqrt(f) if kind == "pink" else f
            out = np.fft.irfft(spec, n)
    return out / np.sqrt(np.mean(out**2) + 1e-12)


def mix_at_snr(speech: np.ndarray, kind: str, snr_db: float, seed: int,
               babble: np.ndarray | None = None) -> np.ndarray:
    """Noise over the whole clip at `snr_db` below the power of the spoken part."""
    x = speech.astype(np.float64)
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames**2).mean(axis=1))
    voiced = frames[rms > 0.1 * rms.max()]
    power = float((voiced**2).mean())
    n = noise(kind, len(x), np.random.default_rng(seed), babble)
    n *= np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(x + n, -32768, 32767).astype(np.int16)


def espeak(text: str, voice: str, speed: int, path: Path) -> np.ndarray:
    if not path.is_file():
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                       check=True, capture_output=True)
    return decode_file(path)


def pad(samples: np.ndarray, lead_s: float = 1.0, tail_s: float = 1.5) -> np.ndarray:
    z = lambda s: np.zeros(int(s * SAMPLE_RATE_HZ), np.int16)  # noqa: E731
    return np.concatenate([z(lead_s), samples, z(tail_s)])


def positives(ctx, spec: CorpusSpec, folder: Path, quick: bool,
              babble: np.ndarray | None = None) -> list[dict]:
    """Each wake phrase by piper and espeak-ng voices, each with every noise kind."""
    from audio.tts import PiperSynthesizer

    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    styles = spec.piper_styles[:2] if quick else spec.piper_styles
    voices = spec.espeak_voices[:2] if quick else spec.espeak_voices
    speeds = spec.espeak_speeds[:1] if quick else spec.espeak_speeds
    for word, phrases in spec.phrases.items():
        first = len(clips)
        for i, (ls, ns) in enumerate(styles):
            phrase = phrases[i % len(phrases)]
            tts = PiperSynthesizer(replace(ctx.config.tts, length_scale=ls, noise_scale=ns,
                                           noise_w_scale=0.8), ctx.store)
            audio = to_internal(tts.synthesize_all(phrase), tts.sample_rate_hz)
            clips.append({"word": word, "voice": "piper joe",
                          "style": f"length {ls}, noise {ns}", "phrase": phrase,
                          "samples": pad(audio), "seed": len(clips)})
        for v in voices:
            for s in speeds:
                phrase = phrases[(len(clips) - first) % len(phrases)]
                tag = re.sub(r"\W", "", phrase.lower())
                audio = espeak(phrase, v, s, folder / f"pos_{spec.name}_{tag}_{v}_{s}.wav")
                clips.append({"word": word, "voice": f"espeak-ng {v}", "style": f"{s} wpm",
                              "phrase": phrase, "samples": pad(audio), "seed": len(clips)})
    clips += _kokoro(spec, folder, quick, len(clips))
    out = []
    for clip in clips:
        for kind in spec.noises[:1] if quick else spec.noises:
            seed = clip["seed"] + {"dev": 0, "held_out": 1000}.get(spec.name, 2000)
            out.append({**clip, "set": spec.name, "noise": kind,
                        "samples": mix_at_snr(clip["samples"], kind, SNR_DB, seed, babble)})
    return out


def _kokoro(spec: CorpusSpec, folder: Path, quick: bool, seed: int) -> list[dict]:
    """The phrases in Kokoro's voices: neither engine nor Heron was tuned on them."""
    if not spec.kokoro_styles:
        return []
    from bench.kokoro_voice import KokoroVoice

    voice, clips = KokoroVoice(folder / "kokoro"), []
    styles = spec.kokoro_styles[:1] if quick else spec.kokoro_styles
    for word, phrases in spec.phrases.items():
        for style in styles:
            for speed in spec.kokoro_speeds[:1] if quick else spec.kokoro_speeds:
                phrase = phrases[len(clips) % len(phrases)]
                path = folder / f"pos_{spec.name}_{word}_kokoro_{style}_{speed}.npy"
                if not path.is_file():
                    np.save(path, voice.speak(phrase, style, speed))
                clips.append({"word": word, "voice": f"kokoro {style}",
                              "style": f"speed {speed}", "phrase": phrase,
                              "samples": pad(np.load(path)), "seed": seed + len(clips)})
    return clips


LICENSES = Path("/usr/share/common-licenses")  # Debian base-files: always there


def sentences(source: str, limit_chars: int) -> list[str]:
    """Plain English prose that ships with the machine: Python's own documentation
    ("pydoc") or Debian's licence texts ("licenses", other text for another set)."""
    if source == "licenses" and LICENSES.is_dir():
        text = " ".join(p.read_text(errors="replace") for p in sorted(LICENSES.iterdir())
                        if p.is_file() and not p.is_symlink())
    else:
        from pydoc_data.topics import topics

        text = " ".join(topics[k] for k in sorted(topics))
    out, total = [], 0
    for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text)):
        if 40 <= len(s) <= 220 and re.fullmatch(r"[A-Za-z ,.;:'()!?-]+", s) \
                and not WAKE_WORDS.search(s):
            out.append(s)
            total += len(s)
            if total >= limit_chars:
                break
    return out


def negatives(spec: CorpusSpec, folder: Path, quick: bool
              ) -> tuple[list[np.ndarray], list[dict]]:
    """Speech without the wake phrase: real human recordings (replayed at a few speeds)
    and espeak-ng paragraphs in rotating voices and speeds."""
    folder.mkdir(parents=True, exist_ok=True)
    target_s = 120 if quick else spec.negative_s
    parts: list[np.ndarray] = []
    info: dict[str, float] = {}
    found = importlib.util.find_spec("moonshine_voice")
    assets = Path(found.submodule_search_locations[0]) / "assets" if found else None
    human = f"human speech (moonshine-voice assets, x{'/'.join(map(str, spec.human_rates))})"
    for name in MOONSHINE_CLIPS if assets else ():
        real = decode_file(assets / name)
        for rate in (1.0,) if quick else spec.human_rates:
            parts.append(to_internal(real, int(SAMPLE_RATE_HZ * rate)) if rate != 1.0 else real)
            info[human] = info.get(human, 0) + len(parts[-1]) / SAMPLE_RATE_HZ
    if spec.negative_s <= 0:
        return [], []
    prose = sentences(spec.prose, 3_000 if quick else int(spec.negative_s * 16))
    voices = spec.prose_voices
    label = f"espeak-ng paragraphs ({len(voices)} voices, 120-210 wpm)"
    i = 0
    while sum(len(p) for p in parts) / SAMPLE_RATE_HZ < target_s and i * 6 < len(prose):
        text = " ".join(prose[i * 6:(i + 1) * 6])
        v, s = voices[i % len(voices)], 120 + (i * 17) % 90
        audio = espeak(text, v, s, folder / f"neg_{spec.name}_{i:04d}.wav")
        parts.append(np.concatenate([audio, np.zeros(SAMPLE_RATE_HZ // 2, np.int16)]))
        info[label] = info.get(label, 0) + len(parts[-1]) / SAMPLE_RATE_HZ
        i += 1
    return parts, [{"source": k, "seconds": round(v, 1)} for k, v in info.items()]
