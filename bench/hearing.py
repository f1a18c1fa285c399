"""`heron bench hearing`: the right tool with the right arguments for spoken commands in
voices Heron is not tuned on (issue 15), through assistant/voice/hearing.py — each step on
and off: whisper's top text alone, + n-best chosen by the understanding stages, + the
recognition bias, + the second pass with a bigger model. Dev is what the choices were
tuned on; held-out is the headline (bench/corpora/voices/README.md)."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import resolve_paths
from assistant.voice.hearing import CommandHearing
from assistant.voice.stack import VoiceStack
from bench.report import percentile, write_report
from bench.voice_corpus import CACHE_NAME, build, clip_samples, matches

NAME = "hearing"
TARGET_PCT = 90.0
# Each variant adds one step to the one before.
VARIANTS = {
    "top": {"n_best": 0, "bias": "none", "second_pass": ""},
    "n_best": {"bias": "none", "second_pass": ""},
    "bias": {"bias": "prompt", "second_pass": ""},
    "bias_n_best": {"bias": "n_best", "second_pass": ""},  # the first text unbiased
    "second_pass": {},
}


def run(ctx, out_dir: Path, quick: bool, splits: tuple[str, ...] = ("dev", "held_out"),
        variants: tuple[str, ...] = tuple(VARIANTS), cache_dir: Path | None = None) -> dict:
    """Hear every clip of each split with each variant; write hearing.json."""
    report: dict[str, Any] = {"target_pct": TARGET_PCT, "splits": {}}
    cache = cache_dir or ctx.paths.cache_dir / CACHE_NAME
    with tempfile.TemporaryDirectory(prefix="heron-bench-hearing-") as tmp:
        core = build_core(resolve_paths({"HERON_HOME": tmp}), HeronConfig())
        try:
            understanding = core.agent.understanding
            for split in splits:
                clips = build(split, cache, quick=quick)
                report["splits"][split] = {
                    name: _variant(ctx, understanding, clips, VARIANTS[name], split)
                    for name in variants}
        finally:
            core.close()
    write_report(out_dir, NAME, report)
    return report


def _variant(ctx, understanding, clips, change: dict, split: str) -> dict:
    config = replace(ctx.config, asr=replace(ctx.config.asr, **change))
    stack = VoiceStack(config, ctx.store)
    hearing = CommandHearing(stack, understanding)
    try:
        stack.asr.warm_up()
        right, ms, chose, rows = 0, [], 0, []
        for clip in clips:
            samples = clip_samples(clip)
            start = time.perf_counter()
            heard = hearing.hear(samples)
            ms.append((time.perf_counter() - start) * 1000)
            found = understanding.understand(heard.text) if heard.text.strip() else None
            ok = found is not None and matches(clip.tool, clip.args, found.tool or "",
                                               found.args)
            right += ok
            chose += bool(heard.heard)
            if split == "dev":  # held-out clips are counted, never listed
                rows.append({"text": clip.text, "voice": clip.voice,
                             "condition": clip.condition, "heard": heard.text,
                             "top": heard.heard or heard.text, "right": ok})
    finally:
        stack.close()
    return {"clips": len(clips), "right": right,
            "right_pct": round(100 * right / max(len(clips), 1), 1),
            "other_than_top": chose, "hear_ms_p50": round(statistics.median(ms), 1),
            "hear_ms_p95": round(percentile(ms, 95), 1), "rows": rows}


def summary(report: dict) -> list[str]:
    lines = []
    for split, variants in report["splits"].items():
        for name, r in variants.items():
            lines.append(f"{split:9} {name:12} right {r['right']:3}/{r['clips']} "
                         f"({r['right_pct']:5.1f} %)  hear p50 {r['hear_ms_p50']:6.1f} ms "
                         f"p95 {r['hear_ms_p95']:6.1f} ms  other than top {r['other_than_top']}")
    return lines
