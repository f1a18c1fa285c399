"""A real X display (Xvfb) with a real tray host (trayer) for the GUI tests."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bench.xserver import XServer, XServerError, start_tray_host, stop_process

FIX = "install the GUI test tools with `scripts/system-deps.sh test`"


@dataclass(frozen=True)
class TrayDisplay:
    display: str  # ":N"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",
                                                                  "QT_QPA_PLATFORM")}
        return {**env, "DISPLAY": self.display, **extra}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # never skip: a missing tool is a broken test setup
        pytest.fail(f"`{name}` is not installed; {FIX}", pytrace=False)
    return path


def _start_xvfb() -> XServer:
    try:
        return XServer.start("1280x800x24")
    except XServerError as err:  # never skip: a missing tool is a broken test setup
        pytest.fail(f"{err.message}; {FIX}", pytrace=False)


@pytest.fixture(scope="session")
def tray_display() -> Iterator[TrayDisplay]:
    _tool("xdotool")  # the tests click the tray menu with it
    xvfb = _start_xvfb()
    display = xvfb.display
    screen = TrayDisplay(display)
    try:
        trayer = start_tray_host(screen.env())
    except XServerError as err:  # never skip: a missing tool is a broken test setup
        xvfb.stop()
        pytest.fail(f"{err.message} on {display}; {FIX}", pytrace=False)
    try:
        yield screen
    finally:
        stop_process(trayer)
        xvfb.stop()


@pytest.fixture
def bare_display() -> Iterator[TrayDisplay]:
    """An X display with no tray host: a desktop where the tray cannot appear."""
    xvfb = _start_xvfb()
    try:
        yield TrayDisplay(xvfb.display)
    finally:
        xvfb.stop()


@pytest.fixture(scope="session")
def qapp(tray_display):
    """This process's QApplication, on the Xvfb display with the tray host."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        pytest.fail("a QApplication already exists; GUI tests need one on Xvfb",
                    pytrace=False)
    keys = ("WAYLAND_DISPLAY", "DISPLAY", "QT_QPA_PLATFORM")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.pop("WAYLAND_DISPLAY", None)
    os.environ["DISPLAY"] = tray_display.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QApplication(["heron-tests"])
    app.setQuitOnLastWindowClosed(False)
    yield app
    from gui.app import delete_windows

    delete_windows(app)  # before Python's exit frees them after the application
    for key, value in saved.items():  # later tests' subprocesses must not see Xvfb
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def wait_for(qapp) -> Callable[..., bool]:
    """wait_for(predicate, timeout_s=10): run the Qt loop until it holds; False on timeout."""

    def wait(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            qapp.processEvents()
            time.sleep(0.01)
        return True

    return wait


@pytest.fixture(scope="session")
def start_core(qapp):
    """start_core(home, before_start=None) -> (service, bridge): the real core (no
    microphone) on its own thread behind a CoreBridge, once it is ready. `before_start
    (service, bridge)` connects what must see the first events (a tray, windows)."""
    from assistant.config import load_config
    from assistant.paths import resolve_paths
    from assistant.service import HeronService
    from gui.bridge import CoreBridge
    from models.store import ModelStore

    def start(home, before_start=None):
        paths = resolve_paths({"HERON_HOME": str(home)})
        service = HeronService(paths, load_config(paths.config_file),
                               ModelStore(paths.models_dir), use_mic=False)
        bridge = CoreBridge(service)
        if before_start is not None:
            before_start(service, bridge)
        ready = []
        bridge.ready.connect(lambda: ready.append(True))
        bridge.start()
        deadline = time.monotonic() + 120
        while not ready and bridge.is_running() and time.monotonic() < deadline:
            qapp.processEvents()
            time.sleep(0.02)
        assert ready, f"the core never became ready: {bridge.error!r}"
        return service, bridge

    return start
