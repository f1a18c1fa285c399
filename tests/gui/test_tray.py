"""The tray on a real X server (Xvfb) with a real tray host (trayer), driven by the
real core: what a user sees in the tray when Heron changes state."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.events import StageError, StateChanged

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "screenshots" / "tray.png"
ICON_BACKGROUND = (32, 58)  # inside the badge, clear of every glyph (64 px grid)

pytestmark = pytest.mark.gui


def heron_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "run", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=180, check=False)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_heron_run_shows_the_tray_and_reports_ready(tray_display, tmp_path):
    proc = heron_run(tray_display.env(HERON_HOME=str(tmp_path)),
                     "--no-mic", "--exit-after", "8", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "no system tray" not in proc.stderr  # it really ran as a tray app
    ready = [line for line in json_lines(proc.stdout) if line["type"] == "Ready"]
    assert len(ready) == 1, proc.stdout
    startup = ready[0]["startup_ms"]
    assert 0 < startup["tray_shown"] < 10_000
    assert startup["ready"] > 0


class RunningHeron:
    """`heron run --json` in the background; its JSON lines arrive on a queue."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "run", "--no-mic",
                                      "--json"], cwd=REPO, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def wait_ready(self, timeout_s: float = 120) -> dict:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line["type"] == "Ready":
                return line
        self.proc.kill()
        pytest.fail(f"no Ready line: {self.proc.communicate()[1][-2000:]}")

    def finish(self, timeout_s: float = 30) -> int:
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"heron did not exit: {self.proc.communicate()[1][-2000:]}")


def xdotool(display, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=display.env(), capture_output=True,
                          text=True, timeout=10, check=False).stdout


def heron_windows(display, pid: int) -> list[tuple[str, int, int]]:
    """(window id, width, height) of the visible windows heron process `pid` shows."""
    found = []
    for wid in xdotool(display, "search", "--onlyvisible", "--pid", str(pid), "--name",
                       "Heron").split():
        size = re.search(r"Geometry: (\d+)x(\d+)", xdotool(display, "getwindowgeometry", wid))
        if size:
            found.append((wid, int(size[1]), int(size[2])))
    return found


@pytest.mark.slow
def test_quit_from_the_tray_menu_stops_heron_cleanly(tray_display, tmp_path):
    heron = RunningHeron(tray_display.env(HERON_HOME=str(tmp_path)))
    heron.wait_ready()
    icons = heron_windows(tray_display, heron.proc.pid)
    assert len(icons) == 1, icons  # the tray icon, embedded in trayer
    xdotool(tray_display, "mousemove", "--window", icons[0][0], "10", "10", "click", "3")
    deadline = time.monotonic() + 10
    while len(menus := [w for w in heron_windows(tray_display, heron.proc.pid)
                        if w != icons[0]]) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(menus) == 1, "right-click did not open the tray menu"
    wid, width, height = menus[0]
    # The menu: a disabled status line, a separator, then "Quit Heron" at the bottom.
    xdotool(tray_display, "mousemove", "--window", wid, str(width // 2), str(height - 12),
            "click", "1")
    assert heron.finish() == 0, heron.proc.stderr.read()


@pytest.mark.slow
def test_ctrl_c_stops_the_tray_app_cleanly(tray_display, tmp_path):
    heron = RunningHeron(tray_display.env(HERON_HOME=str(tmp_path)))
    heron.wait_ready()
    heron.proc.send_signal(signal.SIGINT)
    assert heron.finish() == 0, heron.proc.stderr.read()


@pytest.mark.slow
def test_without_a_tray_host_heron_runs_headless(bare_display, tmp_path):
    proc = heron_run(bare_display.env(HERON_HOME=str(tmp_path)),
                     "--no-mic", "--exit-after", "6", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "no system tray" in proc.stderr and "headless" in proc.stderr
    ready = [line for line in json_lines(proc.stdout) if line["type"] == "Ready"]
    assert len(ready) == 1 and "tray_shown" not in ready[0]["startup_ms"]


@pytest.fixture(scope="module")
def running(start_core, tmp_path_factory):
    """The real core (no microphone) on its thread, a bridge and a tray on Xvfb."""
    from gui.tray import HeronTray

    # The tray is told the mic is on, so "idle" shows the plain idle look the
    # state events below are compared with (this core simply never opens it).
    tray = HeronTray(mic_enabled=True)

    def wire(_service, bridge):
        bridge.event.connect(tray.on_event)
        bridge.ready.connect(tray.on_ready)
        tray.show()

    service, bridge = start_core(tmp_path_factory.mktemp("heron"), wire)
    yield service, bridge, tray
    assert bridge.stop(timeout_s=30), "the core thread did not stop"
    assert not bridge.is_running() and bridge.error is None
    tray.hide()


def publish_from_core(bridge, service, *events) -> float:
    """Publish on the core loop's thread, as the pipeline does; seconds it took there."""

    async def publish() -> float:
        assert threading.current_thread() is not threading.main_thread()
        t0 = time.perf_counter()
        for event in events:
            service.bus.publish(event)
        return time.perf_counter() - t0

    return bridge.submit(publish()).result(timeout=10)


def icon_rgb(tray) -> tuple[int, int, int]:
    colour = tray.icon().pixmap(64, 64).toImage().pixelColor(*ICON_BACKGROUND)
    return colour.red(), colour.green(), colour.blue()


def hex_rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.slow
def test_state_events_from_the_core_change_tooltip_and_icon(running, wait_for):
    from gui.tray import STATE_COLOURS

    service, bridge, tray = running
    seen = {}
    for state in ("idle", "listening", "thinking", "speaking", "idle"):
        publish_from_core(bridge, service, StateChanged(state=state))
        assert wait_for(lambda s=state: tray.state == s), f"tray stuck at {tray.state}"
        assert tray.toolTip().splitlines()[0] == f"Heron — {state}"
        assert tray.status_action.text() == f"Heron — {state}"
        seen[state] = icon_rgb(tray)
        assert seen[state] == hex_rgb(STATE_COLOURS[state])
    assert seen["listening"] != seen["idle"]
    assert len({seen[s] for s in ("idle", "listening", "thinking", "speaking")}) == 4


@pytest.mark.slow
def test_no_microphone_shows_on_the_tray(running, wait_for):
    from gui.tray import STATE_COLOURS

    service, bridge, tray = running
    try:
        publish_from_core(bridge, service, StateChanged(state="idle"),
                          StageError(stage="audio_in", code="no_input_device",
                                     message="no input device"))
        assert wait_for(lambda: tray.mic_problem != "")
        assert "No microphone found — use `heron ask` or `heron listen`" in tray.toolTip()
        assert icon_rgb(tray) == hex_rgb(STATE_COLOURS["no_mic"])
        # A timer announcement still shows as speaking, then back to "no microphone".
        publish_from_core(bridge, service, StateChanged(state="speaking"))
        assert wait_for(lambda: tray.state == "speaking")
        assert tray.toolTip().splitlines()[0] == "Heron — speaking"
        publish_from_core(bridge, service, StateChanged(state="idle"))
        assert wait_for(lambda: tray.state == "idle")
        assert tray.look == "no_mic"
    finally:
        tray.mic_problem = ""  # the tray has no "mic is back" event yet
        publish_from_core(bridge, service, StateChanged(state="idle"))
        wait_for(lambda: tray.look == "idle")


@pytest.mark.slow
def test_a_slow_gui_never_delays_the_core(running, wait_for, qapp):
    service, bridge, _tray = running
    received: list[tuple[str, int]] = []

    def slow_repaint(event) -> None:
        received.append((event.state, threading.get_ident()))
        time.sleep(0.2)

    bridge.event.connect(slow_repaint)
    try:
        states = ["listening", "thinking", "speaking", "idle", "listening", "idle"]
        spent_s = publish_from_core(bridge, service, *(StateChanged(state=s) for s in states))
        assert spent_s < 0.05  # while the GUI needs 6 x 0.2 s to handle them
        assert wait_for(lambda: len(received) == len(states))
        assert [s for s, _ in received] == states  # in order, nothing lost
        assert {ident for _, ident in received} == {threading.main_thread().ident}
    finally:
        bridge.event.disconnect(slow_repaint)


@pytest.mark.slow
def test_tray_screenshot_shows_the_icon(running, wait_for, qapp):
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor

    from gui.tray import STATE_COLOURS

    _service, _bridge, tray = running
    assert wait_for(lambda: tray.look == "idle" and not tray.geometry().isEmpty())
    time.sleep(0.3)  # let the tray host finish mapping and painting the icon
    qapp.processEvents()
    area = tray.geometry()
    screen = qapp.primaryScreen().grabWindow(0).toImage()
    want = QColor(STATE_COLOURS["idle"])
    icon_px = [screen.pixelColor(x, y) for x in range(area.left(), area.right() + 1)
               for y in range(area.top(), area.bottom() + 1)]
    close = [c for c in icon_px if abs(c.red() - want.red()) + abs(c.green() - want.green())
             + abs(c.blue() - want.blue()) < 30]
    assert len(close) > len(icon_px) // 4, f"idle icon not visible at {area}"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    crop = QRect(area.left() - 48, 0, area.width() + 56, 40).intersected(screen.rect())
    image = screen.copy(crop)
    assert image.scaled(image.width() * 3, image.height() * 3,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.FastTransformation).save(str(SCREENSHOT))
    assert os.path.getsize(SCREENSHOT) > 0
