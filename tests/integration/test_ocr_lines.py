"""Whole lines from the real PP-OCRv6 models on rendered screens (dark and light
terminals, a dim build log, 12 px text, 150 % scaling, two-column pages): a line the
detector cuts at a change of colour comes back as one line, columns stay apart, the
incremental re-read keeps lines whole, "what does this error say" names the module,
and `heron look --json` reports whole lines. No OCR output is made up here."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_heron

from assistant.builtins.error_fixes import diagnose
from assistant.builtins.screen_help import answer, find_errors, locate
from vision.image import save_image
from vision.testscreens_lines import (
    LEFT_COLUMN,
    LINKER_ERROR,
    MODULE_ERROR,
    MODULE_TRACEBACK,
    RIGHT_COLUMN,
    dev_screens,
    heldout_screens,
    terminal,
)
from vision.tiles import IncrementalOcr
from vision.types import Frame

SCREENS = {s.name: s for s in (*dev_screens(), *heldout_screens())}
TERMINALS = [n for n in SCREENS if "terminal" in n or "build-log" in n]
COLUMNS = [n for n in SCREENS if "columns" in n]
NO_DISPLAY = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "XDG_SESSION_TYPE": "tty"}


def squash(text: str) -> str:
    """Text without spaces: the recogniser sometimes drops the one before a quote."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def reader():
    from vision.ocr import RapidOcrReader

    r = RapidOcrReader()
    r.load()
    return r


@pytest.fixture(scope="module")
def reads(reader):
    """Each screen read once: (raw boxes, whole lines)."""
    return {name: (reader.read_lines(s.image), reader.read_image(s.image))
            for name, s in SCREENS.items()}


def _target(name: str) -> str:
    return LINKER_ERROR if "build-log" in name else MODULE_ERROR


@pytest.mark.slow
@pytest.mark.parametrize("name", TERMINALS)
def test_an_error_line_cut_by_the_detector_comes_back_whole(reads, name):
    _, result = reads[name]
    want = _target(name)
    rows = [ln for ln in result.lines if squash(want)[:12] in squash(ln.text)]
    assert len(rows) == 1, [ln.text for ln in result.lines]
    assert squash(rows[0].text) == squash(want), rows[0].text


@pytest.mark.slow
def test_the_detector_really_cuts_those_lines_so_joining_is_what_keeps_them(reads):
    # Without joining, these screens give the line in pieces (as users saw it).
    for name in ("terminal-dark", "build-log-dim", "terminal-dark-highlight-15px",
                 "build-log-dim-150pct"):
        raw, result = reads[name]
        want = squash(_target(name))
        assert not any(squash(b.text) == want for b in raw), name
        (line,) = [ln for ln in result.lines if squash(ln.text) == want]
        assert len(line.parts) >= 2
        assert line.box == line.parts[0].box.union(line.parts[-1].box)


@pytest.mark.slow
@pytest.mark.parametrize("name", COLUMNS)
def test_two_columns_stay_two_columns(reads, name):
    _, result = reads[name]
    texts = [ln.text for ln in result.lines]
    for left, right in zip(LEFT_COLUMN, RIGHT_COLUMN, strict=True):
        assert any(squash(t) == squash(left) for t in texts), (left, texts)
        assert any(squash(t) == squash(right) for t in texts), (right, texts)
    assert not any(ln.parts for ln in result.lines), texts


@pytest.mark.slow
@pytest.mark.parametrize("name", ["terminal-dark", "build-log-dim", "terminal-150pct"])
def test_what_does_this_error_say_names_what_the_user_needs(reads, name):
    _, result = reads[name]
    texts = [ln.text for ln in result.lines]
    said = answer(find_errors(texts), diagnose(texts))  # as explain_error says it
    if "build-log" in name:
        assert "linker" in said and "library" in said, said  # what failed, what to add
        assert "error: error:" not in said and not said.endswith("error:.")
    else:
        assert "requests" in said, said
        assert "pip install requests" in said, said  # the next step, with its name


@pytest.mark.slow
def test_a_word_in_a_joined_line_is_found_where_it_is_drawn(reads):
    from PIL import Image, ImageDraw, ImageFont

    from vision.testscreens import FONT_DIR

    _, result = reads["terminal-dark"]
    (hit,) = [h for h in locate(result.lines, "requests") if "Module" in h.text]
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), 16)
    draw = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    start = 14 + draw.textlength("ModuleNotFoundError: No module named ", font=font)
    end = start + draw.textlength("'requests'", font=font)
    cx, _ = hit.box.center
    assert start <= cx <= end, (start, cx, end)  # on the word, not mid-line


@pytest.mark.slow
@pytest.mark.parametrize("line_by_line", [False, True], ids=["regions", "changed-lines"])
def test_the_incremental_reread_keeps_lines_whole(reader, line_by_line):
    ocr = IncrementalOcr(reader.read_lines, parts=reader if line_by_line else None)
    first = ocr.read(Frame(terminal("t", MODULE_TRACEBACK).image))
    assert any(squash(ln.text) == squash(MODULE_ERROR) for ln in first.lines)
    edited = (*MODULE_TRACEBACK[:4],
              (("ModuleNotFoundError: No module named ", "err_bold"), ("'numpyy'", "fg")),
              MODULE_TRACEBACK[5])
    after = ocr.read(Frame(terminal("t", edited).image))
    assert 0 < after.stats.tiles_read < after.stats.tiles_total
    rows = [ln.text for ln in after.lines if "Module" in ln.text or "numpyy" in ln.text]
    assert [squash(r) for r in rows] == [squash("ModuleNotFoundError: No module named "
                                                "'numpyy'")], rows
    assert not any("requests'" in ln.text for ln in after.lines)


@pytest.mark.slow
def test_heron_look_json_reports_whole_lines(tmp_path):
    screen = SCREENS["terminal-dark"]
    path = save_image(tmp_path / "terminal.png", np.ascontiguousarray(screen.image))
    proc = run_heron(tmp_path / "home", "look", str(path), "--json", env=NO_DISPLAY)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    (line,) = [ln for ln in report["lines"] if "Module" in ln["text"]]
    assert squash(line["text"]) == squash(MODULE_ERROR)
    assert len(line["parts"]) == 2 and "requests" in line["parts"][1]["text"]
    assert report["errors"][0]["kind"] == "traceback"
    assert "requests" in report["summary"]


@pytest.mark.gui
@pytest.mark.slow
def test_heron_screen_json_on_a_real_display_reports_whole_lines(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fixtures.windows.xdesktop import running_desktop

    image = save_image(tmp_path / "terminal.png",
                       np.ascontiguousarray(SCREENS["build-log-dim"].image))
    with running_desktop() as desk:
        win = desk.open("image", "Build log", 60, 60, 1280, 720,
                        env={"HERON_TEST_IMAGE": str(image)})
        assert "shown" in win.lines(timeout_s=5.0)
        env = {"DISPLAY": desk.display, "WAYLAND_DISPLAY": "", "XDG_SESSION_TYPE": "x11"}
        proc = run_heron(tmp_path / "home", "screen", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        (line,) = [ln for ln in report["lines"] if "linker" in ln["text"]]
        assert squash(line["text"]) == squash(LINKER_ERROR), line
        assert "linker" in report["summary"], report["summary"]  # explained, not echoed
