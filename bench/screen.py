"""Screen grounding benchmark (issue 18): forms and dialogs drawn by real toolkits (Qt,
Tk, HTML in chromium) on a private X server, light and dark, at 100 % and 150 %. For
each element a user would name, "find <label>" and "click <label>" go through the real
core — the tool registry, the permission policy and the audit log, the find_on_screen
and click_on_screen workers on a fresh grab and real OCR — and the point they choose
must lie inside the element's rectangle as the toolkit itself reports it (for a field's
label: inside the label or its field).

The click's point is the one its confirmation shows (the preview finds the text; the
run would check it is still there and click exactly that point); the bench answers
that confirmation No, so nothing is clicked and the screen stays as it was for the
next request. Also: time per request, and error-explanation accuracy on the
error-screen corpus when the checkout has one (bench/screen_errors.py)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.report import judge, percentile, write_report
from bench.screen_desk import REPO, Desk, Shown, toolkits_here
from bench.screen_errors import NOT_FILLED, corpus_cases, explanation_accuracy
from bench.screen_forms import SPLIT, TOOLKIT_FORMS, ScreenSpec, all_screens
from bench.screen_plot import plot

TARGETS = {"find_click_held_out_pct": 95.0}
QUICK_LABELS = 2


class ConfirmRecorder:
    """The surface the click's confirmation reaches: keeps the exact click it shows,
    answers No."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def ask(self, request) -> Any:
        from assistant.permissions.policy import Answer

        self.asked.append(dict(request.args))
        return Answer.DENY


def _inside(rects: list[list[int]], x: float, y: float) -> bool:
    return any(rx <= x < rx + w and ry <= y < ry + h for rx, ry, w, h in rects)


def _row(shown: Shown, target: dict, request: str, point: tuple[int, int] | None,
         ms: float, status: str, line: str = "", code: str = "") -> dict[str, Any]:
    spec = shown.spec
    inside = point is not None and _inside(target["rects"], *point)
    other = "" if point is None or inside else next(
        (t["label"] for t in shown.targets if _inside(t["rects"], *point)), "")
    return {"screen": spec.name, "toolkit": spec.toolkit, "form": spec.form,
            "theme": spec.theme, "scale": spec.scale, "split": spec.split,
            "request": f"{request} {target['label']}", "kind": target["kind"],
            "label": target["label"], "status": status, "code": code,
            "point": list(point) if point else None, "rects": target["rects"],
            "inside": inside, "line_read": line, "point_in_other": other, "ms": round(ms, 1)}


async def _ask(core, recorder: ConfirmRecorder, shown: Shown, index: int
               ) -> list[dict[str, Any]]:
    """"find" then "click" the index-th target, each judged against where the toolkit
    says the target is just before the request."""
    from assistant.tools.call import ToolCall

    shown.refresh()
    target = shown.targets[index]
    label = target["label"]
    start = time.perf_counter()
    found = await core.registry.call(ToolCall("find_on_screen", {"text": label}))
    ms = (time.perf_counter() - start) * 1000
    res = found.result or {}
    point = (res["center"]["x"], res["center"]["y"]) if res.get("found") else None
    rows = [_row(shown, target, "find", point, ms, str(found.status), res.get("line", ""),
                 found.code)]
    shown.refresh()
    target = shown.targets[index]
    recorder.asked.clear()
    start = time.perf_counter()
    click = await core.registry.call(ToolCall("click_on_screen", {"text": label}))
    ms = (time.perf_counter() - start) * 1000
    asked = recorder.asked[-1] if recorder.asked else None
    point = (asked["x"], asked["y"]) if asked and "x" in asked else None
    rows.append(_row(shown, target, "click", point, ms, str(click.status), code=click.code))
    return rows


def _rate(rows: list[dict]) -> dict[str, Any]:
    n = len(rows)
    ok = sum(r["inside"] for r in rows)
    return {"requests": n, "inside": ok, "inside_pct": round(100 * ok / n, 1) if n else None}


def _breakdown(rows: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("dev", "held_out"):
        mine = [r for r in rows if r["split"] == split]
        out[split] = {"all": _rate(mine), **{
            req: _rate([r for r in mine if r["request"].startswith(req + " ")])
            for req in ("find", "click")}}
        for key in ("toolkit", "theme", "scale", "kind", "form"):
            out[split][f"by_{key}"] = {str(v): _rate([r for r in mine if r[key] == v])
                                       for v in sorted({r[key] for r in mine}, key=str)}
    return out


def _failure(r: dict) -> dict[str, Any]:
    return {k: r[k] for k in ("request", "screen", "toolkit", "theme", "scale", "kind",
                              "status", "code", "point", "rects", "line_read",
                              "point_in_other")}


def _timing(rows: list[dict]) -> dict[str, Any]:
    out = {}
    for req in ("find", "click"):
        ms = [r["ms"] for r in rows if r["request"].startswith(req + " ")]
        out[req] = {"requests": len(ms), "median_ms": round(statistics.median(ms), 1)
                    if ms else None, "p95_ms": percentile(ms, 95)}
    return out


def run(ctx, out_dir: Path, quick: bool, resume: bool = False) -> dict:
    """`heron bench screen`: every screen of bench/screen_forms.py (quick: one held-out
    Qt screen, two of its labels). `resume`: keep the screens a stopped run already
    measured (OUT/screen.progress.jsonl) and measure the rest."""
    available = toolkits_here()
    screens = [s for s in all_screens(quick) if available.get(s.toolkit) == "ok"]
    # stopped with SIGTERM: still close every window, browser and X server it started
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        report = _measure(screens, available, out_dir, quick, resume)
    finally:
        signal.signal(signal.SIGTERM, previous)
    plot(report, out_dir / "screen.png")
    return report


def _earlier(progress: Path) -> tuple[list[dict], list[dict]]:
    """The rows a stopped run left, and its screens as the report lists them."""
    rows = [json.loads(line) for line in progress.read_text(encoding="utf-8").splitlines()
            if line.strip()] if progress.exists() else []
    names = list(dict.fromkeys(r["screen"] for r in rows))
    info = [{"screen": n, "split": next(r["split"] for r in rows if r["screen"] == n),
             "targets": sum(r["screen"] == n for r in rows) // 2, "resumed": True}
            for n in names]
    return rows, info


def _measure(screens: list[ScreenSpec], available: dict[str, str], out_dir: Path,
             quick: bool, resume: bool = False) -> dict:
    from assistant.config import HeronConfig
    from assistant.core import build_core
    from assistant.paths import HeronPaths
    from vision.options import VisionOptions

    load_before = round(os.getloadavg()[0], 2)
    progress = out_dir / "screen.progress.jsonl"  # what a stopped run leaves
    rows, shown_info = _earlier(progress) if resume else ([], [])
    unshown: list[dict] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="heron-bench-screen-") as tmp:
        root = Path(tmp)
        desk = Desk(root)
        core = None
        try:
            recorder = ConfirmRecorder()
            config = HeronConfig(vision=VisionOptions(display=desk.display))
            core = build_core(HeronPaths(root / "c", root / "d", root / "k"), config,
                              prompter=recorder)
            progress.parent.mkdir(parents=True, exist_ok=True)
            if not resume:
                progress.write_text("")
            done_before = {i["screen"] for i in shown_info}
            for n, spec in enumerate(screens, 1):
                if spec.name in done_before:
                    continue
                try:
                    mine = _one_screen(desk, core, recorder, spec, quick, shown_info)
                except RuntimeError as err:  # the toolkit could not draw it: said, not hidden
                    unshown.append({"screen": spec.name, "error": str(err)[-600:]})
                    continue
                rows += mine
                with progress.open("a", encoding="utf-8") as fh:
                    fh.writelines(json.dumps(r) + "\n" for r in mine)
                done = _rate(rows)
                print(f"screen {n}/{len(screens)} {spec.name}: {done['inside']}/"
                      f"{done['requests']} inside so far", file=sys.stderr, flush=True)
            cases = corpus_cases(quick)
            errors = (explanation_accuracy(core, cases, desk.env(), root, REPO)
                      if cases else dict(NOT_FILLED))
        finally:
            if core is not None:
                core.close()
            desk.close()
    report = _report(rows, shown_info, available, errors, quick, load_before,
                     time.monotonic() - started, len(screens))
    report["screens_not_drawn"] = unshown
    report["resumed"] = resume
    write_report(out_dir, "screen", report)
    progress.unlink(missing_ok=True)
    return report


def _one_screen(desk: Desk, core, recorder: ConfirmRecorder, spec: ScreenSpec, quick: bool,
                info: list[dict]) -> list[dict]:
    shown = desk.show(spec)
    try:
        count = min(QUICK_LABELS, len(shown.targets)) if quick else len(shown.targets)
        entry = {"screen": spec.name, "split": spec.split, "window": shown.window,
                 "targets": count, **shown.extra}
        info.append(entry)
        rows: list[dict] = []
        for index in range(count):
            rows += asyncio.run(_ask(core, recorder, shown, index))
        entry["moves_while_measured"] = shown.moves
        return rows
    finally:
        shown.close()


def _report(rows, shown_info, available, errors, quick, load_before, took_s,
            planned: int | None = None) -> dict:
    results = _breakdown(rows)
    held = results["held_out"]["all"]["inside_pct"]
    verdict = judge({"find_click_held_out_pct": held if held is not None else 0.0},
                    TARGETS, at_least=frozenset(TARGETS))
    failures = {split: [_failure(r) for r in rows if r["split"] == split and not r["inside"]]
                for split in ("dev", "held_out")}
    return {
        "benchmark": "screen", "quick": quick,
        "what": "find/click: the point find_on_screen returns and the point click_on_screen's "
                "confirmation shows, each on a fresh grab through the real registry, inside "
                "the element's rectangle as its toolkit reports it",
        "split": {k: list(v) for k, v in SPLIT.items()},
        "split_rule": "by form, fixed before the first run: dev = login + confirm, held-out "
                      "= checkout + settings + save + search (all toolkits, themes, scales)",
        "toolkits": available, "forms": {k: list(v) for k, v in TOOLKIT_FORMS.items()},
        "screens": shown_info, "results": results, "targets": verdict,
        "failures": failures, "timing": _timing(rows),
        "error_explanation": errors, "rows": rows, "machine": machine_info(),
        "load_avg_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "took_s": round(took_s, 1) if took_s is not None else None,
        "screens_planned": planned if planned is not None else len(shown_info),
        "complete": planned is None or planned == len(shown_info),
        "summary": {"held_out_inside_pct": held,
                    "dev_inside_pct": results["dev"]["all"]["inside_pct"],
                    "requests": len(rows), "screens": len(shown_info),
                    "target_met": verdict["find_click_held_out_pct"]["met"]},
    }


def summary(report: dict) -> list[str]:
    res, t = report["results"], report["timing"]
    lines = []
    for split in ("held_out", "dev"):
        a = res[split]["all"]
        if a["requests"]:
            lines.append(f"{split}: {a['inside']}/{a['requests']} inside the element "
                         f"({a['inside_pct']} %; find {res[split]['find']['inside_pct']} %, "
                         f"click {res[split]['click']['inside_pct']} %)")
    v = report["targets"]["find_click_held_out_pct"]
    lines.append(f"target ≥ {v['target']:g} % on held-out: {'met' if v['met'] else 'MISSED'}")
    lines.append(f"time per request: find median {t['find']['median_ms']} ms, p95 "
                 f"{t['find']['p95_ms']} ms; click (to its confirmation) median "
                 f"{t['click']['median_ms']} ms, p95 {t['click']['p95_ms']} ms")
    e = report["error_explanation"]
    lines.append("error explanation: " + (
        "; ".join(f"{k} {v['right']}/{v['screens']} right" for k, v in e["splits"].items())
        if e["status"] == "measured" else e["status"]))
    return lines


def from_progress(progress: Path, out_dir: Path) -> dict:
    """The report of a run stopped before its end, from the rows it left in
    screen.progress.jsonl (its screens are a fixed shuffle, held-out first)."""
    rows, info = _earlier(progress)
    available = toolkits_here()
    planned = len([s for s in all_screens() if available.get(s.toolkit) == "ok"])
    errors = {"status": "not run", "why": "the run was stopped before its last part"}
    report = _report(rows, info, available, errors, False, None, None, planned)
    report["load_avg_1m"] = {"before": None, "after": round(os.getloadavg()[0], 2)}
    write_report(out_dir, "screen", report)
    plot(report, out_dir / "screen.png")
    return report


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the report of a cut-short run")
    parser.add_argument("--from-progress", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args()
    print("\n".join(summary(from_progress(args.from_progress, args.out))))
