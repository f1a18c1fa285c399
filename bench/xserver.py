"""A private X server (Xvfb) for benchmarks and tests: on a display number it picks
itself (-displayfd), so parallel runs never race for one; and a tray host (trayer)
on it, for the tray app."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from models.errors import CodedError


class XServerError(CodedError, RuntimeError):
    """Xvfb is missing or would not start."""

    exit_code = 7


def stop_process(proc: subprocess.Popen, timeout_s: float = 5) -> None:
    """Terminate, then kill if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def session_display(display: str) -> Iterator[None]:
    """This process's DISPLAY is `display` meanwhile (for code that reads the session's,
    like the clipboard backend), then what it was."""
    before = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = before


@dataclass
class XServer:
    proc: subprocess.Popen
    display: str  # ":N"
    pipe_fd: int  # kept open while it runs: Xvfb writes to it again on a reset

    @classmethod
    def start(cls, size: str = "1920x1080x24", timeout_s: float = 15) -> XServer:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XServerError("bench.xvfb_missing", "Xvfb is missing",
                               "install it: sudo apt-get install xvfb "
                               "(or `scripts/system-deps.sh test`)")
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen([exe, "-displayfd", str(write_fd), "-screen", "0", size,
                                 "-nolisten", "tcp", "-noreset"], pass_fds=(write_fd,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        ready, _, _ = select.select([read_fd], [], [], timeout_s)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number:  # it writes the number once it accepts clients
            stop_process(proc)
            os.close(read_fd)
            raise XServerError("bench.xvfb_failed", f"Xvfb did not start (exit {proc.poll()})",
                               "run `Xvfb -displayfd 1` by hand to see why")
        return cls(proc, f":{number}", read_fd)

    def stop(self) -> None:
        stop_process(self.proc)
        if self.pipe_fd >= 0:
            os.close(self.pipe_fd)
            self.pipe_fd = -1

    def __enter__(self) -> XServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


TRAY_CHECK = ("from PySide6.QtWidgets import QApplication, QSystemTrayIcon\n"
              "app = QApplication([])\n"
              "raise SystemExit(0 if QSystemTrayIcon.isSystemTrayAvailable() else 1)\n")


def start_tray_host(env: dict[str, str], timeout_s: float = 30) -> subprocess.Popen:
    """trayer on the display in `env`, once Qt sees a system tray there."""
    exe = shutil.which("trayer")
    if exe is None:
        raise XServerError("bench.trayer_missing", "trayer (a tray host) is missing",
                           "install it: sudo apt-get install trayer "
                           "(or `scripts/system-deps.sh test`)")
    proc = subprocess.Popen([exe, "--edge", "top", "--align", "right", "--widthtype",
                             "request", "--height", "32", "--SetDockType", "true",
                             "--transparent", "false", "--tint", "0x303030"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while True:  # the check needs its own QApplication, hence a subprocess
        check = subprocess.run([sys.executable, "-c", TRAY_CHECK], env=env,
                               capture_output=True, timeout=30, check=False)
        if check.returncode == 0:
            return proc
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            raise XServerError("bench.no_tray", f"no system tray appeared (trayer exit "
                               f"{proc.poll()}): {check.stderr.decode()[-300:]}",
                               "run `scripts/system-deps.sh test`")
        time.sleep(0.3)
