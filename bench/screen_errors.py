"""Error-explanation accuracy for `heron bench screen`: error screens shown full screen
on the bench's display (a titled window, so the window list has its title) and asked
"what does this error say" through the real explain_error worker (grab, OCR, the error
finder, the answer). The screens and the judge come from the error-screen corpus
(bench/error_screens_corpus.py, bench/error_screens.py) when the checkout has it;
`explanation_accuracy` takes any list of ErrorCase."""

from __future__ import annotations

import asyncio
import select
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import percentile
from bench.xserver import stop_process


@dataclass(frozen=True)
class ErrorCase:
    """One error screen: the picture, its window title, and the judge of an answer
    (True when the answer names the error and gives the expected fix)."""

    id: str
    split: str  # "dev" | "held_out"
    image: np.ndarray  # (1080, 1920, 3) uint8 RGB
    title: str
    judge: Callable[[str], bool]


def corpus_cases(quick: bool) -> list[ErrorCase] | None:
    """The error-screen corpus as cases, or None when this checkout has none."""
    try:
        from bench import error_screens, error_screens_corpus
    except ImportError:
        return None
    cases = []
    for name, split in (("dev", "dev"), ("heldout", "held_out")):
        rows = error_screens_corpus.load(name)
        for row in rows[:2] if quick else rows:
            cases.append(ErrorCase(
                row.id, split, error_screens.render(row), row.title,
                lambda answer, row=row: bool(error_screens_corpus.judge(row, answer)["right"])))
    return cases


def _show(case: ErrorCase, env: dict[str, str], work: Path, repo: Path) -> subprocess.Popen:
    from PIL import Image

    png = work / "error-screen.png"
    Image.fromarray(case.image).save(png)
    proc = subprocess.Popen([sys.executable, "-m", "bench.screen_apps.image_app", str(png),
                             case.title or "Terminal"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready or proc.stdout.readline().strip() != "ready":
        stop_process(proc)
        raise RuntimeError(f"error screen {case.id} was not shown: {proc.stderr.read()[-500:]}")
    time.sleep(0.3)
    return proc


def explanation_accuracy(core: Any, cases: Sequence[ErrorCase], env: dict[str, str],
                         work: Path, repo: Path) -> dict[str, Any]:
    """Each case on the screen, explained by the explain_error worker; right per split."""
    from assistant.tools.call import ToolCall

    rows = []
    for case in cases:
        proc = _show(case, env, work, repo)
        try:
            start = time.perf_counter()
            outcome = asyncio.run(core.registry.call(ToolCall("explain_error", {})))
            ms = (time.perf_counter() - start) * 1000
        finally:
            stop_process(proc)
        speech = (outcome.result or {}).get("speech", "") if outcome.status == "ok" else ""
        rows.append({"id": case.id, "split": case.split, "status": str(outcome.status),
                     "right": case.judge(speech), "answer": speech[:400], "ms": round(ms)})
    splits = {}
    for split in ("dev", "held_out"):
        mine = [r for r in rows if r["split"] == split]
        if mine:
            right = sum(r["right"] for r in mine)
            splits[split] = {"screens": len(mine), "right": right,
                             "right_pct": round(100 * right / len(mine), 1)}
    return {"status": "measured", "splits": splits, "rows": rows,
            "ms_p50": percentile([r["ms"] for r in rows], 50),
            "ms_p95": percentile([r["ms"] for r in rows], 95)}


NOT_FILLED = {"status": "not filled",
              "why": "this checkout has no error-screen corpus (bench/error_screens_corpus.py); "
                     "bench.screen_errors.explanation_accuracy takes any list of ErrorCase"}
