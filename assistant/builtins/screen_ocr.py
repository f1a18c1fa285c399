"""The OCR holder shared by the screen and camera tools: one RapidOCR reader per
process, loaded lazily, whose results are redacted (vision/redact.py) before anyone sees
them."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from vision.options import VisionOptions
from vision.redact import Redaction, redact, redact_ocr

if TYPE_CHECKING:
    from models.store import ModelStore
    from vision.types import Box, Frame, OcrResult


class ScreenOcr:
    """One OCR reader per process, loaded on first use behind a lock; results are
    redacted with the configured options before anyone sees them."""

    def __init__(self, options: VisionOptions | None = None,
                 store: ModelStore | None = None) -> None:
        self.options = options or VisionOptions()
        self._store = store
        self._reader: Any = None
        self._lock = threading.Lock()

    def reader(self) -> Any:
        with self._lock:
            if self._reader is None:
                from vision.ocr import OcrOptions, RapidOcrReader

                self._reader = RapidOcrReader(OcrOptions(threads=self.options.ocr_threads),
                                              self._store)
            return self._reader

    def reset(self) -> None:
        """Drop the reader: the next read builds one with the current options."""
        with self._lock:
            self._reader = None

    def reconfigure(self, options: VisionOptions) -> None:
        """New [vision] settings; a new thread count takes a new reader."""
        with self._lock:
            if options.ocr_threads != self.options.ocr_threads:
                self._reader = None
            self.options = options

    def read_sync(self, frame: Frame) -> tuple[OcrResult, Redaction]:
        return redact_ocr(self.reader().read(frame), self.options.redact_options)

    async def read(self, frame: Frame) -> tuple[OcrResult, Redaction]:
        return await asyncio.to_thread(self.read_sync, frame)

    async def read_masked(self, frame: Frame) -> tuple[OcrResult, Redaction, list[Box]]:
        """Like read, plus the boxes of the lines redaction changed (a picture of the
        screen shown to anyone must black them out)."""
        def work() -> tuple[OcrResult, Redaction, list[Box]]:
            raw = self.reader().read(frame)
            result, redaction = redact_ocr(raw, self.options.redact_options)
            masked = [new.box for old, new in zip(raw.lines, result.lines, strict=True)
                      if old.text != new.text]
            return result, redaction, masked

        return await asyncio.to_thread(work)

    def redact(self, text: str) -> Redaction:
        return redact(text, self.options.redact_options)
