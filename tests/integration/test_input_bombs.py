"""Input bombs given to the real CLI: a small file that decodes to hours of audio or to
a huge image, a FIFO, a device. Each is refused with a coded one-line message (exit 2),
quickly, and the child's peak memory stays small."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from helpers import REPO

MEMORY_BOUND_KB = 1_500_000  # 1.5 GB: the models take some; the bombs took 3-14 GB
HANG_GUARD_S = 60  # generous: a hang is the bug, not slowness


# The child's own peak: Linux carries a process's peak RSS over fork and exec, so a
# child of this (large) test process would report at least the test's own peak. A
# small reaper in between forks the real child, whose count starts from the reaper's.
REAPER = """
import os, sys
peak_file, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(peak_file, "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def run_measured(home: Path, *args: str, timeout_s: float = 180,
                 stdout_to: Path | None = None) -> tuple[int, str, int, float]:
    """`python -m assistant ARGS`: (exit code, stderr, the child's peak RSS in kB,
    seconds taken)."""
    stamp = time.monotonic_ns()
    err_path, peak_path = home / f"stderr-{stamp}.txt", home / f"peak-{stamp}.txt"
    out_path = stdout_to or Path(os.devnull)
    with err_path.open("w") as err, out_path.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", REAPER, str(peak_path),
                                 sys.executable, "-m", "assistant", *args], cwd=REPO,
                                env={**os.environ, "HERON_HOME": str(home)},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
    killer = threading.Timer(timeout_s, lambda: os.killpg(proc.pid, signal.SIGKILL))
    killer.start()
    t0 = time.monotonic()
    try:
        proc.wait()
    finally:
        killer.cancel()
    took = time.monotonic() - t0
    peak_kb = int(peak_path.read_text())  # written by the reaper once the child ended
    return proc.returncode, err_path.read_text(), peak_kb, took


def assert_refused(result: tuple[int, str, int, float], code: str) -> str:
    rc, stderr, peak_kb, took = result
    assert took < HANG_GUARD_S, f"took {took:.0f} s: {stderr}"
    assert rc == 2, stderr
    assert "Traceback" not in stderr
    coded = [ln for ln in stderr.splitlines() if ln.startswith("heron:")]
    assert len(coded) == 1 and coded[0].endswith(f"[{code}]"), stderr
    assert peak_kb < MEMORY_BOUND_KB, f"peak {peak_kb / 1e6:.2f} GB"
    return coded[0]


def silent_flac(path: Path, seconds: int, state_length: bool = True) -> Path:
    """`seconds` of digital silence as 16 kHz FLAC: 10 hours is 6.5 MB. Without
    `state_length` the header's total-samples field is zeroed ("unknown", as a streaming
    encoder writes it), so only counting decoded samples can stop the decoder."""
    import av
    import numpy as np

    block = 16000 * 10
    silence = np.zeros((1, block), np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=16000, layout="mono")
        for n in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 16000, n * block
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    if not state_length:
        data = bytearray(path.read_bytes())
        assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
        info = 8  # STREAMINFO: total samples are its bits 108-143
        data[info + 13] &= 0xF0
        data[info + 14:info + 18] = bytes(4)
        path.write_bytes(bytes(data))
    return path


def one_colour_png(path: Path, width: int, height: int) -> Path:
    """A width x height RGB PNG of one colour, written row by row (the test itself never
    holds the pixels): it compresses to a few hundred kB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + b"\x30\x60\x90" * width  # filter byte + pixels
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    with path.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", body))
        f.write(chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("state_length", [True, False], ids=["length-in-header", "no-length"])
def test_ten_hours_of_silent_flac_are_refused_as_too_long(tmp_path, state_length):
    flac = silent_flac(tmp_path / "silence.flac", 10 * 3600, state_length)
    assert flac.stat().st_size < 8_000_000
    line = assert_refused(run_measured(tmp_path, "transcribe", str(flac)), "audio.too_long")
    assert str(flac) in line and "600 s" in line


def test_the_duration_limit_is_configurable(tmp_path):
    flac = silent_flac(tmp_path / "silence.flac", 30)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[asr]\nmax_file_s = 10\n")
    line = assert_refused(run_measured(tmp_path, "listen", str(flac), "--no-wake"),
                          "audio.too_long")
    assert "10 s" in line


@pytest.mark.parametrize("command", ["transcribe", "listen", "look"])
def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path, command):
    fifo = tmp_path / "input.wav"
    os.mkfifo(fifo)  # nobody ever writes to it
    code = "vision.bad_image" if command == "look" else "audio.not_a_file"
    line = assert_refused(run_measured(tmp_path, command, str(fifo), timeout_s=HANG_GUARD_S),
                          code)
    assert str(fifo) in line and ("pipe" in line)


def test_a_device_is_refused(tmp_path):
    assert_refused(run_measured(tmp_path, "transcribe", "/dev/zero", timeout_s=HANG_GUARD_S),
                   "audio.not_a_file")


def test_a_huge_one_colour_png_is_refused_from_its_header(tmp_path):
    png = one_colour_png(tmp_path / "bomb.png", 13_000, 13_000)
    assert png.stat().st_size < 2_000_000
    line = assert_refused(run_measured(tmp_path, "look", str(png)), "vision.image_too_large")
    assert "13000x13000" in line and str(png) in line


def test_the_pixel_limit_is_configurable(tmp_path):
    png = one_colour_png(tmp_path / "wide.png", 2000, 1000)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        "[vision]\nmax_image_pixels = 1000000\n")
    assert_refused(run_measured(tmp_path, "look", str(png)), "vision.image_too_large")


def test_a_big_allowed_screenshot_is_read_with_boxes_in_its_own_pixels(tmp_path):
    """8000 x 5000 (40 MP, the cap): OCR reads a scaled-down copy (24 MP), and the boxes
    it reports are mapped back to the image's own pixels."""
    import json

    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (8000, 5000), (255, 255, 255))
    ImageDraw.Draw(img).text((1200, 2400), "Error: disk quota exceeded on volume 7",
                             fill=(0, 0, 0), font=ImageFont.load_default(size=90))
    png = tmp_path / "big.png"
    img.save(png)
    del img
    out = tmp_path / "report.json"
    rc, stderr, peak_kb, _ = run_measured(tmp_path, "look", str(png), "--json",
                                          stdout_to=out)
    assert rc == 0, stderr
    assert peak_kb < MEMORY_BOUND_KB, f"peak {peak_kb / 1e6:.2f} GB"
    (line,) = [ln for ln in json.loads(out.read_text())["lines"] if "quota" in ln["text"]]
    box = line["box"]
    assert abs(box["x"] - 1200) < 40 and abs(box["y"] - 2400) < 40, box
    assert 1400 < box["w"] < 1900, box  # the text's width at full size, not scaled
