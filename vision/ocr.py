"""OCR with RapidOCR 3.x (PP-OCRv6 small detection + recognition), every ONNX session
made by models.onnx.create_session and handed to RapidOCR, so provider choice, threads
and errors are Heron's. Lines come back with screen boxes, confidence, reading order.

Why these settings (numbers in docs/models.md): the angle classifier is off (screen text
is upright, and it turned red-on-dark lines upside down into garbage); the detector sees
the image with its long side at most `det_max_side_px` (1280: as accurate as full size on
our test screens, 12-13 px text included, with 2.25x fewer pixels; 960 missed small
lines); recognition always reads the full-resolution crop.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.catalog import get_spec
from models.errors import ModelError
from models.onnx import SessionOptions, create_session
from models.store import ModelStore
from vision.errors import VisionError
from vision.lines import merge_lines
from vision.pixels import swap_red_blue
from vision.types import Box, Frame, OcrLine, OcrResult, OcrStats

log = logging.getLogger(__name__)

OCR_MODEL_ID = "ppocr-v6-small"
DET_FILE = "PP-OCRv6_det_small.onnx"
REC_FILE = "PP-OCRv6_rec_small.onnx"


@dataclass(frozen=True)
class OcrOptions:
    """threads: ONNX intra-op threads for detection and recognition (both cores of a
    small machine; OCR runs in the work executor, one read at a time).
    det_max_side_px: the detector's input is scaled down to this long side.
    min_confidence: lines the recogniser is less sure of are dropped.
    max_read_pixels: a bigger image is scaled down to this many pixels before it is
    read (boxes are scaled back), so one read's memory has a ceiling; two 4K screens
    (16.6 MP) are read at full size, an 8K one at 85 %."""

    threads: int = 2
    det_max_side_px: int = 1280
    min_confidence: float = 0.5
    prefer_gpu: bool = True
    max_read_pixels: int = 24_000_000


class RapidOcrReader:
    """Reads text in images. Models load once, lazily, behind a lock (or call `load()`
    ahead of time); reads are serialised, so one instance may be shared by threads."""

    model_id = OCR_MODEL_ID

    def __init__(self, options: OcrOptions = OcrOptions(), store: ModelStore | None = None
                 ) -> None:
        self.options = options
        self._store = store
        self._engine: Any = None
        self._lock = threading.Lock()
        self.load_ms = 0.0

    # -- loading -----------------------------------------------------------------------
    def load(self) -> None:
        with self._lock:
            if self._engine is None:
                start = time.perf_counter()
                self._engine = self._build()
                self.load_ms = (time.perf_counter() - start) * 1000
                log.info("OCR models loaded in %.0f ms", self.load_ms)

    def _model_dir(self) -> Path:
        # Package-shipped files are not joined, so the store's own dir is never used.
        store = self._store or ModelStore(Path(tempfile.gettempdir()) / "heron-models")
        return store.model_dir(self.model_id)

    def _build(self) -> Any:
        try:
            from omegaconf import flag_override
            from rapidocr import RapidOCR
        except ImportError as err:
            spec = get_spec(self.model_id)
            raise ModelError("model.missing", f"the OCR runtime is not installed ({err})",
                             f"reinstall it: {spec.reinstall_command()}") from err
        model_dir = self._model_dir()
        hint = f"reinstall it: {get_spec(self.model_id).reinstall_command()}"
        opts = SessionOptions(intra_op_threads=self.options.threads,
                              inter_op_threads=1, prefer_gpu=self.options.prefer_gpu)
        det = create_session(model_dir / DET_FILE, opts, model_id=f"{self.model_id}:det",
                             reinstall_hint=hint)
        rec = create_session(model_dir / REC_FILE, opts, model_id=f"{self.model_id}:rec",
                             reinstall_hint=hint)
        engine = RapidOCR(params={
            "Global.use_cls": False,
            "Global.log_level": "warning",
            "Global.text_score": self.options.min_confidence,
            # RapidOCR shrinks the whole image (recognition too) past this; we scale only
            # the detector's input, so small text on big screens stays readable.
            "Global.max_side_len": 16384,
            "Det.limit_type": "max",
            "Det.limit_side_len": self.options.det_max_side_px,
            "Det.model_path": str(model_dir / DET_FILE),
            "Rec.model_path": str(model_dir / REC_FILE),
        })
        # RapidOCR's onnxruntime engine uses a session given as `session` instead of
        # creating one (and never looks for a download then). Its config is OmegaConf,
        # which takes objects only with this flag.
        for section, session in (("Det", det), ("Rec", rec)):
            node = engine.cfg[section]
            with flag_override(node, "allow_objects", True):
                node.session = session
        return engine

    def warm_up(self) -> None:
        """Load the models and run them once, so the first real read is not the slow one."""
        from PIL import Image, ImageDraw, ImageFont

        # Real text: RapidOCR loads its recogniser only once the detector found a line.
        img = Image.new("RGB", (360, 64), (255, 255, 255))
        ImageDraw.Draw(img).text((16, 14), "Heron warm-up 123", fill=(0, 0, 0),
                                 font=ImageFont.load_default(size=28))
        self.read_lines(np.asarray(img, dtype=np.uint8))

    # -- reading -----------------------------------------------------------------------
    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in `image` (RGB, (H, W, 3) uint8), boxes in its own pixels, unordered."""
        out = self._run(image, use_det=True, use_cls=False, use_rec=True)
        boxes, texts, scores = (getattr(out, "boxes", None), getattr(out, "txts", None),
                                getattr(out, "scores", None))
        if boxes is None or texts is None or scores is None:
            return []
        lines = []
        for quad, text, score in zip(boxes, texts, scores, strict=True):
            text = str(text).strip()
            if text and float(score) >= self.options.min_confidence:
                lines.append(OcrLine(text, Box.around(quad), float(score)))
        return lines

    def detect_boxes(self, image: np.ndarray) -> list[Box]:
        """Where text lines are in `image` (RGB), without reading them."""
        out = self._run(image, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(out, "boxes", None)
        return [] if boxes is None else [Box.around(quad) for quad in boxes]

    def recognize_line(self, image: np.ndarray) -> tuple[str, float]:
        """The text of one line's image (RGB) and the recogniser's confidence; the
        text is "" below `min_confidence`, as `read_lines` drops such lines."""
        out = self._run(image, use_det=False, use_cls=False, use_rec=True)
        texts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
        if not texts or not scores:
            return "", 0.0
        score = float(scores[0])
        return (str(texts[0]).strip() if score >= self.options.min_confidence else ""), score

    def _run(self, image: np.ndarray, *, use_det: bool, use_cls: bool, use_rec: bool) -> Any:
        """One RapidOCR call (the steps are always given: RapidOCR remembers them from
        call to call); `image` is RGB, RapidOCR takes OpenCV's BGR."""
        _check_image(image)
        if self._engine is None:
            self.load()
        bgr = swap_red_blue(image)
        with self._lock:
            try:
                return self._engine(bgr, use_det=use_det, use_cls=use_cls, use_rec=use_rec)
            except Exception as err:  # RapidOCR/onnxruntime raise untyped errors
                raise VisionError("vision.ocr_failed",
                                  f"text recognition failed: {str(err).splitlines()[0][:200]}",
                                  "run `heron models verify`; if it passes, report this") from err

    def read(self, frame: Frame) -> OcrResult:
        """All text in a frame, boxes in screen coordinates, as whole lines (boxes of one
        line joined, vision/lines.py) in reading order."""
        start = time.perf_counter()
        image, scale = fit_pixels(frame.image, self.options.max_read_pixels)
        lines = self.read_lines(image)
        if scale != 1.0:
            lines = [_scaled(ln, 1 / scale) for ln in lines]
        dx, dy = frame.origin
        return OcrResult(merge_lines(ln.translate(dx, dy) for ln in lines),
                         OcrStats(elapsed_ms=(time.perf_counter() - start) * 1000,
                                  tiles_total=1, tiles_changed=1, tiles_read=1,
                                  regions_read=1))

    def read_image(self, image: np.ndarray) -> OcrResult:
        return self.read(Frame(image))


def fit_pixels(image: np.ndarray, max_pixels: int) -> tuple[np.ndarray, float]:
    """`image` scaled down (area averaging, which keeps thin strokes) to at most
    `max_pixels`, and the scale used (1.0: unchanged)."""
    h, w = image.shape[:2]
    if h * w <= max_pixels:
        return image, 1.0
    from PIL import Image

    # A strip thinner than the scale would make it keeps 1 pixel across, so then its
    # long side alone must fit the cap; a floor above 1 pixel would widen it past the cap.
    scale = min((max_pixels / (h * w)) ** 0.5, max_pixels / max(h, w))
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    small = Image.fromarray(image).resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.uint8), scale


def _scaled(line: OcrLine, factor: float) -> OcrLine:
    b = line.box
    box = Box(round(b.x * factor), round(b.y * factor), round(b.w * factor),
              round(b.h * factor))
    return OcrLine(line.text, box, line.confidence)


def _check_image(image: np.ndarray) -> None:
    if (not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3
            or image.dtype != np.uint8):
        shape: Sequence[int] | str = getattr(image, "shape", "?")
        raise VisionError("vision.bad_image", f"OCR needs an RGB image, got shape {shape}",
                          "pass a (height, width, 3) uint8 array")
    if image.shape[0] < 4 or image.shape[1] < 4:
        raise VisionError("vision.bad_image",
                          f"image {image.shape[1]}x{image.shape[0]} is too small to read",
                          "capture a larger region")
