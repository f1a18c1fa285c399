"""Cameras through OpenCV (headless build): listing /dev/video*, opening one by index,
name or path, and a video file behind the same interface (what the tests and a
machine without a camera use). Frames are RGB like screen frames."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from vision.errors import VisionError
from vision.image import save_image
from vision.pixels import swap_red_blue
from vision.types import Frame

log = logging.getLogger(__name__)

NO_CAMERA_HINT = "plug in a camera (and check `ls /dev/video*`), or analyse a photo with " \
                 "`heron look IMAGE`"
_VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg", ".m4v"}


@dataclass(frozen=True)
class CameraOptions:
    """device: "" = the first camera; an index ("0"), a name substring ("C920"), a
    /dev/videoN path, or a video file. width/height/fps: asked of the camera (0 = its
    default; a camera may pick the nearest mode it has). loop: a video file starts
    again at its end instead of ending."""

    device: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    loop: bool = False


@dataclass(frozen=True)
class CameraInfo:
    index: int  # N of /dev/videoN
    path: str
    name: str  # what the driver calls it ("Integrated Camera: Integrated C")


class FrameSource(Protocol):
    """A camera or a video file: frames until closed (or the file ends)."""

    name: str

    def read(self) -> Frame: ...

    def close(self) -> None: ...


def _sys_name(index: int) -> str:
    path = Path(f"/sys/class/video4linux/video{index}/name")
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return f"video{index}"


def list_cameras(probe: bool = True, dev_dir: Path = Path("/dev")) -> list[CameraInfo]:
    """Cameras that deliver frames. A USB camera makes two nodes (video and metadata);
    `probe` opens each with OpenCV to keep only those that capture."""
    nodes = []
    for path in sorted(dev_dir.glob("video*")):
        m = re.fullmatch(r"video(\d+)", path.name)
        if m:
            nodes.append((int(m.group(1)), path))
    out = []
    for index, path in sorted(nodes):
        if probe and not _probe(str(path)):
            continue
        out.append(CameraInfo(index, str(path), _sys_name(index)))
    return out


def _probe(path: str) -> bool:
    import cv2

    cap = cv2.VideoCapture(path, cv2.CAP_V4L2)
    try:
        return bool(cap.isOpened())
    finally:
        cap.release()


def _is_video_file(device: str) -> bool:
    p = Path(device)
    return p.suffix.lower() in _VIDEO_SUFFIXES or (p.is_file() and not device.startswith("/dev/"))


def open_camera(options: CameraOptions = CameraOptions()) -> FrameSource:
    """Open what `options.device` names: a video file, or a camera (VisionError
    vision.no_camera when there is none or the name matches none)."""
    device = options.device.strip()
    if device and _is_video_file(device):
        return VideoFileSource(Path(device), loop=options.loop)
    cams = list_cameras()
    if not cams:
        raise VisionError("vision.no_camera", "no camera found", NO_CAMERA_HINT)
    if not device:
        chosen = cams[0]
    elif device.isdigit():
        chosen = next((c for c in cams if c.index == int(device)), None)
    elif device.startswith("/dev/"):
        chosen = next((c for c in cams if c.path == device), None)
    else:
        chosen = next((c for c in cams if device.casefold() in c.name.casefold()), None)
    if chosen is None:
        names = ", ".join(f"{c.index}: {c.name}" for c in cams)
        raise VisionError("vision.no_camera", f"no camera matches {device!r}",
                          f"choose one of: {names}")
    return OpenCvCamera(chosen, options)


class _CvSource:
    """What a camera and a video file share: an OpenCV capture read under a lock."""

    name = ""

    def __init__(self) -> None:
        self._cap = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def __enter__(self):
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _grab(self) -> np.ndarray | None:
        if self._cap is None:
            raise VisionError("vision.camera_failed", f"{self.name} is closed",
                              "open the camera again")
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            return None
        return swap_red_blue(bgr)

    def snapshot(self, path: Path | str) -> Path:
        """Save the next frame as PNG/JPEG (by suffix); no partial file on failure."""
        return save_image(path, self.read().image)

    def read(self) -> Frame:  # pragma: no cover - overridden
        raise NotImplementedError


class OpenCvCamera(_CvSource):
    def __init__(self, info: CameraInfo, options: CameraOptions = CameraOptions()) -> None:
        import cv2

        super().__init__()
        self.info = info
        self.name = f"camera {info.index} ({info.name})"
        cap = cv2.VideoCapture(info.path, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise VisionError("vision.camera_failed", f"cannot open {self.name}",
                              "close other programs using the camera, or check its permissions "
                              "(your user must be in the `video` group)")
        if options.width and options.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, options.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, options.height)
        if options.fps:
            cap.set(cv2.CAP_PROP_FPS, options.fps)
        self._cap = cap

    def read(self) -> Frame:
        with self._lock:
            image = self._grab()
        if image is None:
            raise VisionError("vision.camera_failed", f"{self.name} delivered no frame",
                              "check that it is still plugged in")
        return Frame(image, (0, 0), self.name, time.time() * 1000)


class VideoFileSource(_CvSource):
    """A video file read like a camera; `read()` raises vision.camera_failed at its end
    unless `loop`. `timestamp_ms` is the position in the file."""

    def __init__(self, path: Path, loop: bool = False) -> None:
        import cv2

        super().__init__()
        self.path, self.loop, self.name = path, loop, f"video {path}"
        if not path.is_file():
            raise VisionError("vision.bad_image", f"cannot read video {path}: no such file",
                              "give an existing video file")
        cap = cv2.VideoCapture(str(path))
        ok, first = cap.read() if cap.isOpened() else (False, None)
        if not ok or first is None:
            cap.release()
            raise VisionError("vision.bad_image",
                              f"cannot read video {path}: not a video OpenCV can decode",
                              "give an MP4, AVI or MJPEG file that plays in a video player")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._cap = cap
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def read(self) -> Frame:
        import cv2

        with self._lock:
            image = self._grab()
            if image is None and self.loop:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                image = self._grab()
            # After a read, the position is that frame's own time in the file.
            pos_ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC)) if image is not None else 0.0
        if image is None:
            raise VisionError("vision.camera_failed", f"{self.name} has no more frames",
                              "open it again, or use loop = true")
        return Frame(image, (0, 0), self.name, pos_ms)
