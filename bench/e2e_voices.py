"""The voice-corpus part of `heron bench e2e`: spoken commands in voices Heron was not
tuned on (bench/voice_corpus.py), in rooms and noise, through the whole pipeline at 1x
pace (bench/voice_turns.py). Per clip: the right tool with the right arguments (the
FIRST call Heron made, allowed or not), the transcript, and voice-to-voice from the
clip's true end of speech beside the figure from Heron's VAD.

Held-out is the headline and the default; dev (what H4-style tuning looks at) only with
HERON_BENCH_E2E_DEV=1. Targets (issue 15, held-out): right ≥ 90 %, voice-to-voice from
the true end p50 ≤ 350 ms and p95 ≤ 600 ms."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from assistant.config import HeronConfig
from assistant.voice.stack import VoiceStack
from bench import voice_corpus
from bench.report import percentile
from bench.understanding import user_names
from bench.voice_turns import bench_core, run_clips
from models.store import ModelStore

HEADLINE = "held_out"
DEV_ENV = "HERON_BENCH_E2E_DEV"  # "1": the dev clips too (for tuning; never the headline)
QUICK_CLIPS = 6  # of the corpus' quick subset, per split
TARGETS = {"right_pct": 90.0, "true_p50_ms": 350.0, "true_p95_ms": 600.0}


def splits_to_run(env: dict[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if env is None else env
    return (HEADLINE, "dev") if env.get(DEV_ENV, "") not in ("", "0") else (HEADLINE,)


def corpus(split: str, cache_dir: Path, quick: bool) -> list[voice_corpus.VoiceClip]:
    clips = voice_corpus.build(split, cache_dir / voice_corpus.CACHE_NAME, quick=quick)
    return clips[:QUICK_CLIPS] if quick else clips


def jobs(clips: list[voice_corpus.VoiceClip]) -> list[dict[str, Any]]:
    """What bench/voice_turns.py needs of each clip (also across a process boundary)."""
    return [{"path": str(c.path), "speech_end_ms": c.speech_end_ms} for c in clips]


def seed_names() -> tuple[list[str], list[str]]:
    """The timers and lists a user would have, so sentences naming them find them."""
    return user_names(("en",))


def run_voices(config: HeronConfig, store: ModelStore, cache_dir: Path, quick: bool,
               splits: tuple[str, ...]) -> dict[str, Any]:
    """Synthesize (cached) and run the clips of `splits` in one bench home; the scored
    rows and a summary per split."""
    clips = [c for split in splits for c in corpus(split, cache_dir, quick)]
    timers, lists = seed_names()
    with tempfile.TemporaryDirectory(prefix="heron-bench-") as tmp:
        core = bench_core(Path(tmp), config, timers, lists)
        stack = VoiceStack(config, store)
        try:
            raw = asyncio.run(run_clips(core, stack, jobs(clips)))
        finally:
            stack.close()
            core.close()
    rows = score(clips, raw)
    return {"splits": {s: summarize([r for r in rows if r["split"] == s]) for s in splits},
            "rows": rows, "targets": TARGETS,
            "home": "temporary; tools with a permission scope denied, questions answered no"}


def score(clips: list[voice_corpus.VoiceClip], raw: list[dict[str, Any]]
          ) -> list[dict[str, Any]]:
    """Each clip's row, judged on the first tool call (the one the command asked for)."""
    rows = []
    for clip, r in zip(clips, raw, strict=True):
        first = r["tool_calls"][0] if r["tool_calls"] else {"tool": "", "args": {}}
        right = r["status"] == "ok" and voice_corpus.matches(clip.tool, clip.args,
                                                             first["tool"], first["args"])
        rows.append({"split": clip.split, "text": clip.text, "voice": clip.voice,
                     "condition": clip.condition, "clip": clip.path.name,
                     "expected": {"tool": clip.tool, "args": clip.args},
                     "speech_end_ms": clip.speech_end_ms, "right": right, **r})
    return rows


def condition_kind(condition: str) -> str:
    """"reverb:Concrete Room+fan@10dB" → "reverb+fan"."""
    return "+".join(re.split(r"[:@]", part)[0] for part in condition.split("+"))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Right-command share, latencies (from the true end and from the VAD's end, over
    turns whose reply began after the speech ended: one that talked over the user is
    counted, not timed), per voice, per kind of condition and per tool."""
    timed = [r for r in rows if _timed(r)]
    true = [r["voice_to_voice_true_ms"] for r in timed]
    vad = [r["timings_ms"].get("voice_to_voice") for r in timed]
    out: dict[str, Any] = {
        "clips": len(rows), "right": sum(r["right"] for r in rows),
        "right_pct": _pct(rows), "timed": len(true),
        "feed_lag_max_ms": max((r["feed_lag_ms"] or 0.0 for r in rows), default=0.0),
        # the endpoint came before the speech's end was heard; the reply even began
        # before the speech ended
        "cut_before_end": sum(r["cut_before_end"] for r in rows),
        "answered_before_end": sum(r["status"] == "ok" and (r["voice_to_voice_true_ms"] or 0) < 0
                                   for r in rows),
        "true_p50_ms": percentile(true, 50), "true_p95_ms": percentile(true, 95),
        "vad_p50_ms": percentile(vad, 50), "vad_p95_ms": percentile(vad, 95),
        "by_voice": _by(rows, lambda r: r["voice"]),
        "by_condition": _by(rows, lambda r: condition_kind(r["condition"])),
        "by_tool": _by(rows, lambda r: r["expected"]["tool"]),
    }
    out["meets_target"] = bool(true) and (out["right_pct"] >= TARGETS["right_pct"]
                                          and out["true_p50_ms"] <= TARGETS["true_p50_ms"]
                                          and out["true_p95_ms"] <= TARGETS["true_p95_ms"])
    return out


def _timed(row: dict[str, Any]) -> bool:
    v2v = row["voice_to_voice_true_ms"]
    return row["status"] == "ok" and v2v is not None and v2v >= 0


def _pct(rows: list[dict[str, Any]]) -> float:
    return round(100 * sum(r["right"] for r in rows) / len(rows), 1) if rows else 0.0


def _by(rows, key) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return {k: {"right_pct": _pct(g), "clips": len(g)} for k, g in sorted(groups.items())}


def summary_lines(voices: dict[str, Any]) -> list[str]:
    lines = []
    for split, s in voices["splits"].items():
        base = voices.get("baseline", {}).get("splits", {}).get(split)
        lines.append(_line(f"voices {split}", s))
        if base:
            lines.append(_line(f"  before ({voices['baseline']['revision']})", base))
        worst = sorted(s["by_voice"].items(), key=lambda kv: kv[1]["right_pct"])[:3]
        lines.append("  weakest voices: " + ", ".join(f"{v} {g['right_pct']:.0f} %"
                                                      for v, g in worst))
    t = TARGETS
    lines.append(f"  targets (held-out): right ≥ {t['right_pct']:.0f} %, from the true end "
                 f"p50 ≤ {t['true_p50_ms']:.0f} ms, p95 ≤ {t['true_p95_ms']:.0f} ms")
    return lines


def _line(label: str, s: dict[str, Any]) -> str:
    return (f"{label}: {s['right']}/{s['clips']} right ({s['right_pct']:.1f} %); "
            f"voice-to-voice from the true end p50 {s['true_p50_ms']:.0f} / p95 "
            f"{s['true_p95_ms']:.0f} ms, from the VAD's end p50 {s['vad_p50_ms']:.0f} / "
            f"p95 {s['vad_p95_ms']:.0f} ms; {s['cut_before_end']} ended before the speech "
            f"did ({s['answered_before_end']} answered over it)")


def plot_voices(voices: dict[str, Any], path: Path, machine: dict[str, Any]) -> None:
    """Right-command share per voice and per condition, and the latency spread from the
    true end and from the VAD's end (with the older revision beside, when measured)."""
    from bench.report import pyplot, save_figure

    plt = pyplot()
    s = voices["splits"][HEADLINE]
    base = voices.get("baseline", {}).get("splits", {}).get(HEADLINE)
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.8),
                                  gridspec_kw={"width_ratios": [3, 2, 2]})
    for ax, key, title in ((a, "by_voice", "right command per voice (%)"),
                           (b, "by_condition", "right command per condition (%)")):
        names = list(s[key])
        y = range(len(names))
        ax.barh([i + 0.2 for i in y], [s[key][n]["right_pct"] for n in names], height=0.4,
                label="now")
        if base:
            ax.barh([i - 0.2 for i in y], [base[key].get(n, {}).get("right_pct", 0)
                                           for n in names], height=0.4, label="before")
        ax.set_yticks(list(y), names, fontsize=8)
        ax.axvline(TARGETS["right_pct"], color="r", ls=":", label="target")
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.legend(fontsize=8, loc="lower right")
    series = {"now, true end": _latencies(voices["rows"], True),
              "now, VAD end": _latencies(voices["rows"], False)}
    if base:
        series["before, true end"] = _latencies(voices["baseline"]["rows"], True)
    c.boxplot([v or [0] for v in series.values()], tick_labels=list(series))
    c.axhline(TARGETS["true_p50_ms"], color="r", ls=":", label="target p50")
    c.axhline(TARGETS["true_p95_ms"], color="r", ls="--", label="target p95")
    c.set_ylabel("voice-to-voice (ms)")
    c.tick_params(axis="x", rotation=15)
    c.legend(fontsize=8)
    save_figure(fig, path, f"Heron e2e, held-out voices — {s['right_pct']:.0f} % right, "
                f"p50 {s['true_p50_ms']:.0f} ms from the true end", machine)


def _latencies(rows: list[dict[str, Any]], true_end: bool) -> list[float]:
    rows = [r for r in rows if r["split"] == HEADLINE and _timed(r)]
    vals = [r["voice_to_voice_true_ms"] if true_end else r["timings_ms"].get("voice_to_voice")
            for r in rows]
    return [v for v in vals if v is not None]
