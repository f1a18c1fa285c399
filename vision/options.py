"""[vision] in config.toml: what the screen and camera tools redact, which windows
they never show, and the display, camera and OCR threads they use."""

from __future__ import annotations

from dataclasses import dataclass

from vision.redact import DEFAULT_KINDS, RedactOptions, SecretKind


@dataclass(frozen=True)
class VisionOptions:
    """[vision] in config.toml. redact: mask secrets (passwords, keys, tokens, card
    numbers with their CVC and expiry, IBANs) in everything read from the screen or
    camera before it is returned, logged or sent; redact_kinds: which (add "email" and
    "phone" to mask those too: they are off by default). exclude_titles / exclude_classes: windows
    blacked out of every capture and left out of window lists (password managers,
    banking). display: X display ("" = $DISPLAY). camera: the camera ("" = first; an
    index, a name, /dev/videoN or a video file). ocr_threads: ONNX threads for OCR.
    max_image_pixels: a bigger image file (`heron look`) is refused from its header,
    before it is decoded (a 190 KB PNG can hold 13,000 x 13,000 pixels)."""

    redact: bool = True
    redact_kinds: tuple[str, ...] = tuple(k for k in SecretKind if k in DEFAULT_KINDS)
    exclude_titles: tuple[str, ...] = ()
    exclude_classes: tuple[str, ...] = ()
    display: str = ""
    camera: str = ""
    ocr_threads: int = 2
    max_image_pixels: int = 40_000_000

    def __post_init__(self) -> None:
        unknown = set(self.redact_kinds) - set(SecretKind)
        if unknown:
            raise ValueError(f"vision.redact_kinds: unknown {sorted(unknown)} "
                             f"(known: {', '.join(SecretKind)})")
        if not 1 <= self.ocr_threads <= 64:
            raise ValueError("vision.ocr_threads must be between 1 and 64")
        if not 10_000 <= self.max_image_pixels <= 500_000_000:
            raise ValueError("vision.max_image_pixels must be between 10000 and 500000000")

    @property
    def redact_options(self) -> RedactOptions:
        return RedactOptions(enabled=self.redact,
                             kinds=frozenset(SecretKind(k) for k in self.redact_kinds))
