"""OCR with the real PP-OCRv6 models on screens drawn at test time (dark terminal with a
traceback, light document, grey-on-dark hints, a dialog), incremental re-reading after
a one-line edit, redaction of what was read, and the coded errors for bad input."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from bench.text import wer
from models.store import package_dir
from vision.errors import VisionError
from vision.image import decode_image, load_image, save_image
from vision.redact import redact_ocr
from vision.testscreens import (
    ScreenPainter,
    TestScreen,
    all_screens,
    dialog,
    terminal_traceback,
)
from vision.tiles import IncrementalOcr, TileOptions
from vision.types import Frame, OcrResult


def _lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def matched(screen: TestScreen, result: OcrResult) -> list[tuple[str, str]]:
    """(expected, read) per drawn line: the OCR lines whose centre is on it, left to right."""
    out = []
    for gt in screen.lines:
        box = gt.box.grow(6)
        got = sorted((ln for ln in result.lines if box.contains_point(*ln.box.center)),
                     key=lambda ln: ln.box.x)
        out.append((gt.text.strip(), " ".join(ln.text for ln in got)))
    return out


@pytest.fixture(scope="module")
def reader():
    from vision.ocr import RapidOcrReader

    r = RapidOcrReader()
    r.load()
    return r


@pytest.mark.slow
@pytest.mark.parametrize("screen", all_screens(), ids=lambda s: s.name)
def test_test_screens_are_read_with_their_spaces_and_in_place(reader, screen):
    result = reader.read_image(screen.image)
    pairs = matched(screen, result)
    errors = sum(_lev(gt, got) for gt, got in pairs)
    chars = sum(len(gt) for gt, _ in pairs)
    assert errors / chars <= 0.02, pairs  # measured: 0–0.2 % (docs/models.md)
    assert all(got for _, got in pairs), "every drawn line was found"
    # Spaces between words survive: word error rate, not only character error rate.
    assert wer(" ".join(g for g, _ in pairs), " ".join(o for _, o in pairs)) <= 0.05, pairs
    assert list(result.lines) == sorted(result.lines, key=lambda ln: ln.box.y) or \
        screen.name == "dialog"  # buttons of one row are ordered left to right instead


@pytest.mark.slow
def test_the_traceback_is_read_line_by_line_in_reading_order(reader):
    screen = terminal_traceback()
    result = reader.read_image(screen.image)
    text = result.text
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'str'" in text
    assert 'File "/home/ana/projects/invoice/billing.py", line 18, in compute_total' in text
    rows = text.splitlines()
    assert rows.index("Traceback (most recent call last):") < \
        next(i for i, r in enumerate(rows) if r.startswith("TypeError"))
    assert all(0.5 <= ln.confidence <= 1.0 for ln in result.lines)


@pytest.mark.slow
@pytest.mark.parametrize("line_by_line", [False, True], ids=["regions", "changed-lines"])
def test_editing_one_line_rereads_only_the_changed_tiles(reader, line_by_line):
    opts = TileOptions()
    ocr = IncrementalOcr(reader.read_lines, opts, parts=reader if line_by_line else None)
    before_screen = terminal_traceback(extra=("ana@desk:~/projects/invoice$ make test",))
    first = ocr.read(Frame(before_screen.image))
    assert first.stats.tiles_read == first.stats.tiles_total
    after_screen = terminal_traceback(extra=("ana@desk:~/projects/invoice$ make lint",))
    after = ocr.read(Frame(after_screen.image))
    assert 0 < after.stats.tiles_read <= 2 * 8  # the line's tile row(s), 8 tiles wide
    assert after.stats.tiles_total == 17 * 8
    rows = after.text.splitlines()
    assert rows[-1] == "ana@desk:~/projects/invoice$ make lint"
    assert rows[:-1] == first.text.splitlines()[:-1]  # the rest is the first reading
    # A line printed below: only the tiles around it are read.
    grown = terminal_traceback(extra=("ana@desk:~/projects/invoice$ make lint",
                                      "All checks passed!"))
    more = ocr.read(Frame(grown.image))
    assert more.stats.tiles_read <= 2 * 8
    assert more.text.splitlines()[-1] == "All checks passed!"
    # Nothing changed: nothing read.
    same = ocr.read(Frame(grown.image))
    assert same.stats.tiles_read == 0 and same.text == more.text


@pytest.mark.slow
def test_what_ocr_reads_is_redacted_before_it_goes_anywhere(reader):
    p = ScreenPainter((1280, 400), (250, 250, 250))
    font = p.font("DejaVuSans.ttf", 20)
    p.text(40, 40, "Username: ana", font, (20, 20, 20))
    p.text(40, 90, "Password: Tr0ub4dor-3", font, (20, 20, 20))
    p.text(40, 140, "Card 4111 1111 1111 1111", font, (20, 20, 20))
    p.text(40, 190, "GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", font, (20, 20, 20))
    screen = p.finish("secrets")
    result = reader.read_image(screen.image)
    assert "Tr0ub4dor" in result.text  # what the model saw, before redaction
    clean, summary = redact_ocr(result)
    assert "Tr0ub4dor" not in clean.text and "4111 1111" not in clean.text
    assert "ghp_" not in clean.text and "Username: ana" in clean.text
    assert summary.count("password") == 1 and summary.count("card") == 1
    assert summary.count("api_key") == 1
    assert [ln.box for ln in clean.lines] == [ln.box for ln in result.lines]


@pytest.mark.slow
def test_ocr_loads_and_reads_with_no_network_and_writes_nothing(monkeypatch):
    from vision.ocr import RapidOcrReader

    def refuse(*_args, **_kwargs):
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    models = package_dir("rapidocr") / "models"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in models.iterdir())
    result = RapidOcrReader().read_image(dialog().image)
    assert "Save changes to budget.ods?" in result.text
    assert sorted((p.name, p.stat().st_mtime_ns) for p in models.iterdir()) == before


def test_sessions_come_from_the_heron_session_factory(monkeypatch):
    import models.onnx
    import vision.ocr

    made = {}
    real = models.onnx.create_session

    def spy(path, *args, **kwargs):
        made[Path(path).name] = real(path, *args, **kwargs)
        return made[Path(path).name]

    monkeypatch.setattr(vision.ocr, "create_session", spy)
    reader = vision.ocr.RapidOcrReader()
    reader.warm_up()
    assert list(made) == ["PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx"]
    # RapidOCR runs exactly the sessions Heron made (no second session of its own).
    assert reader._engine.text_det.session.session is made["PP-OCRv6_det_small.onnx"]
    assert reader._engine.text_rec.session.session is made["PP-OCRv6_rec_small.onnx"]


# -- bad input ---------------------------------------------------------------------------
@pytest.fixture
def png(tmp_path) -> Path:
    return save_image(tmp_path / "screen.png", dialog().image)


def test_a_truncated_image_file_is_a_coded_error_naming_it(png):
    data = png.read_bytes()
    png.write_bytes(data[: len(data) // 2])
    with pytest.raises(VisionError) as err:
        load_image(png)
    assert err.value.code == "vision.bad_image" and str(png) in err.value.message
    assert "truncated" in err.value.message


@pytest.mark.parametrize(("content", "why"), [
    (b"", "empty"), (b"this is not an image\n" * 20, "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "damaged"),
])
def test_unreadable_images_are_coded_errors(tmp_path, content, why):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(VisionError) as err:
        load_image(path)
    assert err.value.code == "vision.bad_image" and err.value.exit_code == 2
    assert why in err.value.message or "not an image" in err.value.message


def test_missing_file_and_directory_are_coded_errors(tmp_path):
    for path, why in ((tmp_path / "nope.png", "no such file"), (tmp_path, "directory")):
        with pytest.raises(VisionError) as err:
            load_image(path)
        assert err.value.code == "vision.bad_image" and why in err.value.message


def test_a_good_png_round_trips(png):
    assert np.array_equal(load_image(png), dialog().image)
    assert decode_image(png.read_bytes()).shape == (1080, 1920, 3)


def test_ocr_rejects_empty_or_wrong_arrays_without_loading_a_model():
    from vision.ocr import RapidOcrReader

    reader = RapidOcrReader()
    for bad in (np.zeros((0, 0, 3), np.uint8), np.zeros((100, 100), np.uint8),
                np.zeros((100, 100, 3), np.float32), np.zeros((2, 300, 3), np.uint8)):
        with pytest.raises(VisionError) as err:
            reader.read_lines(bad)
        assert err.value.code == "vision.bad_image"
    assert reader._engine is None
