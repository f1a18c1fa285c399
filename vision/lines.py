"""Lines as a person reads them: the text detector often cuts one line of text into
several boxes ("ModuleNotFoundError: No module named" and "'requests'"); boxes on one
baseline with a gap of a few characters become one OcrLine whose `parts` keep each
box, so a word inside a long line can still be pointed at. Boxes in different columns
stay apart. Pure geometry: used by the full read (vision/ocr.py) and the incremental
re-read (vision/tiles.py) alike. Thresholds and the screens they were set on:
docs/vision-lines.md."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vision.types import Box, OcrLine, reading_order


@dataclass(frozen=True)
class LineOptions:
    """max_gap_h: the widest gap joined, in text heights (a text box is about 1.5-2
    characters of its own height wide per character pair, so 1.6 heights is three or
    four characters). min_overlap: the share of the lower box's height two boxes must
    share vertically to be on one baseline. max_height_ratio: a taller box (a heading, a
    button label next to small print) is a different line. column_rows: a box whose left
    edge lines up with boxes on at least this many other rows starts a column; it is
    joined only across a plain word space (`word_gap_h`)."""

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


def _starts_column(box: Box, others: Sequence[Box], opts: LineOptions) -> bool:
    """Whether `box`'s left edge lines up with left edges on other rows: a column."""
    tol = opts.column_tolerance_h * box.h
    rows: list[Box] = []
    for o in others:
        if abs(o.x - box.x) <= tol and not _same_baseline(o, box, opts) \
                and not any(_same_baseline(o, r, opts) for r in rows):
            rows.append(o)
            if len(rows) >= opts.column_rows:
                return True
    return False


def joins(left: OcrLine, right: OcrLine, others: Sequence[Box],
          opts: LineOptions = LineOptions()) -> bool:
    """Whether `right` continues `left` on the same line (left is before right)."""
    a, b = left.box, right.box
    if not _same_baseline(a, b, opts):
        return False
    h = (a.h + b.h) / 2
    gap = b.x - a.right
    if gap < -0.5 * h or gap > opts.max_gap_h * h:
        return False
    return gap <= opts.word_gap_h * h or not _starts_column(b, others, opts)


def merge_lines(lines: Iterable[OcrLine], opts: LineOptions = LineOptions()
                ) -> tuple[OcrLine, ...]:
    """The boxes joined into whole lines, in reading order. A merged line's box is the
    union of its parts, its text theirs joined by a space, its confidence their mean
    weighted by length; an unmerged line is returned as it was."""
    pieces = [p for ln in lines for p in (ln.parts or (ln,))]
    boxes = [p.box for p in pieces]
    order = sorted(range(len(pieces)), key=lambda i: (pieces[i].box.x, pieces[i].box.y))
    chains: list[list[OcrLine]] = []
    for i in order:
        piece = pieces[i]
        best = None
        for chain in chains:  # the chain whose last box ends closest before this one
            last = chain[-1]
            if last.box.x < piece.box.x and joins(last, piece, boxes, opts):
                gap = piece.box.x - last.box.right
                if best is None or gap < best[0]:
                    best = (gap, chain)
        if best is None:
            chains.append([piece])
        else:
            best[1].append(piece)
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
