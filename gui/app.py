"""`heron run` with a display: the Qt tray on the GUI thread, the core on its own thread."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from assistant.runner import EventPrinter, NoTray, since_launch_ms
from assistant.service import HeronService
from gui.bridge import CoreBridge
from gui.controller import TrayController
from gui.tray import HeronTray
from gui.windows import Windows
from models.errors import CodedError

log = logging.getLogger(__name__)


def run_tray(ctx, use_mic: bool, exit_after_s: float | None, as_json: bool) -> int:
    """Run Heron with a tray icon until Quit, Ctrl+C or `exit_after_s`; the exit code.
    Raises NoTray when the desktop has no tray host (the caller runs headless), and the
    CodedError that ended the core (the caller prints it and exits with its code)."""
    t0 = time.perf_counter()
    app = _application()
    if not QSystemTrayIcon.isSystemTrayAvailable():
        raise NoTray()

    service = HeronService(ctx.paths, ctx.config, ctx.store, use_mic=use_mic,
                           serve_commands=True)
    bridge = CoreBridge(service)
    tray = HeronTray(mic_enabled=use_mic)
    printer = EventPrinter(as_json, "in the tray")
    startup_ms: dict[str, float] = {}
    bridge.event.connect(tray.on_event)
    bridge.event.connect(printer.on_event)
    bridge.ready.connect(tray.on_ready)
    bridge.ready.connect(lambda: printer.on_ready({**service.startup_ms, **startup_ms}))
    bridge.finished.connect(lambda _error: app.quit())  # the core ended (error or not)
    tray.quit_requested.connect(app.quit)
    windows = Windows(service, bridge)
    bridge.ready.connect(windows.on_ready)
    controller = TrayController(service, bridge, tray, windows)  # noqa: F841  (the wiring)

    tray.show()
    # From entering run_tray (QApplication creation included) to the icon handed to the host.
    startup_ms["tray_shown"] = round((time.perf_counter() - t0) * 1000, 1)
    launched = since_launch_ms()
    if launched is not None:
        startup_ms["tray_shown_since_launch"] = launched
    bridge.start()
    if exit_after_s is not None:
        QTimer.singleShot(int(exit_after_s * 1000), app.quit)
    with _quit_on_signals(app):
        app.exec()

    stopped = bridge.stop()
    app.processEvents()  # deliver what the core published while stopping
    tray.hide()
    delete_windows(app)
    if bridge.error is not None:
        coded = _coded_error(bridge.error)
        if coded is None:
            raise bridge.error  # the CLI's last-resort handler keeps the traceback
        raise coded  # the CLI prints a coded error and exits with its code
    return 0 if stopped else 1


def delete_windows(app: QApplication) -> None:
    """Close and free every window while the application exists: left to Python's exit,
    a dialog's C++ side is freed after the QApplication and the process segfaults."""
    for widget in app.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def _coded_error(err: BaseException) -> CodedError | None:
    """The CodedError behind `err`, also when a TaskGroup wrapped it in a group."""
    if isinstance(err, CodedError):
        return err
    if isinstance(err, BaseExceptionGroup):
        for sub in err.exceptions:
            found = _coded_error(sub)
            if found is not None:
                return found
    return None


def _application() -> QApplication:
    if sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ:
        # Without a usable display Qt aborts the process; fall back to offscreen
        # (which has no tray) so we can still run headless.
        native = "wayland;xcb" if os.environ.get("WAYLAND_DISPLAY") else "xcb"
        os.environ["QT_QPA_PLATFORM"] = f"{native};offscreen"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Heron")
    app.setQuitOnLastWindowClosed(False)  # the tray has no windows; only Quit ends it
    return app


@contextlib.contextmanager
def _quit_on_signals(app: QApplication) -> Iterator[None]:
    """Ctrl+C / SIGTERM quit cleanly. Python runs signal handlers only between
    bytecodes, so a timer wakes the interpreter while Qt's loop is in C++."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: app.quit())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    try:
        yield
    finally:
        ticker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
