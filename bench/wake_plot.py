"""The wake benchmark's chart: best score per clip, the dev trade-off per setting, the
held-out result of each setting at its dev-chosen threshold, and CPU per frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.report import pyplot, save_figure
from bench.wake_scoring import TARGET_FA_PER_HOUR, TARGET_FR


def plot(report: dict, cpu: np.ndarray, path: Path) -> None:
    plt = pyplot()
    s, cfg = report["summary"], report["config"]
    fig, (a, b, c, d) = plt.subplots(1, 4, figsize=(20, 8),
                                     gridspec_kw={"width_ratios": [3, 2, 2, 1.2]})
    rows = [r for r in report["rows"] if r["word"] == cfg["model"]]
    labels = [f"{r['set'][:4]} {r['voice'].replace('espeak-ng ', '')} {r['style']} "
              f"{r['noise']}" for r in rows]
    a.barh(range(len(rows)), [r["max_score"] for r in rows],
           color=["tab:green" if r["fired"] else "tab:red" for r in rows])
    a.set_yticks(range(len(rows)), labels, fontsize=5)
    a.axvline(cfg["threshold"], color="k", ls="--", label="threshold")
    a.invert_yaxis()
    a.set_xlabel(f"best score on the clip ({cfg['setting']})")
    a.set_title(f"'{cfg['model']}' at {cfg['snr_db']:.0f} dB SNR: FR dev "
                f"{100 * s['dev']['false_reject_rate']:.1f} %, held-out "
                f"{100 * s['held_out']['false_reject_rate']:.1f} %", fontsize=9)
    a.legend(fontsize=7)
    grids = report["grids"][cfg["model"]]
    for name in ("micro", "oww", cfg["setting"]):
        g = [x for x in grids[name] if x["patience"] == 1]
        b.plot([x["false_accepts_per_hour"] for x in g],
               [100 * x["false_reject_rate"] for x in g], marker="o", label=name)
        for x in g if name == cfg["setting"] else ():
            b.annotate(str(x["threshold"]), (x["false_accepts_per_hour"],
                                             100 * x["false_reject_rate"]), fontsize=6)
    b.axhline(100 * TARGET_FR, color="r", ls=":")
    b.axvline(TARGET_FA_PER_HOUR, color="r", ls=":", label="targets")
    b.set_xscale("symlog", linthresh=1)
    b.set_xlabel(f"false accepts per hour (dev, {s['dev']['negative_hours']:.2f} h)")
    b.set_ylabel("false reject %")
    b.set_title("dev trade-off by threshold (labels), patience 1", fontsize=9)
    b.legend(fontsize=7)
    per = s["per_word"][cfg["model"]]
    names = [n for n in per if n != "best_on_dev" and per[n]["held_out"]]
    c.barh(range(len(names)), [100 * per[n]["held_out"]["false_reject_rate"] for n in names],
           color="tab:blue", label="held-out FR %")
    c.barh(range(len(names)), [-per[n]["held_out"]["false_accepts_per_hour"] for n in names],
           color="tab:orange", label="held-out FA/h (left)")
    c.set_yticks(range(len(names)), [f"{n} @{per[n]['chosen_on_dev']['threshold']}"
                                     for n in names], fontsize=7)
    c.axvline(100 * TARGET_FR, color="r", ls=":")
    c.invert_yaxis()
    c.set_title("held-out, each setting at its dev-chosen threshold", fontsize=9)
    c.legend(fontsize=7)
    d.hist(cpu, bins=50, range=(0, float(np.percentile(cpu, 99.5))), color="tab:gray")
    d.set_xlabel("CPU ms per 80 ms frame (2 words)")
    d.set_title(f"median {s['cpu_ms_per_frame_median']:.2f}, p95 {s['cpu_ms_per_frame_p95']:.2f}",
                fontsize=9)
    h = s["held_out"]
    save_figure(fig, path, f"Heron wake word ({cfg['model']}, {cfg['setting']}, threshold "
                f"{cfg['threshold']}) — held-out FA {h['false_accepts_per_hour']:.2f}/h, "
                f"FR {100 * h['false_reject_rate']:.1f} %, self-triggers {s['self_triggers']}",
                report["machine"])
