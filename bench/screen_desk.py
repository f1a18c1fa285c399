"""The desktop `heron bench screen` draws on: a private Xvfb (full HD) with openbox, and
one screen at a time from bench/screen_forms.py drawn by its toolkit in its own process
(Qt, Tk, or a page in chromium), which reports its elements' rectangles. Every process
started here is stopped here (`Desk.close`, `Shown.close`)."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.screen_forms import ScreenSpec, documents_folder
from bench.screen_html import PageServer, launch_chromium
from bench.xserver import XServer, stop_process

REPO = Path(__file__).resolve().parents[1]
ORIGIN = (200, 120)  # where a toolkit's window is asked to go (logical pixels)
SETTLE_S = 0.4  # after the renderer reported: the last paint and the caret's blink


def toolkits_here() -> dict[str, str]:
    """Which toolkits this machine can draw with, and why not for the others."""
    found: dict[str, str] = {}
    for name, probe in (("qt", "import PySide6.QtWidgets"), ("tk", "import tkinter")):
        ok = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                            timeout=60, check=False).returncode == 0
        found[name] = "ok" if ok else f"python cannot `{probe}`"
    found["html"] = "ok" if shutil.which("chromium") else "Debian chromium is not installed"
    gtk = subprocess.run(["python3", "-c", "import gi; gi.require_version('Gtk', '3.0')"],
                         capture_output=True, timeout=60, check=False) \
        if shutil.which("python3") else None
    found["gtk"] = ("no python3 with PyGObject and the Gtk 3 typelib (gir1.2-gtk-3.0)"
                    if gtk is None or gtk.returncode else "ok (not drawn yet)")
    return found


Poll = Callable[[float], "dict[str, Any] | None"]  # wait up to t s; the newest report


@dataclass
class Shown:
    """One screen on the display: its process and what it reported last. The renderer
    reports every second; `refresh` takes the newest report (a window that moved after
    it was first shown is judged where it is)."""

    spec: ScreenSpec
    proc: subprocess.Popen
    poll: Poll
    window: list[int] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    moves: int = 0  # reports that differed from the one before

    def take(self, data: dict[str, Any]) -> None:
        if self.targets and (data["targets"] != self.targets or data["window"] != self.window):
            self.moves += 1
        self.window, self.targets = data["window"], data["targets"]

    def refresh(self) -> None:
        data = self.poll(0)
        if data is not None:
            self.take(data)

    def settle(self, timeout_s: float, tries: int = 6) -> None:
        """Wait for the first report, then for one that repeats it (nothing moving)."""
        data = self.poll(timeout_s)
        if data is None:
            raise RuntimeError(f"{self.spec.name} never reported where its elements are")
        self.take(data)
        for _ in range(tries):
            data = self.poll(3.0)
            if data is None:
                raise RuntimeError(f"{self.spec.name} stopped reporting")
            same = data["targets"] == self.targets and data["window"] == self.window
            self.take(data)
            if same:
                break
        self.moves = 0  # from here on, a move is one while it is measured

    def close(self) -> None:
        if self.proc.poll() is None:
            try:  # chromium's helpers are in its process group
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()


def _line_poll(proc: subprocess.Popen) -> Poll:
    """The newest JSON line a renderer printed, waiting up to t s for one."""

    def poll(timeout_s: float) -> dict[str, Any] | None:
        newest, wait = None, timeout_s
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready:
                return newest
            line = proc.stdout.readline()
            if not line.startswith("{"):
                return newest
            newest, wait = json.loads(line), 0

    return poll


class Desk:
    def __init__(self, work: Path) -> None:
        self.work = work
        documents_folder(work)
        self.procs: list[subprocess.Popen] = []
        self.pages: PageServer | None = None
        self.xserver = XServer.start("1920x1080x24")  # XServerError names the fix
        self.display = self.xserver.display
        wm = subprocess.Popen([shutil.which("openbox") or "openbox", "--sm-disable"],
                              env=self.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        self.procs.append(wm)
        time.sleep(1.0)  # openbox takes the root window before the first client maps

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM",
                            "QT_SCALE_FACTOR")}
        return {**env, "DISPLAY": self.display, "HERON_BENCH_DIR": str(self.work)}

    def show(self, spec: ScreenSpec, timeout_s: float = 60) -> Shown:
        """Draw `spec` and wait for its report."""
        if spec.toolkit == "html":
            return self._show_html(spec, timeout_s)
        x, y = ORIGIN
        env = self.env()
        if spec.toolkit == "qt":
            env.update(QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=f"{spec.scale:g}")
            cmd = ["bench.screen_apps.qt_app", spec.form, spec.theme, str(x), str(y)]
        else:
            cmd = ["bench.screen_apps.tk_app", spec.form, spec.theme, f"{spec.scale:g}",
                   str(round(x * spec.scale)), str(round(y * spec.scale))]
        proc = subprocess.Popen([sys.executable, "-m", *cmd], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        shown = Shown(spec, proc, _line_poll(proc))
        try:
            shown.settle(timeout_s)
        except RuntimeError as err:
            shown.close()
            raise RuntimeError(f"{err}: {proc.stderr.read()[-800:]}") from err
        time.sleep(SETTLE_S)
        return shown

    def _show_html(self, spec: ScreenSpec, timeout_s: float) -> Shown:
        if self.pages is None:
            self.pages = PageServer()
        token = uuid.uuid4().hex[:12]
        profile = self.work / f"chromium-{token}"
        proc = launch_chromium(self.pages.url(spec.form, spec.theme, token), spec.scale,
                               profile, self.env())
        pages = self.pages
        shown = Shown(spec, proc, lambda t: pages.newest_report(token, t))
        try:
            shown.settle(timeout_s)
        except RuntimeError:
            shown.close()
            raise
        time.sleep(SETTLE_S + 0.6)  # chromium paints the modal dialog's backdrop late
        shown.extra = {"page_offset_css": pages.last[token].get("offset_css"),
                       "device_pixel_ratio": pages.last[token].get("dpr")}
        return shown

    def close(self) -> None:
        if self.pages is not None:
            self.pages.close()
        for proc in reversed(self.procs):
            stop_process(proc)
        self.xserver.stop()
        for profile in self.work.glob("chromium-*"):
            shutil.rmtree(profile, ignore_errors=True)
