"""The barge-in benchmark's figure: detection and stop latencies per kind of
interruption, and one run's speaker and microphone traces around the cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.report import pyplot, save_figure
from bench.room_streams import TAP_RATE_HZ


def plot(report: dict, example: dict | None, path: Path) -> None:
    plt = pyplot()
    s = report["summary"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": [2, 2, 3]})
    kinds = list(s["by_kind"])
    labels = [f"{k}: {s['by_kind'][k]['said'][:14]}" for k in kinds]
    for ax, metric, title in ((axes[0], "detection_ms", "detection: onset → decision"),
                              (axes[1], "stop_ms", "stop: decision → silent output")):
        for i, kind in enumerate(kinds):
            vals = [r[metric] for r in report["rows"]
                    if r["kind"] == kind and r[metric] is not None]
            ax.scatter(vals, i + np.linspace(-0.15, 0.15, len(vals)), s=14, alpha=0.7,
                       color=f"C{i}")
            if vals:
                ax.plot([np.median(vals)] * 2, [i - 0.3, i + 0.3], color="k")
        ax.set_yticks(range(len(kinds)), labels, fontsize=8)
        ax.set_xlabel("ms (black bar: median)")
        ax.set_title(title, fontsize=9)
    axes[0].set_xlim(left=0)
    axes[1].set_xlim(0, max(1.2 * s["target_stop_ms"], (s["stop_ms"]["max"] or 0) * 1.1))
    axes[1].axvline(s["target_stop_ms"], color="r", ls=":", label="target")
    axes[1].legend(fontsize=7)
    ax = axes[2]
    if example:
        t = (example["t_from"] + np.arange(len(example["speaker"])) / TAP_RATE_HZ
             - example["onset"]) * 1000
        ax.plot(t, 1.1 + example["speaker"] / 32768, color="tab:blue", lw=0.4,
                label="Heron's speaker (heron_out)")
        ax.plot(t, -1.1 + example["microphone"] / 32768, color="tab:gray", lw=0.4,
                label="what the microphone hears (heron_room)")
        for key, color in (("onset", "tab:green"), ("decision", "tab:orange"),
                           ("silent", "tab:red")):
            ax.axvline((example[key] - example["onset"]) * 1000, color=color, ls="--", lw=1,
                       label=key)
        ax.set_yticks([])
        ax.set_ylim(-2.3, 3.4)  # room for the legend above the traces
        ax.set_xlabel("ms from the user's onset")
        ax.set_title(f"one run: {example['row']['said']!r} (decided by "
                     f"{example['row']['reason']})", fontsize=9)
        ax.legend(fontsize=7, loc="upper right", ncol=2)
    save_figure(fig, path, f"Heron barge-in — stop p95 {s['stop_ms']['p95']} ms, detection "
                f"p50 {s['detection_ms']['median']} ms ({s['ok']}/{s['runs']} runs)",
                report["machine"])
