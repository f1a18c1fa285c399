"""What every benchmark does with its results: percentiles, the JSON report, and the
PNG chart titled with the machine it ran on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def percentile(values, pct: float, digits: int = 1) -> float:
    """The pct-th percentile, rounded; 0.0 for no values."""
    vals = [v for v in values if v is not None]
    return round(float(np.percentile(vals, pct)), digits) if vals else 0.0


def write_report(out_dir: Path, name: str, report: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def pyplot():
    """matplotlib's pyplot on the file-only backend (imported only when plotting)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, title: str, machine: dict[str, Any]) -> None:
    """Title the chart with its result and the machine, write the PNG, free it."""
    fig.suptitle(f"{title} — {machine['cpu']}, {machine['cores']} cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)


def judge(measured: dict[str, float], targets: dict[str, float],
          at_least: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Each measurement against its target: at most the target, or at least it for the
    keys in `at_least` (rates such as fps)."""
    return {k: {"measured": v, "target": targets[k],
                "met": v >= targets[k] if k in at_least else v <= targets[k]}
            for k, v in measured.items()}


def target_line(label: str, verdict: dict[str, Any], unit: str,
                at_least: bool = False) -> str:
    """One entry of `judge` as "label: 291 fps (target ≥ 60 fps: met)"."""
    sign = "≥" if at_least else "≤"
    return (f"{label}: {verdict['measured']:g} {unit} (target {sign} {verdict['target']:g} "
            f"{unit}: {'met' if verdict['met'] else 'MISSED'})")

