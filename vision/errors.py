"""Coded errors of the vision library (screen capture, images, OCR, camera)."""

from __future__ import annotations

from models.errors import CodedError

# Exit codes follow the CLI's table (README): 2 bad input, 6 missing device,
# 7 something essential missing, 1 internal. The code decides, so one class serves all.
_EXIT_CODES = {
    "vision.bad_region": 2,
    "vision.bad_image": 2,
    "vision.image_too_large": 2,
    "vision.bad_path": 2,
    "vision.no_window": 2,
    "vision.no_monitor": 2,
    "vision.cannot_exclude": 7,
    "vision.no_display": 6,
    "vision.no_camera": 6,
    "vision.camera_failed": 6,
    "vision.capture_failed": 6,
    "vision.wayland_no_portal": 7,
    "vision.portal_denied": 6,
    "vision.ocr_failed": 1,
}


class VisionError(CodedError):
    """Something seen on the screen or camera cannot be captured, read or written."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(code, message, hint)
        self.exit_code = _EXIT_CODES.get(code, 1)
