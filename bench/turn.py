"""Turn-taking benchmark (`heron bench turn`): is an unfinished sentence with a 600 ms
pause left uncut, and how soon after its true end does a finished sentence Heron has no
command for end the turn, with and without the end-of-turn model?

Corpus and split: bench/turn_corpus.py (dev: piper joe + two espeak-ng variants, 20
paused and 8 unrecognised sentences; held-out: two other espeak-ng variants and two
Kokoro styles, 12 + 6 other sentences; options are chosen on dev only).

Each clip goes through the real Listener (Silero VAD, whisper, the agent's understanding,
smart-turn) as fast as it can read the audio: a verdict the endpoint waits on is awaited,
so the decisions are those of a live microphone whose decodes keep up (on a machine too
slow for that, a late verdict falls back to the long silence). Times are in ms of audio.
- "not cut": the final transcript holds a word said after the pause, and the utterance
  runs past it;
- "end after true end": from the last sample above -40 dBFS to the audio position where
  the endpoint was decided.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict, replace
from pathlib import Path

from assistant.bus import EventBus
from assistant.core import Core, build_core
from assistant.voice.feed import FrameFeed
from assistant.voice.listener import Listener
from assistant.voice.stack import VoiceStack
from audio.file_source import stream_frames
from bench.machine import machine_info
from bench.report import percentile, pyplot, save_figure, write_report
from bench.text import NUMBER_WORDS
from bench.turn_corpus import PAUSE_MS, TurnClip, build

NOT_CUT_TARGET = 0.90
MODES = {"turn model": True, "no turn model": False}


def run(ctx, out_dir: Path, quick: bool, splits: tuple[str, ...] = ("dev", "held_out"),
        realtime: bool = False) -> dict:
    """`heron bench turn` (tune with splits=("dev",): held-out is only reported;
    realtime feeds the audio at 1x, as a microphone would)."""
    core = build_core(ctx.paths, ctx.config)
    try:
        report = {"benchmark": "turn", "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "machine": machine_info(), "pause_ms": PAUSE_MS, "quick": quick,
                  "realtime": realtime,
                  "endpoint": asdict(ctx.config.endpoint),
                  "splits": {}}
        for split in splits:
            paused, finished = build(split, ctx.paths.cache_dir / "bench-turn", quick)
            report["splits"][split] = asyncio.run(_split(core, ctx, paused, finished,
                                                         realtime))
    finally:
        core.close()
    write_report(out_dir, "turn", report)
    plot(report, out_dir / "turn.png")
    return report


async def _split(core: Core, ctx, paused: list[TurnClip], finished: list[TurnClip],
                 realtime: bool) -> dict:
    out: dict = {}
    for mode, on in MODES.items():
        config = replace(ctx.config, endpoint=replace(ctx.config.endpoint, turn_model=on))
        stack = VoiceStack(config, ctx.store)
        try:
            await asyncio.gather(stack.load(wake=False, tts=False), core.warm_up())
            listener = Listener(stack, EventBus(), core.agent.understanding)
            await listener.load()
            rows = [await _row(listener, clip, realtime) for clip in paused + finished]
        finally:
            stack.close()
        kept = [r["not_cut"] for r in rows if r["kind"] == "paused"]
        past = [r.get("ran_past_pause", False) for r in rows if r["kind"] == "paused"]
        ends = [r["end_after_true_end_ms"] for r in rows if r["kind"] == "unrecognised"]
        out[mode] = {"paused": len(kept), "not_cut": sum(kept),
                     "not_cut_rate": round(sum(kept) / len(kept), 3) if kept else 0.0,
                     # the endpoint waited past the pause (a miss above may be whisper's)
                     "ran_past_pause": sum(past),
                     "unrecognised": len(ends), "end_after_true_end_p50_ms": percentile(ends, 50),
                     "end_after_true_end_p95_ms": percentile(ends, 95), "rows": rows}
    return out


async def _row(listener: Listener, clip: TurnClip, realtime: bool) -> dict:
    heard = await listener.listen(FrameFeed(stream_frames(clip.samples, realtime)))
    text = heard.final.text if heard else ""
    row = {"kind": "paused" if clip.pause_ms else "unrecognised", "voice": clip.voice,
           "text": clip.text, "heard": text,
           "pauses": list(heard.pauses) if heard else []}
    if heard is None:
        return {**row, "not_cut": False, "end_after_true_end_ms": None}
    row["end_after_true_end_ms"] = heard.utterance.length_ms - clip.speech_end_ms
    if clip.pause_ms:
        row["ran_past_pause"] = heard.utterance.end_ms > clip.pause_ms[1]
        row["not_cut"] = bool(row["ran_past_pause"] and _has_a_word_of(clip.after_pause, text))
    return row


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _has_a_word_of(said_after: str, heard: str) -> bool:
    """Any word of 3+ letters said after the pause (or any number for a number word)
    is in the transcript (also when whisper split it: "screen shot")."""
    heard_words = _words(heard)
    wanted = [w for w in _words(said_after) if len(w) >= 3]
    return any(w in "".join(heard_words) for w in wanted) or (
        any(w in NUMBER_WORDS for w in wanted) and any(w.isdigit() for w in heard_words))


def summary(report: dict) -> list[str]:
    lines = [f"turn: unfinished sentences with a {report['pause_ms']} ms pause, and finished "
             "ones Heron has no command for"]
    for split, modes in report["splits"].items():
        for mode, s in modes.items():
            lines.append(
                f"  {split:<8} {mode:<14} not cut {s['not_cut']}/{s['paused']} "
                f"({100 * s['not_cut_rate']:.0f} %, target ≥ {100 * NOT_CUT_TARGET:.0f} %; "
                f"endpoint past the pause {s['ran_past_pause']}); "
                f"unrecognised: turn ends {s['end_after_true_end_p50_ms']:.0f} ms after the "
                f"true end (p50), p95 {s['end_after_true_end_p95_ms']:.0f}")
    return lines


def plot(report: dict, path: Path) -> None:
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    labels, rates, p50s = [], [], []
    for split, modes in report["splits"].items():
        for mode, s in modes.items():
            labels.append(f"{split}\n{mode}")
            rates.append(100 * s["not_cut_rate"])
            p50s.append(s["end_after_true_end_p50_ms"])
    a.bar(labels, rates, color="tab:blue")
    a.axhline(100 * NOT_CUT_TARGET, color="r", ls=":", label="target")
    a.set_ylabel("% of paused sentences not cut")
    a.set_ylim(0, 105)
    a.legend(fontsize=8)
    b.bar(labels, p50s, color="tab:gray")
    b.set_ylabel("ms from the true end to the end of turn (p50)")
    b.set_title("finished sentences with no command")
    for ax in (a, b):
        ax.tick_params(axis="x", labelsize=8)
    held = report["splits"].get("held_out", {}).get("turn model", {})
    save_figure(fig, path, f"Heron turn-taking — held-out not cut "
                f"{100 * held.get('not_cut_rate', 0):.0f} %", report["machine"])
