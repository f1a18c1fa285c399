"""Lines as a person reads them: the text detector often cuts one line of text into
several boxes ("ModuleNotFoundError: No module named" and "'requests'"); boxes on one
baseline with a gap of a few characters become one OcrLine whose `parts` keep each
box, so a word inside a long line can still be pointed at. Boxes in different columns
stay apart. Pure geometry: used by the full read (vision/ocr.py) and the incremental
re-read (vision/tiles.py) alike. Thresholds and the screens they were set on:
docs/vision-lines.md."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vision.types import Box, OcrLine, reading_order


@dataclass(frozen=True)
class LineOptions:
    """max_gap_h: the widest gap joined, in text heights (a character is about half a
    text height wide, so three to four characters). min_overlap: the share of the
    lower box's height two boxes must share vertically to be on one baseline.
    max_height_ratio: a taller box (a heading, a button label next to small print) is a
    different line. column_rows: a box whose left edge lines up (column_tolerance_h)
    with boxes on at least this many other rows starts a column; it is joined only
    across a plain word space (`word_gap_h`)."""

    max_gap_h: float = 1.6
    min_overlap: float = 0.6
    max_height_ratio: float = 1.6
    column_rows: int = 2
    column_tolerance_h: float = 0.4
    word_gap_h: float = 0.8


def _same_baseline(a: Box, b: Box, opts: LineOptions) -> bool:
    lo, hi = sorted((a.h, b.h))
    if hi > opts.max_height_ratio * lo:
        return False
    overlap = min(a.bottom, b.bottom) - max(a.y, b.y)
    return overlap >= opts.min_overlap * lo


class _LeftEdges:
    """The boxes sorted by left edge, to find the ones lined up with a box quickly."""

    def __init__(self, boxes: Sequence[Box]) -> None:
        self.boxes = sorted(boxes, key=lambda b: b.x)
        self.xs = [b.x for b in self.boxes]

    def near(self, x: float, tol: float) -> list[Box]:
        return self.boxes[bisect_left(self.xs, x - tol):bisect_right(self.xs, x + tol)]


def _starts_column(box: Box, edges: _LeftEdges, opts: LineOptions) -> bool:
    """Whether `box`'s left edge lines up with left edges on other rows: a column."""
    rows: list[Box] = []
    for o in edges.near(box.x, opts.column_tolerance_h * box.h):
        if not _same_baseline(o, box, opts) \
                and not any(_same_baseline(o, r, opts) for r in rows):
            rows.append(o)
            if len(rows) >= opts.column_rows:
                return True
    return False


def joins(left: OcrLine, right: OcrLine, edges: _LeftEdges,
          opts: LineOptions = LineOptions()) -> bool:
    """Whether `right` continues `left` on the same line (left is before right)."""
    a, b = left.box, right.box
    if not _same_baseline(a, b, opts):
        return False
    h = (a.h + b.h) / 2
    gap = b.x - a.right
    if gap < -0.5 * h or gap > opts.max_gap_h * h:
        return False
    return gap <= opts.word_gap_h * h or not _starts_column(b, edges, opts)


_CELL_PX = 8  # chains are indexed by the rows of pixels their last box covers


def _cells(box: Box) -> range:
    return range(box.y // _CELL_PX, box.bottom // _CELL_PX + 1)


def merge_lines(lines: Iterable[OcrLine], opts: LineOptions = LineOptions()
                ) -> tuple[OcrLine, ...]:
    """The boxes joined into whole lines, in reading order. A merged line's box is the
    union of its parts, its text theirs joined by a space, its confidence their mean
    weighted by length; an unmerged line is returned as it was."""
    pieces = [p for ln in lines for p in (ln.parts or (ln,))]
    edges = _LeftEdges([p.box for p in pieces])
    chains: list[list[OcrLine]] = []
    # Only a chain whose last box shares pixel rows with a piece can take it (one
    # baseline means overlapping vertically), so chains are looked up by rows.
    by_row: dict[int, list[list[OcrLine]]] = {}
    for piece in sorted(pieces, key=lambda p: (p.box.x, p.box.y)):
        best: tuple[int, list[OcrLine]] | None = None
        seen: set[int] = set()
        for cell in _cells(piece.box):
            for chain in by_row.get(cell, ()):
                last = chain[-1]
                if id(chain) in seen or last.box.x >= piece.box.x:
                    continue
                seen.add(id(chain))
                if joins(last, piece, edges, opts):
                    gap = piece.box.x - last.box.right
                    if best is None or gap < best[0]:
                        best = (gap, chain)
        if best is None:
            chain = [piece]
            chains.append(chain)
        else:
            chain = best[1]
            for cell in _cells(chain[-1].box):  # by identity: chains may be equal
                row = by_row[cell]
                del row[next(i for i, c in enumerate(row) if c is chain)]
            chain.append(piece)
        for cell in _cells(piece.box):
            by_row.setdefault(cell, []).append(chain)
    return reading_order(_joined(chain) for chain in chains)


def _joined(chain: list[OcrLine]) -> OcrLine:
    if len(chain) == 1:
        return chain[0]
    box = chain[0].box
    for p in chain[1:]:
        box = box.union(p.box)
    text = " ".join(p.text for p in chain)
    weight = sum(len(p.text) for p in chain) or 1
    conf = sum(p.confidence * len(p.text) for p in chain) / weight
    return OcrLine(text, box, conf, tuple(chain))
