"""The tray's "what Heron read" window: the screenshot show_screen_reading saved (its
secrets already blacked out), scaled to fit, with a blue box around each line of text
and a green one around each control, named by its kind. Opened when that tool
finishes (gui/windows.py); the picture file is deleted once loaded."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

MAX_WIDTH = 1200  # the picture is scaled down to this width at most
LINE = QColor(40, 110, 230)
CONTROL = QColor(20, 160, 60)


class ScreenReadingWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("What Heron read — Heron")
        self.caption = QLabel()
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(scroll)
        self.resize(1000, 700)

    def show_reading(self, result: dict[str, Any]) -> bool:
        """Draw the reading; False when its picture cannot be loaded (then the caption
        says so and nothing else is shown)."""
        path = result.get("image", "")
        pixmap = QPixmap(path)
        if path and not pixmap.isNull():
            with contextlib.suppress(OSError):  # shown: no copy of the screen is kept
                os.remove(path)
        if pixmap.isNull():
            self.caption.setText("The picture of the screen could not be opened.")
            self.picture.clear()
            return False
        scale = min(1.0, MAX_WIDTH / max(1, pixmap.width()))
        if scale < 1.0:
            pixmap = pixmap.scaledToWidth(round(pixmap.width() * scale),
                                          Qt.TransformationMode.SmoothTransformation)
        ox, oy = (result.get("origin") or [0, 0])[:2]
        painter = QPainter(pixmap)
        try:
            painter.setPen(QPen(LINE, 2))
            for line in result.get("lines", []):
                painter.drawRect(_scaled(line["box"], ox, oy, scale))
            painter.setPen(QPen(CONTROL, 2))
            for control in result.get("controls", []):
                rect = _scaled(control["box"], ox, oy, scale)
                painter.drawRect(rect)
                painter.drawText(rect.left(), max(10, rect.top() - 3), control["kind"])
        finally:
            painter.end()
        self.picture.setPixmap(pixmap)
        lines, controls = len(result.get("lines", [])), len(result.get("controls", []))
        masked = len(result.get("masked", []))
        self.caption.setText(f"{_count(lines, 'line')} of text (blue) and "
                             f"{_count(controls, 'control')} (green); "
                             f"{_count(masked, 'private item')} blacked out.")
        return True


def _scaled(box: dict[str, int], ox: int, oy: int, scale: float) -> QRect:
    return QRect(round((box["x"] - ox) * scale), round((box["y"] - oy) * scale),
                 round(box["w"] * scale), round(box["h"] * scale))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
