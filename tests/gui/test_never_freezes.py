"""The tray never freezes: while the core runs a long recognition or a full-HD OCR
(real models, on the core's executors), the Qt event loop keeps turning. A 10 ms
timer on the GUI thread measures the longest gap between its ticks."""

from __future__ import annotations

import gc
import time

import pytest

from vision.testscreens import light_document
from vision.types import Frame

pytestmark = [pytest.mark.gui, pytest.mark.slow]
MAX_STALL_MS = 400  # the eye notices ~100 ms; a blocked loop would stall the whole job (s)


@pytest.fixture(scope="module")
def core(start_core, tmp_path_factory):
    service, bridge = start_core(tmp_path_factory.mktemp("heron"))
    yield service, bridge
    assert bridge.stop(timeout_s=30)


def longest_stall_ms(qapp, future, timeout_s: float = 180) -> tuple[float, int]:
    """Run the Qt loop until `future` is done; (longest gap between 10 ms ticks, ticks)."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    # The test process holds every earlier test's objects, which a tray does not: a
    # full collection of them (GIL held) would be a stall of the test, not of Heron.
    gc.collect()
    gc.freeze()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not future.done() and time.monotonic() < deadline:
            qapp.processEvents()
            time.sleep(0.001)
    finally:
        timer.stop()
        gc.unfreeze()
    assert future.done(), "the core's job never finished"
    future.result()  # its own errors fail the test
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    return (max(gaps) * 1000 if gaps else float("inf")), len(ticks)


def test_a_long_recognition_does_not_stall_the_gui(core, qapp):
    from audio.file_source import decode_file
    from models.store import package_dir

    service, bridge = core
    audio = decode_file(package_dir("moonshine_voice") / "assets" / "two_cities.wav")

    async def recognise():
        t0 = time.perf_counter()
        text = (await service.stack.on_work(service.stack.asr.transcribe, audio)).text
        return text, time.perf_counter() - t0

    future = bridge.submit(recognise())
    stall_ms, ticks = longest_stall_ms(qapp, future)
    text, took_s = future.result()
    assert "best of times" in text.lower()
    assert took_s > 1.0, "too short a job to show anything"
    assert ticks > took_s * 30  # the timer kept firing the whole time
    assert stall_ms < MAX_STALL_MS, f"the GUI stalled {stall_ms:.0f} ms during {took_s:.1f} s"


def test_a_full_hd_ocr_does_not_stall_the_gui(core, qapp):
    service, bridge = core
    screen = light_document()

    async def read():
        t0 = time.perf_counter()
        result, _ = await service.core.ocr.read(Frame(screen.image))
        return result, time.perf_counter() - t0

    future = bridge.submit(read())
    stall_ms, ticks = longest_stall_ms(qapp, future)
    result, took_s = future.result()
    assert len(result.lines) >= len(screen.lines) // 2
    assert took_s > 0.5
    assert stall_ms < MAX_STALL_MS, f"the GUI stalled {stall_ms:.0f} ms during {took_s:.1f} s"
