"""Heron's own replies, for the wake benchmark's self-trigger test: what the speaker
says must never wake the assistant (fed to the detector without echo removal: the
worst case).

`collect()` runs COMMANDS through `heron ask --local --json` in a scratch home and keeps
every reply (the response and each tool's `speech`); it wrote
bench/corpora/wake/replies.txt, which the benchmark reads, so a run needs no agent.
Longer answers (what Heron reads aloud when asked to read a paragraph) are paragraphs
of Heron's own documentation (docs/*.md, README.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.voice_synth import key
from bench.wake_corpus import WAKE_WORDS

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "bench" / "corpora" / "wake" / "replies.txt"

COMMANDS = (
    "set a timer for 5 minutes", "set a pasta timer for 12 minutes",
    "set a timer for 2 minutes and 30 seconds", "how much time is left on my timer",
    "pause my timer", "resume my timer", "add 3 minutes to my timer",
    "cancel my timer", "cancel all timers", "what time is it", "what is the date today",
    "what day is it", "add milk to my shopping list", "add eggs and bread to the shopping list",
    "what is on my shopping list", "remove milk from my shopping list",
    "add call the dentist to my todo list", "what is on my todo list",
    "what is 17 times 23", "what is the square root of 144", "what is 15 percent of 80",
    "convert 5 miles to kilometers", "convert 100 fahrenheit to celsius",
    "how many grams in a pound", "what is 3 plus 4 times 2", "never mind", "cancel that",
    "turn up the volume", "set the volume to 40 percent", "mute", "pause the music",
    "next song", "what is playing", "play some jazz", "what is the weather like",
    "will it rain tomorrow", "what can you do", "help", "turn on the kitchen light",
    "open the calculator", "take a picture", "read my clipboard",
    "what does this error on my screen say", "tell me a joke",
    "what is the capital of France", "remind me to call mom in 10 minutes",
    "stop", "thank you", "good morning", "who are you", "set an alarm for 7 am",
    "how long until my pasta timer is done", "clear my shopping list",
    "broadcast dinner is ready", "what is the temperature outside", "search the web for pizza",
)


def _replies(result: dict) -> list[str]:
    out = [result.get("response", "")]
    for call in result.get("tool_calls", []):
        res = call.get("result")
        if isinstance(res, dict) and isinstance(res.get("speech"), str):
            out.append(res["speech"])
    return [t.strip() for t in out if t and t.strip()]


def collect(path: Path = REPLIES) -> list[str]:
    """Run COMMANDS through `heron ask --local --json` (a scratch home, so nothing of the
    user's is touched) and write the distinct replies to `path`, one per line."""
    seen: dict[str, None] = {}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HERON_HOME": home}
        for text in COMMANDS:
            proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "--local",
                                   "--json", text], capture_output=True, text=True,
                                  env=env, timeout=120, check=False)
            try:
                result = json.loads(proc.stdout)
            except json.JSONDecodeError:
                continue
            for reply in _replies(result):
                seen.setdefault(" ".join(reply.split()), None)
    lines = [t for t in seen if not WAKE_WORDS.search(t)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def long_answers(limit_chars: int) -> list[str]:
    """Paragraphs of Heron's own documentation, as Heron would read them aloud."""
    out, total = [], 0
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8", errors="replace") if doc.is_file() else ""
        for para in re.split(r"\n\s*\n", text):
            if para.lstrip().startswith(("#", "|", "```", "-", "*", ">", "<")):
                continue
            plain = re.sub(r"[`*_\[\]()<>]|https?://\S+", " ", " ".join(para.split()))
            plain = " ".join(plain.split())
            if len(plain) < 80 or WAKE_WORDS.search(plain):
                continue
            out.append(plain)
            total += len(plain)
            if total >= limit_chars:
                return out
    return out


def short_replies() -> list[str]:
    """The replies `collect()` wrote down."""
    lines = REPLIES.read_text(encoding="utf-8").splitlines() if REPLIES.is_file() else []
    return [t for t in lines if t]


def reply_texts() -> list[str]:
    """The collected replies (short) then long answers: over 10 minutes of speech."""
    return short_replies() + long_answers(12_000)


def reply_audio(ctx, folder: Path, quick: bool = False) -> tuple[np.ndarray, dict]:
    """reply_texts() spoken by Heron's own voice (piper joe, the [tts] settings), each
    followed by 0.4 s of silence, as one stream; cached by the texts' hash. quick: the
    first 12 short replies only."""
    from audio.file_source import to_internal
    from audio.tts import PiperSynthesizer

    texts = short_replies()[:12] if quick else reply_texts()
    digest = key("\n".join(texts))[:16]  # 16 characters: the name earlier runs cached
    path = folder / f"replies_{digest}.npy"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tts = PiperSynthesizer(ctx.config.tts, ctx.store)
        gap = np.zeros(6400, np.int16)
        parts = [np.concatenate([to_internal(tts.synthesize_all(t), tts.sample_rate_hz), gap])
                 for t in texts]
        np.save(path, np.concatenate(parts))
    audio = np.load(path)
    short = min(len(texts), len(short_replies()))
    return audio, {"texts": len(texts), "short_replies": short,
                   "long_answers": len(texts) - short, "seconds": round(len(audio) / 16000, 1)}


if __name__ == "__main__":
    for line in collect():
        print(line)
