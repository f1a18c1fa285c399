"""Screen capture: all monitors, one monitor, a region, a window or the active window,
with excluded windows blacked out before anyone sees the pixels. X11 through mss (a
full-HD grab takes ~8 ms); Wayland through the xdg-desktop-portal Screenshot interface."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from vision.errors import VisionError
from vision.pixels import bgra_to_rgb
from vision.portal import is_wayland, portal_screenshot
from vision.types import Box, Frame
from vision.windows import NO_DISPLAY_HINT, WindowInfo, X11Windows, display_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureOptions:
    """display: X display ("" = $DISPLAY). exclude_titles / exclude_classes: windows
    whose title or WM_CLASS contains one of these (case-insensitive) are painted black
    in every capture (password managers, banking, private chats). backend: "auto"
    (portal on Wayland, else X11), "x11" or "portal". portal_timeout_s: how long the
    user has to answer the desktop's screenshot question."""

    display: str = ""
    exclude_titles: tuple[str, ...] = ()
    exclude_classes: tuple[str, ...] = ()
    backend: str = "auto"
    portal_timeout_s: float = 30.0

    @property
    def has_exclusions(self) -> bool:
        return any(self.exclude_titles) or any(self.exclude_classes)


@dataclass(frozen=True)
class Monitor:
    index: int  # 1-based, as people count them ("monitor 2")
    box: Box


class CaptureKind(StrEnum):
    ALL = "all"  # every monitor
    MONITOR = "monitor"
    REGION = "region"
    WINDOW = "window"
    ACTIVE = "active"  # the active window


@dataclass(frozen=True)
class CaptureTarget:
    """What to capture."""

    kind: CaptureKind = CaptureKind.ALL
    monitor: int = 0
    region: Box | None = None
    window_id: int = 0

    @classmethod
    def parse(cls, text: str) -> CaptureTarget:
        """"all", "active", "monitor:2", "region:X,Y,W,H", "window:0x3a00007"."""
        kind, _, arg = text.strip().lower().partition(":")
        try:
            if kind in (CaptureKind.ALL, CaptureKind.ACTIVE) and not arg:
                return cls(CaptureKind(kind))
            if kind == CaptureKind.MONITOR:
                return cls(CaptureKind.MONITOR, monitor=int(arg))
            if kind == CaptureKind.WINDOW:
                return cls(CaptureKind.WINDOW, window_id=int(arg, 0))
            if kind == CaptureKind.REGION:
                x, y, w, h = (int(v) for v in re.split(r"[,\s]+", arg.strip()))
                return cls(CaptureKind.REGION, region=Box(x, y, w, h))
        except ValueError:
            pass
        raise VisionError("vision.bad_region", f"cannot read the capture target {text!r}",
                          "use all, active, monitor:N, region:X,Y,W,H or window:ID")


def blackout(image: np.ndarray, origin: tuple[int, int], windows: list[WindowInfo],
             excluded: list[bool]) -> int:
    """Paint the visible parts of excluded windows black, in place; returns how many
    windows were hidden. Windows are bottom-first: a window stacked above an excluded
    one keeps its pixels, since those pixels are its own."""
    h, w = image.shape[:2]
    frame = Box(origin[0], origin[1], w, h)
    parts = [(info.box.intersection(frame), flag) for info, flag in zip(windows, excluded,
                                                                         strict=True)]
    parts = [(p, flag) for p, flag in parts if p is not None]
    hidden = [p for p, flag in parts if flag]
    if not hidden:
        return 0
    # Work only inside the box around the excluded windows (a whole-frame mask costs
    # ~9 ms on full HD, and this runs on every captured frame).
    area = hidden[0]
    for p in hidden[1:]:
        area = area.union(p)
    mask = np.zeros((area.h, area.w), dtype=bool)
    for part, flag in parts:
        inside = part.intersection(area)
        if inside is not None:
            mask[inside.y - area.y:inside.bottom - area.y,
                 inside.x - area.x:inside.right - area.x] = flag
    view = image[area.y - origin[1]:area.bottom - origin[1],
                 area.x - origin[0]:area.right - origin[0]]
    view[mask] = 0
    return len(hidden)


class ScreenCapture:
    """Grabs frames. Safe to share between threads (calls are serialised); close() or
    use as a context manager to release the X connections."""

    def __init__(self, options: CaptureOptions = CaptureOptions()) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._mss: Any = None
        self._x11: X11Windows | None = None

    def __enter__(self) -> ScreenCapture:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._mss is not None:
                self._mss.close()
                self._mss = None
            if self._x11 is not None:
                self._x11.close()
                self._x11 = None

    # -- backends ----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """"x11" or "portal": what `auto` resolves to in this session."""
        if self.options.backend != "auto":
            return self.options.backend
        return "portal" if is_wayland() else "x11"

    def _grabber(self) -> Any:
        if self._mss is None:
            import mss

            name = display_name(self.options.display)
            try:
                self._mss = mss.MSS(display=name)
                self._mss.monitors  # noqa: B018 - connects now, so errors surface here
            except mss.ScreenShotError as err:
                self._mss = None
                raise VisionError("vision.no_display", f"cannot open display {name}: {err}",
                                  NO_DISPLAY_HINT) from err
        return self._mss

    def _windows_x11(self) -> X11Windows:
        if self._x11 is None:
            self._x11 = X11Windows(self.options.display)
        return self._x11

    # -- queries -----------------------------------------------------------------------
    def monitors(self) -> list[Monitor]:
        """The monitors, numbered from 1 (X11; the portal does not tell)."""
        with self._lock:
            return self._monitors()

    def _monitors(self) -> list[Monitor]:
        mons = self._grabber().monitors
        return [Monitor(i, Box(m["left"], m["top"], m["width"], m["height"]))
                for i, m in enumerate(mons) if i > 0]

    def screen_box(self) -> Box:
        """The box around all monitors (the virtual screen)."""
        with self._lock:
            m = self._grabber().monitors[0]
            return Box(m["left"], m["top"], m["width"], m["height"])

    def windows(self) -> list[WindowInfo]:
        """Visible top-level windows, bottom of the stack first (X11 only)."""
        with self._lock:
            return self._windows_x11().windows()

    def active_window(self) -> WindowInfo:
        with self._lock:
            return self._windows_x11().active_window()

    # -- grabbing ----------------------------------------------------------------------
    def grab(self, target: CaptureTarget = CaptureTarget()) -> Frame:
        """One frame of `target`, excluded windows already black."""
        if target.kind == CaptureKind.REGION and target.region is not None:
            _check_size(target.region)
        with self._lock:
            if self.backend == "portal":
                return self._grab_portal(target)
            return self._grab_x11(target)

    def grab_all(self) -> Frame:
        return self.grab(CaptureTarget(CaptureKind.ALL))

    def grab_monitor(self, index: int) -> Frame:
        return self.grab(CaptureTarget(CaptureKind.MONITOR, monitor=index))

    def grab_region(self, box: Box) -> Frame:
        return self.grab(CaptureTarget(CaptureKind.REGION, region=box))

    def grab_window(self, window_id: int) -> Frame:
        return self.grab(CaptureTarget(CaptureKind.WINDOW, window_id=window_id))

    def grab_active_window(self) -> Frame:
        return self.grab(CaptureTarget(CaptureKind.ACTIVE))

    def _grab_x11(self, target: CaptureTarget) -> Frame:
        import mss

        grabber = self._grabber()
        screen = grabber.monitors[0]
        screen_box = Box(screen["left"], screen["top"], screen["width"], screen["height"])
        box, source = self._resolve(target, screen_box)
        before = self._exclusion_stack()
        try:
            shot = grabber.grab({"left": box.x, "top": box.y, "width": box.w, "height": box.h})
        except mss.ScreenShotError as err:
            raise VisionError("vision.capture_failed", f"could not capture {source}: {err}",
                              "check that the display is still running") from err
        image = bgra_to_rgb(np.asarray(shot, dtype=np.uint8))
        frame = Frame(image, (box.x, box.y), source, time.time() * 1000)
        # Windows are listed before and after the grab and both are blacked out: a
        # window that opened or moved while the pixels were read is still hidden.
        for stack in (before, self._exclusion_stack()):
            if stack:
                hidden = blackout(frame.image, frame.origin, [w for w, _ in stack],
                                  [flag for _, flag in stack])
                log.debug("blacked out %d excluded window(s) in %s", hidden, source)
        return frame

    def _resolve(self, target: CaptureTarget, screen: Box) -> tuple[Box, str]:
        if target.kind == CaptureKind.ALL:
            return screen, "screen"
        if target.kind == CaptureKind.MONITOR:
            mons = self._monitors()
            if not 1 <= target.monitor <= len(mons):
                raise VisionError("vision.no_monitor",
                                  f"there is no monitor {target.monitor} "
                                  f"({len(mons)} connected)",
                                  f"choose a monitor from 1 to {len(mons)}")
            return mons[target.monitor - 1].box, f"monitor {target.monitor}"
        if target.kind == CaptureKind.REGION and target.region is not None:
            part = target.region.intersection(screen)
            if part is None:
                raise VisionError("vision.bad_region",
                                  f"region {_fmt(target.region)} is outside the screen "
                                  f"({_fmt(screen)})", "give a region on the screen")
            return part, f"region {_fmt(part)}"
        if target.kind in (CaptureKind.WINDOW, CaptureKind.ACTIVE):
            x11 = self._windows_x11()
            if target.kind == CaptureKind.ACTIVE:
                info = x11.active_window()
            else:
                info = next((w for w in x11.windows() if w.id == target.window_id), None)
                if info is None:
                    raise VisionError("vision.no_window",
                                      f"no visible window {hex(target.window_id)}",
                                      "list the windows again; it may have closed")
            part = info.box.intersection(screen)
            if part is None:
                raise VisionError("vision.no_window", f"window {info.title!r} is off screen",
                                  "move it onto the screen")
            return part, f"window {hex(info.id)}"
        raise VisionError("vision.bad_region", f"unknown capture target '{target.kind}'",
                          "use all, active, monitor:N, region:X,Y,W,H or window:ID")

    def _exclusion_stack(self) -> list[tuple[WindowInfo, bool]]:
        opts = self.options
        if not opts.has_exclusions:
            return []
        return self._windows_x11().exclusion_stack(opts.exclude_titles, opts.exclude_classes)

    def _grab_portal(self, target: CaptureTarget) -> Frame:
        from vision.image import load_image

        if self.options.has_exclusions:
            # The portal gives pixels but no window positions, so an excluded window
            # cannot be hidden: refuse rather than show it.
            raise VisionError("vision.cannot_exclude",
                              "excluded windows cannot be hidden on Wayland (the portal does "
                              "not say where windows are), so the screen was not captured",
                              "remove the window exclusions from config.toml or log in to an "
                              "X11 session")
        if target.kind in (CaptureKind.WINDOW, CaptureKind.ACTIVE, CaptureKind.MONITOR):
            raise VisionError("vision.wayland_no_portal",
                              f"capturing a {target.kind} is not possible on Wayland",
                              "capture the whole screen or a region instead")
        shot = portal_screenshot(self.options.portal_timeout_s)
        try:
            image = load_image(shot.path)
        finally:
            # The portal saved a private screenshot to disk for us: do not leave it.
            shot.path.unlink(missing_ok=True)
        frame = Frame(image, (0, 0), "screen (portal)", time.time() * 1000)
        if target.kind == CaptureKind.REGION and target.region is not None:
            part = target.region.intersection(frame.box)
            if part is None:
                raise VisionError("vision.bad_region",
                                  f"region {_fmt(target.region)} is outside the screen "
                                  f"({_fmt(frame.box)})", "give a region on the screen")
            crop = image[part.y:part.bottom, part.x:part.right].copy()
            frame = Frame(crop, (part.x, part.y), f"region {_fmt(part)} (portal)",
                          frame.timestamp_ms)
        return frame


def _check_size(box: Box) -> None:
    if box.w <= 0 or box.h <= 0:
        raise VisionError("vision.bad_region",
                          f"region {_fmt(box)} has no area (width and height must be > 0)",
                          "give a region like region:100,100,640,480")


def _fmt(box: Box) -> str:
    return f"{box.x},{box.y} {box.w}x{box.h}"

