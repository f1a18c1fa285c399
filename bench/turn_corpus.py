"""Speech for the turn-taking benchmark (bench/turn.py): sentences with a pause in the
middle, and finished sentences Heron has no command for.

A pause is put into the sentence as it was spoken whole, so the words before it keep the
running intonation of an unfinished sentence (the prefix said on its own would sound
finished). Where the pause goes: the prefix is also said alone, and its log-mel frames
are aligned (open-end DTW) against the start of the whole sentence; the aligned end,
moved to the quietest 10 ms nearby, is where the silence is inserted.

The split is fixed here, before any tuning: dev sentences and voices are used to choose
the options; held-out sentences and voices are only reported.
- dev voices: piper joe (the voice Heron was built with) and two espeak-ng variants;
- held-out voices: two other espeak-ng variants and two Kokoro styles, none used in dev.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.frames import SAMPLE_RATE_HZ
from bench.augment import speech_span
from bench.voice_synth import Voices, key, read_wav, write_wav
from bench.wake_corpus import pad

PAUSE_MS = 600
LEAD_MS, TRAIL_MS = 500, 2000
CORPUS_VERSION = "1"

# "|" marks the pause. No sentence is finished before its pause (a complete command
# followed by more words is another problem: "what time is it ... in Tokyo").
PAUSED = {
    "dev": (
        "remind me to | call mom", "set a timer for | ten minutes",
        "open | the calculator", "what is the capital | of France",
        "add milk to | my shopping list", "remind me to | water the plants tonight",
        "set a timer for | the pasta", "what does this error | on my screen say",
        "open | the file manager", "play some | jazz music",
        "take a | screenshot", "add eggs and | bread to the shopping list",
        "can you | tell me the time", "set an alarm | for seven in the morning",
        "turn the volume | down a little", "what's on my | shopping list",
        "start a timer | for the laundry", "remind me | to buy flowers tomorrow",
        "read the | text on my screen", "cancel | the tea timer",
    ),
    "held_out": (
        "remind me to | send the report", "set a timer for | twenty minutes",
        "open | the text editor", "how many days until | Christmas",
        "add apples to | the grocery list", "remind me to | pick up the kids",
        "what is the time in | Tokyo", "open the | web browser",
        "put coffee on | my shopping list", "start a | five minute timer",
        "tell me what | this window says", "how long is left on | the pizza timer",
    ),
}
# Finished sentences Heron has no command for: the turn should end without the long wait.
UNRECOGNISED = {
    "dev": (
        "what is the meaning of life", "tell me a story about dragons",
        "who won the football game yesterday", "how tall is mount everest",
        "write a poem about the sea", "why is the sky blue",
        "I think I left the oven on", "do you like music",
    ),
    "held_out": (
        "what should I cook for dinner", "how far away is the moon",
        "can penguins fly", "tell me something interesting",
        "I had a really long day", "who painted the mona lisa",
    ),
}
VOICES = {
    "dev": ("piper:joe@1.0", "espeak:en-us@150", "espeak:en+m3@170"),
    "held_out": ("espeak:en+f2@145", "espeak:en-gb-x-rp@160",
                 "kokoro:jf_gongitsune", "kokoro:jm_kumo"),
}


@dataclass(frozen=True)
class TurnClip:
    samples: np.ndarray  # 16 kHz int16: LEAD silence + speech (+ pause) + TRAIL silence
    text: str  # the sentence, without the pause mark
    after_pause: str  # the words after the pause ("" for a finished sentence)
    voice: str
    split: str
    speech_end_ms: int  # true end (last sample above -40 dBFS) of the whole sentence
    pause_ms: tuple[int, int] | None  # where the inserted silence is (None: no pause)


def build(split: str, cache_dir: Path, quick: bool = False) -> tuple[list[TurnClip],
                                                                      list[TurnClip]]:
    """(paused clips, unrecognised clips) of `split`, every sentence in every voice."""
    voices = Voices(Path(cache_dir))
    chosen = VOICES[split][:2] if quick else VOICES[split]
    paused_texts = PAUSED[split][::3] if quick else PAUSED[split]
    unknown_texts = UNRECOGNISED[split][::3] if quick else UNRECOGNISED[split]
    paused = [_paused(voices, text, voice, split) for voice in chosen for text in paused_texts]
    finished = [_finished(voices, text, voice, split) for voice in chosen
                for text in unknown_texts]
    return paused, finished


def _pad(speech: np.ndarray) -> np.ndarray:
    return pad(speech, LEAD_MS / 1000, TRAIL_MS / 1000)


def _finished(voices: Voices, text: str, voice: str, split: str) -> TurnClip:
    samples = _pad(voices.speech(voice, text))
    end = speech_span(samples)[1] * 1000 // SAMPLE_RATE_HZ
    return TurnClip(samples, text, "", voice, split, end, None)


def _paused(voices: Voices, marked: str, voice: str, split: str) -> TurnClip:
    before, after = (" ".join(p.split()) for p in marked.split("|"))
    text = f"{before} {after}"
    path = voices.cache_dir / "turn" / f"{key(CORPUS_VERSION, voice, marked, PAUSE_MS)}.wav"
    if path.is_file():
        samples = read_wav(path)
    else:
        whole = voices.speech(voice, text)
        cut = pause_point(whole, voices.speech(voice, before))
        samples = _pad(np.insert(whole, cut, np.zeros(PAUSE_MS * SAMPLE_RATE_HZ // 1000,
                                                      np.int16)))
        write_wav(path, samples)
    pause_start = LEAD_MS + _find_gap(samples[LEAD_MS * SAMPLE_RATE_HZ // 1000:])
    end = speech_span(samples)[1] * 1000 // SAMPLE_RATE_HZ
    return TurnClip(samples, text, after, voice, split, end,
                    (pause_start, pause_start + PAUSE_MS))


def _find_gap(samples: np.ndarray) -> int:
    """Start (ms) of the first run of digital silence at least PAUSE_MS long."""
    edges = np.diff(np.concatenate([[0], (samples == 0).astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_runs = starts[stops - starts >= PAUSE_MS * SAMPLE_RATE_HZ // 1000]
    return int(long_runs[0]) * 1000 // SAMPLE_RATE_HZ if long_runs.size else 0


def _logmel(samples: np.ndarray) -> np.ndarray:
    from faster_whisper.feature_extractor import FeatureExtractor

    audio = samples.astype(np.float32) / 32768.0
    mel = FeatureExtractor(chunk_length=max(1, len(audio) // SAMPLE_RATE_HZ + 1))(audio)
    frames = np.asarray(mel).T  # (frames, 80), 10 ms each
    frames = frames - frames.mean(axis=0)
    return frames / (np.linalg.norm(frames, axis=1, keepdims=True) + 1e-6)


def pause_point(whole: np.ndarray, prefix: np.ndarray) -> int:
    """Sample index in `whole` where the words of `prefix` (the same voice saying only
    them) end: open-end DTW of log-mel frames, then the quietest 10 ms within ±30 ms."""
    first, last = speech_span(prefix)
    a, b = _logmel(prefix[first:last]), _logmel(whole)
    cost = 1.0 - a @ b.T  # cosine distance, (prefix frames, whole frames)
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        row, prev = acc[i], acc[i - 1]
        for j in range(1, m + 1):
            row[j] = cost[i - 1, j - 1] + min(prev[j], prev[j - 1], row[j - 1])
    end_frame = int(np.argmin(acc[n, 1:] / (n + np.arange(1, m + 1)))) + 1
    centre = min(len(whole), end_frame * 160)
    hop = 160
    lo, hi = max(0, centre - 3 * hop), min(len(whole) - hop, centre + 3 * hop)
    if hi <= lo:
        return centre
    energy = [float(np.sum(whole[s:s + hop].astype(np.float64) ** 2))
              for s in range(lo, hi + 1, 16)]
    return lo + 16 * int(np.argmin(energy)) + hop // 2
