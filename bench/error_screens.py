"""Error screens drawn with Pillow (terminals bright and dim, a light build panel, browser
error pages, Chromium's own error pages, desktop dialogs) and the end-to-end measure of
issue 18: each screen through the real OCR, the redaction, the row joining and the
explanation, scored on whether the answer names the key and gives the right fix.

    python -m bench.error_screens [dev|heldout] [--show ID]"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.error_screens_corpus import ErrorScreen, judge, load
from vision.testscreens import MONO, SANS, SANS_BOLD, ScreenPainter
from vision.types import Box, Frame

SIZE = (1920, 1080)
WRAP_CHARS = 190  # a full-width terminal at 15 px wraps longer lines
_RED = (235, 95, 95)
_ERROR_WORDS = ("error", "fatal", "E:", "npm ERR!", "CONFLICT", " ! [rejected]")


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    out = []
    for line in lines:
        line = line.replace("\t", "    ")
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return out


def _terminal(screen: ErrorScreen, dim: bool) -> np.ndarray:
    p = ScreenPainter(SIZE, (28, 28, 32))
    p.rect(Box(0, 0, SIZE[0], 34), (48, 48, 52))
    p.text(SIZE[0] // 2 - 90, 8, screen.title, p.font(SANS_BOLD, 14), (200, 200, 200))
    mono = p.font(MONO, 15)
    y = 48
    for line in _wrap(screen.lines, WRAP_CHARS):
        if dim:
            colour = (112, 112, 118)
        elif any(w.casefold() in line.casefold()[:40] for w in _ERROR_WORDS):
            colour = _RED
        else:
            colour = (215, 215, 215)
        p.text(12, y, line, mono, colour)
        y += 22
    return p.finish(screen.id).image


def _light_log(screen: ErrorScreen) -> np.ndarray:
    p = ScreenPainter(SIZE, (236, 236, 236))
    p.rect(Box(0, 0, SIZE[0], 34), (210, 210, 214))
    p.text(16, 8, screen.title, p.font(SANS, 14), (30, 30, 30))
    p.rect(Box(0, 560, SIZE[0], 520), (252, 252, 252), (190, 190, 190))
    p.text(12, 568, "Build Output", p.font(SANS_BOLD, 13), (60, 60, 60))
    mono = p.font(MONO, 14)
    y = 600
    for line in _wrap(screen.lines, 200):
        colour = (190, 30, 30) if "error" in line.casefold() else (40, 40, 40)
        p.text(12, y, line, mono, colour)
        y += 21
    return p.finish(screen.id).image


def _browser(screen: ErrorScreen, chrome_page: bool) -> np.ndarray:
    """Tab strip with the title, address bar with lines[0], then the page."""
    p = ScreenPainter(SIZE, (255, 255, 255))
    sans = p.font(SANS, 14)
    p.rect(Box(0, 0, SIZE[0], 40), (222, 225, 230))
    p.rect(Box(8, 6, 300, 34), (255, 255, 255))
    p.text(20, 14, screen.title.split(" - ")[0][:34], sans, (40, 40, 40))
    p.rect(Box(0, 40, SIZE[0], 44), (246, 246, 248))
    p.rect(Box(120, 47, 1200, 30), (232, 234, 237))
    p.text(140, 53, screen.lines[0], sans, (60, 60, 60))
    page = screen.lines[1:]
    if chrome_page:  # Chromium's own pages: grey, a heading, small code at the bottom
        y = 300
        p.text(560, y, page[0], p.font(SANS, 30), (32, 33, 36))
        y += 70
        for line in page[1:]:
            small = line.isupper() or line.startswith(("ERR_", "NET::", "DNS_"))
            font = p.font(SANS, 12 if small else 16)
            p.text(560, y, line, font, (95, 99, 104))
            y += 34
    else:  # a server's page: big bold heading, a rule, plain text
        p.text(40, 120, page[0], p.font(SANS_BOLD, 32), (0, 0, 0))
        y = 190
        p.rect(Box(40, 180, SIZE[0] - 80, 1), (160, 160, 160))
        for line in _wrap(page[1:], 170):
            p.text(40, y, line, p.font(SANS, 16), (20, 20, 20))
            y += 28
    return p.finish(screen.id).image


def _dialog(screen: ErrorScreen) -> np.ndarray:
    p = ScreenPainter(SIZE, (58, 82, 110))
    sans, bold = p.font(SANS, 15), p.font(SANS_BOLD, 15)
    width = max(620, 16 + 9 * max(len(line) for line in screen.lines))
    win = Box((SIZE[0] - width) // 2, 360, width, 150 + 30 * len(screen.lines))
    p.rect(win, (242, 242, 242), (90, 90, 90))
    p.rect(Box(win.x, win.y, win.w, 34), (220, 220, 224))
    p.text(win.x + 14, win.y + 9, screen.title, bold, (20, 20, 20))
    y = win.y + 60
    for n, line in enumerate(screen.lines):
        p.text(win.x + 24, y, line, bold if n == 0 else sans, (30, 30, 30))
        y += 30
    bx = win.right - 24
    for label in reversed(screen.buttons):
        w = 24 + 9 * len(label)
        bx -= w + 12
        btn = Box(bx, win.bottom - 52, w, 34)
        p.rect(btn, (230, 230, 230), (120, 120, 120))
        p.text(btn.x + 12, btn.y + 8, label, sans, (20, 20, 20))
    return p.finish(screen.id).image


def render(screen: ErrorScreen) -> np.ndarray:
    """The screen as an (H, W, 3) RGB image."""
    if screen.style in ("terminal", "terminal_dim"):
        return _terminal(screen, dim=screen.style == "terminal_dim")
    if screen.style == "light_log":
        return _light_log(screen)
    if screen.style in ("browser", "chrome"):
        return _browser(screen, chrome_page=screen.style == "chrome")
    if screen.style == "dialog":
        return _dialog(screen)
    raise ValueError(f"unknown style {screen.style!r}")


def explain_screen(screen: ErrorScreen, ocr: Any) -> dict[str, Any]:
    """One screen end to end: OCR (redacted) → rows → findings → the table → answer."""
    from assistant.builtins.error_fixes import diagnose
    from assistant.builtins.explain_error import explain
    from assistant.builtins.screen_help import find_errors
    from vision.types import reading_order

    start = time.perf_counter()
    result, _ = ocr.read_sync(Frame(render(screen), source=screen.id))
    ocr_ms = (time.perf_counter() - start) * 1000
    texts = [row.text for row in reading_order(result.lines)]
    titles = [ocr.redact(screen.title).text]
    found = diagnose(texts, titles)
    report = explain(texts, find_errors(texts, titles), found)
    answer = report["speech"]
    return {"id": screen.id, "family": screen.family, "answer": answer,
            "fix_command": report["fix_command"], "key": found.key if found else None,
            "ocr_ms": round(ocr_ms), "ocr_text": texts, **judge(screen, answer)}


def run(rows: Sequence[ErrorScreen], ocr: Any = None) -> dict[str, Any]:
    """Every screen of `rows`; the share answered right, overall and per family."""
    if ocr is None:
        from assistant.builtins.screen_ocr import ScreenOcr

        ocr = ScreenOcr()
    results = [explain_screen(screen, ocr) for screen in rows]
    families = sorted({r["family"] for r in results})
    per = {f: sum(r["right"] for r in results if r["family"] == f)
           / sum(r["family"] == f for r in results) for f in families}
    return {"screens": len(results), "right": sum(r["right"] for r in results),
            "accuracy": sum(r["right"] for r in results) / max(1, len(results)),
            "per_family": per, "results": results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", choices=("dev", "heldout"))
    parser.add_argument("--show", default="", help="print the OCR text of this screen")
    parser.add_argument("--json", default="", help="write the results here")
    args = parser.parse_args(argv)
    report = run(load(args.split))
    for r in report["results"]:
        mark = "ok " if r["right"] else "BAD"
        print(f"{mark} {r['id']:<24} {r['key'] or '-':<32} {r['answer'][:150]}")
        if args.show == r["id"] or (args.show == "bad" and not r["right"]):
            print("    " + "\n    ".join(r["ocr_text"]))
    print(f"\n{args.split}: {report['right']}/{report['screens']} right "
          f"({100 * report['accuracy']:.1f} %)")
    for family, share in report["per_family"].items():
        print(f"  {family:<10} {100 * share:.0f} %")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
