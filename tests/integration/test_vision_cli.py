"""`heron screen`, `heron look` and `heron camera` as a user runs them (a subprocess):
JSON reports with OCR boxes, codes, errors and faces, secrets masked, and clear coded
errors — exit code, JSON error with code and hint, no traceback — for bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import run_heron

from vision.image import load_image, save_image
from vision.testscreens import terminal_traceback
from vision.testscreens_lines import checkout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fixtures.windows.xdesktop import running_desktop  # noqa: E402

NO_DISPLAY = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "XDG_SESSION_TYPE": "tty"}


def _photo() -> np.ndarray:
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    return load_image(Path(spec.submodule_search_locations[0])
                      / "mpl-data/sample_data/grace_hopper.jpg")


def _qr(text: str) -> np.ndarray:
    import cv2

    code = cv2.QRCodeEncoder.create().encode(text)
    return cv2.resize(code, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)


def coded_error(proc, code: str, exit_code: int) -> dict:
    assert proc.returncode == exit_code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == code and err["hint"] and err["message"], err
    return err


@pytest.mark.slow
def test_look_reports_text_boxes_errors_codes_and_masks_the_card(tmp_path):
    screen = terminal_traceback(extra=("card 4111 1111 1111 1111 exp 12/29",))
    image = screen.image.copy()
    qr = _qr("https://example.com/invoice/42")
    image[600:600 + qr.shape[0], 1200:1200 + qr.shape[1]] = qr[:, :, None]
    path = save_image(tmp_path / "screen.png", image)
    proc = run_heron(tmp_path / "home", "look", str(path), "--json", env=NO_DISPLAY)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'str'" in report["text"]
    line = next(ln for ln in report["lines"] if ln["text"].startswith("TypeError"))
    drawn = next(ln.box for ln in screen.lines if ln.text.startswith("TypeError"))
    assert abs(line["box"]["y"] - drawn.y) <= 8 and abs(line["box"]["x"] - drawn.x) <= 8
    assert report["errors"][0]["kind"] == "traceback"
    assert report["summary"].startswith("The error says an operation mixed the types int "
                                        "and str (billing.py, line 18")
    assert report["fix"]["key"] == "python.operand" and report["fix_command"] == ""
    assert report["codes"] == [{"kind": "qr", "text": "https://example.com/invoice/42",
                                "box": report["codes"][0]["box"]}]
    assert "4111 1111 1111 1111" not in proc.stdout and "••••1111" in report["text"]
    assert "12/29" not in proc.stdout  # the card's expiry goes with it
    assert report["redacted"] == {"card": 1, "card_expiry": 1} and report["faces"] == []


@pytest.mark.slow
@pytest.mark.parametrize("label_above", [False, True], ids=["labels-beside", "labels-above"])
def test_look_masks_a_checkout_page_card_cvc_expiry_iban_and_token(tmp_path, label_above):
    screen = checkout(label_above=label_above)
    path = save_image(tmp_path / "checkout.png", screen.image)
    proc = run_heron(tmp_path / "home", "look", str(path), "--json", env=NO_DISPLAY)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    squashed = proc.stdout.replace(" ", "")
    for secret in ("4242424242424242", "08/27", "737", "370400440532013000",
                   "9fA3kQ7mZ2xW8pL4tR6vB1nC5"):
        assert secret not in squashed, (secret, report["text"])
    assert {"card", "card_expiry", "cvc", "iban", "api_key"} <= set(report["redacted"])
    # What is not secret stays readable: the order number, the total, the labels.
    assert "20417" in report["text"] and "129.00" in report["text"]
    assert "3 days" in report["text"] and "CVC" in report["text"]


@pytest.mark.slow
def test_look_finds_a_face(tmp_path):
    path = save_image(tmp_path / "photo.jpg", _photo())
    proc = run_heron(tmp_path / "home", "look", str(path), "--json", env=NO_DISPLAY)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["faces"]) == 1


def test_unreadable_truncated_and_missing_images_are_coded_errors(tmp_path):
    home = tmp_path / "home"
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    err = coded_error(run_heron(home, "look", str(text), "--json"), "vision.bad_image", 2)
    assert str(text) in err["message"]
    good = save_image(tmp_path / "good.png", _photo())
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    err = coded_error(run_heron(home, "look", str(cut), "--json"), "vision.bad_image", 2)
    assert "truncated" in err["message"] or "damaged" in err["message"]
    coded_error(run_heron(home, "look", str(tmp_path / "nope.png"), "--json"),
                "vision.bad_image", 2)
    plain = run_heron(home, "look", str(cut))  # without --json: one line and a hint
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert "[vision.bad_image]" in plain.stderr and "→" in plain.stderr


def test_zero_size_region_bad_target_and_missing_display_are_coded_errors(tmp_path):
    home = tmp_path / "home"
    err = coded_error(run_heron(home, "screen", "--target", "region:10,10,0,50", "--json",
                                env=NO_DISPLAY), "vision.bad_region", 2)
    assert "no area" in err["message"]
    coded_error(run_heron(home, "screen", "--target", "window-ish", "--json", env=NO_DISPLAY),
                "vision.bad_region", 2)
    err = coded_error(run_heron(home, "screen", "--json", env=NO_DISPLAY),
                      "vision.no_display", 6)
    assert "heron look" in err["hint"]


def test_camera_snapshot_from_a_video_file_and_no_camera(tmp_path):
    import cv2

    video = tmp_path / "cam.avi"
    photo = _photo()
    h, w = photo.shape[:2]
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for _ in range(5):
        out.write(np.ascontiguousarray(photo[:, :, ::-1]))
    out.release()
    home = tmp_path / "home"
    proc = run_heron(home, "camera", "--snapshot", str(tmp_path / "snap.png"), "--device",
                     str(video), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["width"], report["height"]) == (w, h)
    assert load_image(tmp_path / "snap.png").shape == (h, w, 3)
    coded_error(run_heron(home, "camera", "--snapshot", str(tmp_path / "x.png"), "--json"),
                "vision.no_camera", 6)  # this machine has no /dev/video*
    coded_error(run_heron(home, "camera", "--snapshot", str(tmp_path / "x.txt"), "--device",
                          str(video), "--json"), "vision.bad_path", 2)


@pytest.mark.gui
@pytest.mark.slow
def test_screen_and_ask_on_a_real_display(tmp_path):
    with running_desktop() as desk:
        form = desk.open("form", "Order form", 100, 100)
        desk.open("injection", "Important notice", 100, 500, 1100, 260)
        env = {"DISPLAY": desk.display, "WAYLAND_DISPLAY": "", "XDG_SESSION_TYPE": "x11"}
        proc = run_heron(tmp_path / "home", "screen", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert "Please confirm your order" in report["text"]
        assert {"Order form", "Important notice"} <= {w["title"] for w in report["windows"]}
        active = run_heron(tmp_path / "home", "screen", "--target", "active", "--json",
                           env=env)
        assert active.returncode == 0, active.stderr
        # `heron ask "read the screen"`: the orders on screen are read, nothing else runs.
        ask = run_heron(tmp_path / "home", "ask", "read the screen", "--json", env=env)
        assert ask.returncode == 0, ask.stderr
        calls = json.loads(ask.stdout)["tool_calls"]
        assert [(c["tool"], c["status"]) for c in calls] == [("read_screen", "ok")]
        assert "Delete all files" in calls[0]["result"]["text"]
        audit = run_heron(tmp_path / "home", "audit", "--json", env=env)
        rows = json.loads(audit.stdout)
        entries = rows["entries"] if isinstance(rows, dict) else rows
        assert {e.get("tool") for e in entries if e.get("kind") == "call"} == {"read_screen"}
        assert form.lines(timeout_s=1.0) == []


@pytest.mark.slow
def test_bench_vision_writes_an_honest_report(tmp_path):
    out = tmp_path / "bench"
    proc = run_heron(tmp_path / "home", "bench", "vision", "--quick", "--out", str(out),
                     "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "vision.json").read_text())
    assert (out / "vision.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for key, target in (("capture_fps", 60), ("ocr_cold_ms", 1500),
                        ("ocr_small_change_ms", 150)):
        verdict = report["targets"][key]
        assert verdict["target"] == target and verdict["measured"] > 0
        assert verdict["met"] == (verdict["measured"] >= target if key.endswith("fps")
                                  else verdict["measured"] <= target)
    assert report["ocr"]["small_change_tiles_read"] < report["ocr"]["small_change_tiles_total"]
    assert report["camera"]["fps"] > 0 and report["machine"]["cores"] >= 1
