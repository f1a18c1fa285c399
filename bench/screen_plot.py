"""The chart of `heron bench screen`: inside-the-element rate per toolkit (dev and
held-out, find and click) against the 95 % target, and the time per request."""

from __future__ import annotations

from pathlib import Path

from bench.report import pyplot, save_figure


def plot(report: dict, path: Path) -> None:
    plt = pyplot()
    fig, (ax, tx) = plt.subplots(1, 2, figsize=(12, 4.5))
    res = report["results"]
    toolkits = sorted({r["toolkit"] for r in report["rows"]})
    splits = [s for s in ("held_out", "dev") if res[s]["all"]["requests"]]
    bars = [(split, req) for split in splits for req in ("find", "click")]
    width = 0.8 / len(bars)
    colours = {"held_out": ("#2f6db5", "#7fa9dc"), "dev": ("#8c8c8c", "#c4c4c4")}
    for i, (split, req) in enumerate(bars):
        vals = []
        for tk in toolkits:
            mine = [r for r in report["rows"] if r["toolkit"] == tk and r["split"] == split
                    and r["request"].startswith(req + " ")]
            vals.append(100 * sum(r["inside"] for r in mine) / len(mine) if mine else 0)
        ax.bar([k + i * width for k in range(len(toolkits))], vals, width,
               color=colours[split][req == "click"], label=f"{split} {req}")
    ax.axhline(report["targets"]["find_click_held_out_pct"]["target"], color="#c0392b",
               ls="--", lw=1, label="target 95 % (held-out)")
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(toolkits))], toolkits)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of requests: point inside the element")
    ax.legend(fontsize=7, loc="lower left")
    for req, colour in (("find", "#2f6db5"), ("click", "#e0a020")):
        ms = [r["ms"] for r in report["rows"] if r["request"].startswith(req + " ")]
        if ms:
            tx.hist(ms, bins=30, alpha=0.6, color=colour,
                    label=f"{req}: median {report['timing'][req]['median_ms']:g} ms, "
                          f"p95 {report['timing'][req]['p95_ms']:g} ms")
    tx.set_xlabel("ms per request (grab + OCR + locate, through the registry)")
    tx.set_ylabel("requests")
    tx.legend(fontsize=8)
    held = res["held_out"]["all"]
    save_figure(fig, path, f"Screen grounding — held-out {held['inside_pct']} % inside "
                f"({held['inside']}/{held['requests']})", report["machine"])
