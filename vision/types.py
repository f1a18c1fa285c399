"""The vision library's own types: boxes in screen pixels, captured frames, OCR lines,
and reading order. Pure (numpy only), so the core and the tests use them without models."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels: x, y of the top-left corner, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return max(0, self.w) * max(0, self.h)

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def intersects(self, other: Box) -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.bottom and other.y < self.bottom)

    def intersection(self, other: Box) -> Box | None:
        x, y = max(self.x, other.x), max(self.y, other.y)
        r, b = min(self.right, other.right), min(self.bottom, other.bottom)
        return Box(x, y, r - x, b - y) if r > x and b > y else None

    def union(self, other: Box) -> Box:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def contains_point(self, px: float, py: float) -> bool:
        return self.x <= px < self.right and self.y <= py < self.bottom

    def translate(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def grow(self, px: int) -> Box:
        return Box(self.x - px, self.y - px, self.w + 2 * px, self.h + 2 * px)

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}

    @classmethod
    def around(cls, points: Iterable[Iterable[float]]) -> Box:
        """The smallest box around polygon points (OCR engines return quadrilaterals)."""
        pts = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        return cls(int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0)))


@dataclass(frozen=True, eq=False)
class Frame:
    """A captured image, (H, W, 3) uint8 RGB, and where its top-left pixel is on the
    screen (`origin`), so boxes found in it map back to screen coordinates."""

    image: np.ndarray
    origin: tuple[int, int] = (0, 0)
    source: str = ""  # "monitor 1", "region", "window 0x3a00007", a file path, …
    timestamp_ms: float = 0.0

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def box(self) -> Box:
        """Where this frame is on the screen."""
        return Box(self.origin[0], self.origin[1], self.width, self.height)


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, its box in screen coordinates, the recogniser's
    confidence (0..1). Text from the screen is untrusted input. `parts`: the detector's
    boxes a line was joined from (vision/lines.py), their texts joined by one space make
    `text`; empty when the line is one box."""

    text: str
    box: Box
    confidence: float
    parts: tuple[OcrLine, ...] = ()

    def translate(self, dx: int, dy: int) -> OcrLine:
        return OcrLine(self.text, self.box.translate(dx, dy), self.confidence,
                       tuple(p.translate(dx, dy) for p in self.parts))

    def span_box(self, start: int, end: int) -> Box:
        """Where characters [start, end) of `text` are: measured inside the part that
        holds them (proportionally to characters), so a word in a long joined line is
        found in its own box, not somewhere in the gap between boxes."""
        pieces, at = [], 0
        for part in self.parts or (self,):
            pieces.append((at, part))
            at += len(part.text) + 1
        out: Box | None = None
        for offset, part in pieces:
            lo, hi = max(start, offset), min(end, offset + len(part.text))
            if lo >= hi:
                continue
            n, b = max(1, len(part.text)), part.box
            x0 = b.x + round(b.w * (lo - offset) / n)
            piece = Box(x0, b.y, max(1, round(b.w * (hi - lo) / n)), b.h)
            out = piece if out is None else out.union(piece)
        return out or self.box

    def to_dict(self) -> dict:
        out = {"text": self.text, "box": self.box.to_dict(),
               "confidence": round(self.confidence, 4)}
        if self.parts:
            out["parts"] = [{"text": p.text, "box": p.box.to_dict()} for p in self.parts]
        return out


@dataclass(frozen=True)
class OcrStats:
    """What one read cost: `tiles_read` of `tiles_total` were recognised again (the rest
    came from the previous frame or the cache)."""

    elapsed_ms: float = 0.0
    tiles_total: int = 0
    tiles_changed: int = 0
    tiles_read: int = 0
    regions_read: int = 0
    cache_hits: int = 0


@dataclass(frozen=True)
class OcrResult:
    """Lines in reading order (top to bottom; left to right within a row)."""

    lines: tuple[OcrLine, ...]
    stats: OcrStats = field(default_factory=OcrStats)

    @property
    def text(self) -> str:
        """The lines as text: one row per line of output, pieces of a row joined by a
        wide gap (two spaces) so columns stay apart."""
        return "\n".join("  ".join(line.text for line in row) for row in group_rows(self.lines))

    def to_dict(self) -> dict:
        return {"text": self.text, "lines": [line.to_dict() for line in self.lines],
                "stats": self.stats.__dict__}


def _same_row(a: Box, b: Box) -> bool:
    # Two boxes are on one row when they overlap vertically by at least half the
    # smaller height: boxes of one text row differ a little in height and top.
    overlap = min(a.bottom, b.bottom) - max(a.y, b.y)
    return overlap >= 0.5 * min(a.h, b.h)


def group_rows(lines: Iterable[OcrLine]) -> list[list[OcrLine]]:
    """Group lines into rows (top to bottom), each row sorted left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.box.center[1], ln.box.x)):
        if rows and any(_same_row(line.box, other.box) for other in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.box.x) for row in rows]


def reading_order(lines: Iterable[OcrLine]) -> tuple[OcrLine, ...]:
    """Top-to-bottom, left-to-right, with lines of one row kept together."""
    return tuple(line for row in group_rows(lines) for line in row)
