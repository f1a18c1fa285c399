"""What is in a camera frame or an image: faces (is anyone there?) with OpenCV's Haar
cascades, QR codes and barcodes with OpenCV's detectors. All come inside
opencv-python-headless 4.x (5.x ships no cascades); decoded text is untrusted input."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from vision.errors import VisionError
from vision.pixels import swap_red_blue
from vision.types import Box

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceOptions:
    """cascade: a file in cv2.data.haarcascades. detect_width_px: frames are scaled down
    to this width first (a face at webcam distance stays > 40 px; the time falls with
    the square). min_face_px: smallest face, in the original frame's pixels.
    min_neighbors: higher finds fewer faces and fewer false ones."""

    cascade: str = "haarcascade_frontalface_default.xml"
    detect_width_px: int = 640
    min_face_px: int = 48
    scale_factor: float = 1.1
    min_neighbors: int = 5


@dataclass(frozen=True)
class Face:
    box: Box  # in the image's pixels


@dataclass(frozen=True)
class Presence:
    faces: tuple[Face, ...]

    @property
    def someone_there(self) -> bool:
        return bool(self.faces)

    def to_dict(self) -> dict:
        return {"someone_there": self.someone_there, "faces": len(self.faces),
                "boxes": [f.box.to_dict() for f in self.faces]}


@dataclass(frozen=True)
class Code:
    """A decoded QR code or barcode: kind ("qr", "EAN_13", "CODE_128", …), its text
    (untrusted: it may be a link or a command someone printed), and where it is."""

    kind: str
    text: str
    box: Box

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "box": self.box.to_dict()}


def _cv2():
    import cv2

    return cv2


def _check_rgb(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 \
            or image.dtype != np.uint8 or image.shape[0] == 0 or image.shape[1] == 0:
        raise VisionError("vision.bad_image",
                          f"need an RGB image, got shape {getattr(image, 'shape', '?')}",
                          "pass a (height, width, 3) uint8 array")


class HaarFaceDetector:
    """Frontal faces. The cascade loads once; calls are serialised (one detection at a
    time keeps CPU use predictable on a small machine that also runs speech)."""

    def __init__(self, options: FaceOptions = FaceOptions()) -> None:
        cv2 = _cv2()
        self.options = options
        path = cv2.data.haarcascades + options.cascade
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise VisionError("vision.camera_failed", f"face model {path} could not be loaded",
                              "reinstall OpenCV: .venv/bin/pip install --force-reinstall "
                              "'opencv-python-headless<5'")
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> Presence:
        _check_rgb(image)
        cv2 = _cv2()
        opts = self.options
        h, w = image.shape[:2]
        scale = min(1.0, opts.detect_width_px / w) if opts.detect_width_px else 1.0
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                              interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(grey)  # webcams under poor light: stretch the contrast
        min_px = max(20, round(opts.min_face_px * scale))
        with self._lock:
            found = self._cascade.detectMultiScale(grey, opts.scale_factor, opts.min_neighbors,
                                                   minSize=(min_px, min_px))
        faces = tuple(Face(Box(round(x / scale), round(y / scale), round(fw / scale),
                               round(fh / scale))) for x, y, fw, fh in
                      (found if len(found) else []))
        return Presence(tuple(sorted(faces, key=lambda f: (f.box.x, f.box.y))))


class CodeReader:
    """QR codes (several per image) and, where this OpenCV has it, 1-D barcodes."""

    def __init__(self) -> None:
        cv2 = _cv2()
        self._qr = cv2.QRCodeDetector()
        self._barcode = cv2.barcode.BarcodeDetector() if hasattr(cv2, "barcode") else None
        self._lock = threading.Lock()

    @property
    def has_barcodes(self) -> bool:
        return self._barcode is not None

    def read(self, image: np.ndarray) -> list[Code]:
        _check_rgb(image)
        bgr = swap_red_blue(image)
        codes: list[Code] = []
        with self._lock:
            ok, texts, points, _ = self._qr.detectAndDecodeMulti(bgr)
            if ok and points is not None:
                codes += [Code("qr", t, Box.around(p)) for t, p in zip(texts, points, strict=True)
                          if t]
            if self._barcode is not None:
                codes += self._barcodes(bgr)
        return sorted(codes, key=lambda c: (c.box.y, c.box.x))


    # OpenCV's 1-D decoder misses bars that are too wide (a barcode close to the camera:
    # 3+ pixels per module); smaller copies of the image bring them into its range.
    _BARCODE_SCALES = (1.0, 0.5, 0.33)

    def _barcodes(self, bgr: np.ndarray) -> list[Code]:
        cv2 = _cv2()
        for scale in self._BARCODE_SCALES:
            img = bgr if scale == 1.0 else cv2.resize(bgr, None, fx=scale, fy=scale,
                                                      interpolation=cv2.INTER_AREA)
            if min(img.shape[:2]) < 32:
                break
            ok, infos, kinds, pts = _unpack_barcode(self._barcode.detectAndDecodeWithType(img))
            found = [Code(str(kind), text, Box.around(np.asarray(quad) / scale))
                     for text, kind, quad in zip(infos, kinds, pts if pts is not None else [],
                                                 strict=False) if text]
            if ok and found:
                return found
        return []


def _unpack_barcode(result: tuple) -> tuple[bool, list[str], list[str], np.ndarray | None]:
    # OpenCV 4.8+ returns (ok, infos, types, points); earlier 4.x (infos, types, points).
    if len(result) == 4:
        ok, infos, kinds, pts = result
    else:
        infos, kinds, pts = result
        ok = bool(infos)
    return bool(ok), list(infos or ()), list(kinds or ()), pts
