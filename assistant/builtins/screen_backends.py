"""The desktop backends the core plugs into Capabilities for the screen.read and
input.control scopes: screen captures through vision/ (excluded windows blacked out and
left out of window lists) and pointer clicks with xdotool."""

from __future__ import annotations

import shutil
import subprocess
import threading
from typing import TYPE_CHECKING, Any

from assistant.tools.registry import ToolError
from vision.options import VisionOptions

if TYPE_CHECKING:
    from vision.capture import ScreenCapture
    from vision.types import Frame


class X11Screen:
    """screen.read: captures through vision.capture (exclusions applied), window lists
    without the excluded windows."""

    def __init__(self, options: VisionOptions | None = None) -> None:
        self.options = options or VisionOptions()
        self._capture: ScreenCapture | None = None
        self._retired: list[ScreenCapture] = []  # made with settings since changed
        self._lock = threading.Lock()

    def reconfigure(self, options: VisionOptions) -> None:
        """New [vision] settings: a capture made with another display or other
        excluded windows is retired, so the next grab leaves out the new ones. It is
        closed with this backend, not now: a grab on a worker thread may still use it."""
        with self._lock:
            old, self.options = self.options, options
            stale = (old.display, old.exclude_titles, old.exclude_classes) != (
                options.display, options.exclude_titles, options.exclude_classes)
            if stale and self._capture is not None:
                self._retired.append(self._capture)
                self._capture = None

    def _cap(self) -> ScreenCapture:
        from vision.capture import CaptureOptions, ScreenCapture

        with self._lock:
            if self._capture is None:
                self._capture = ScreenCapture(CaptureOptions(
                    display=self.options.display, exclude_titles=self.options.exclude_titles,
                    exclude_classes=self.options.exclude_classes))
            return self._capture

    def grab(self, target: str) -> Frame:
        from vision.capture import CaptureTarget

        return self._cap().grab(CaptureTarget.parse(target))

    def windows(self) -> tuple[list[Any], Any | None]:
        from vision.errors import VisionError

        cap = self._cap()
        try:
            listed = cap.windows()
        except VisionError:
            if cap.backend == "portal":  # Wayland: pixels through the portal, no window list
                return [], None
            raise
        shown = [w for w in listed
                 if not w.matches(self.options.exclude_titles, self.options.exclude_classes)]
        try:
            active = cap.active_window()
        except VisionError:  # no window manager, or nothing focused
            active = None
        if active is not None and active.id not in {w.id for w in shown}:
            active = None
        return shown, active

    def close(self) -> None:
        with self._lock:
            captures = [*self._retired, *([self._capture] if self._capture else [])]
            self._retired, self._capture = [], None
        for capture in captures:
            capture.close()


class XdotoolInput:
    """input.control: pointer moves and clicks with xdotool (X11)."""

    def __init__(self, options: VisionOptions | None = None) -> None:
        self.options = options or VisionOptions()

    def reconfigure(self, options: VisionOptions) -> None:
        self.options = options

    def click(self, x: int, y: int, button: int = 1) -> None:
        import os

        from vision.windows import display_name

        exe = shutil.which("xdotool")
        if exe is None:
            raise ToolError("input.no_xdotool", "clicking needs xdotool, which is not "
                            "installed", "install it: sudo apt-get install xdotool")
        env = {**os.environ, "DISPLAY": display_name(self.options.display)}
        try:
            subprocess.run([exe, "mousemove", "--sync", str(x), str(y), "click", str(button)],
                           env=env, check=True, capture_output=True, timeout=10)
        except subprocess.CalledProcessError as err:
            raise ToolError("input.click_failed", f"xdotool could not click: "
                            f"{err.stderr.decode(errors='replace').strip()[:200]}",
                            "check that the display is running") from err
        except subprocess.TimeoutExpired as err:
            raise ToolError("input.click_failed", "xdotool did not answer in 10 s",
                            "check that the display is running") from err
