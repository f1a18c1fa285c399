"""Incremental OCR: the frame is cut into tiles, tiles are hashed, and only the regions
around tiles that changed since the last frame are read again.

Tiles only detect change. The region that is re-read grows to every whole line read
before that it touches (plus a margin for the detector), so a line is never cut in two
by a tile edge; lines elsewhere are kept from the previous frame. A region whose pixels
were read before (a cursor blinking back, a window switched back to) comes from a
content-keyed cache. Pure logic: the recogniser is any `read(image) -> lines` callable.

Given `LineParts` (a detector and a one-line recogniser) it goes one step further:
in a re-read region, lines are found again, but a line found where one was read
before, on exactly the same pixels as before, keeps its earlier reading; only the
others are recognised. A one-line
edit then costs one detection of the region and one line's recognition, instead of
recognising every line the region grew to (a batch padded to the longest of them).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vision.lines import merge_lines
from vision.types import Box, Frame, OcrLine, OcrResult, OcrStats

log = logging.getLogger(__name__)

# Lines in the coordinates of the image given to it.
LineReader = Callable[[np.ndarray], Sequence[OcrLine]]
SAME_LINE_IOU = 0.6  # a detected box this close to an old line's box is that line


class LineParts(Protocol):
    def detect_boxes(self, image: np.ndarray) -> list[Box]: ...

    def recognize_line(self, image: np.ndarray) -> tuple[str, float]:
        """(text, confidence); text "" when the line is not read with confidence."""


@dataclass(frozen=True)
class TileOptions:
    """tile_w/tile_h: the change-detection grid (64 px rows hold two or three lines of
    screen text, so a one-line edit re-reads little). margin_px: context around a
    re-read region (DB text detection needs background around the glyphs).
    full_read_fraction: when at least this share of tiles changed, one read of the
    whole frame is cheaper than many small ones. cache_regions: region results kept."""

    tile_w: int = 256
    tile_h: int = 64
    margin_px: int = 12
    full_read_fraction: float = 0.5
    cache_regions: int = 256


def tile_hashes(image: np.ndarray, tile_w: int, tile_h: int) -> np.ndarray:
    """A (rows, cols) array of 16-byte content hashes, one per tile (edge tiles are
    smaller)."""
    h, w = image.shape[:2]
    rows, cols = -(-h // tile_h), -(-w // tile_w)
    out = np.empty((rows, cols), dtype="S16")
    for r in range(rows):
        band = image[r * tile_h:(r + 1) * tile_h]
        for c in range(cols):
            tile = np.ascontiguousarray(band[:, c * tile_w:(c + 1) * tile_w])
            out[r, c] = hashlib.blake2b(tile.data, digest_size=16).digest()
    return out


def changed_tiles(before: np.ndarray | None, after: np.ndarray) -> np.ndarray:
    """Boolean (rows, cols) mask of tiles whose hash differs (all, with no `before`)."""
    if before is None or before.shape != after.shape:
        return np.ones(after.shape, dtype=bool)
    return before != after


def _components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding (row0, col0, row1, col1) of each 8-connected group of True tiles
    (exclusive ends)."""
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    rows, cols = mask.shape
    for r0, c0 in zip(*np.nonzero(mask), strict=True):
        if seen[r0, c0]:
            continue
        stack = [(int(r0), int(c0))]
        seen[r0, c0] = True
        rmin, cmin, rmax, cmax = r0, c0, r0, c0
        while stack:
            r, c = stack.pop()
            rmin, cmin, rmax, cmax = min(rmin, r), min(cmin, c), max(rmax, r), max(cmax, c)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < rows and 0 <= cc < cols and mask[rr, cc] and not seen[rr, cc]:
                        seen[rr, cc] = True
                        stack.append((rr, cc))
        out.append((int(rmin), int(cmin), int(rmax) + 1, int(cmax) + 1))
    return out


def _owns(region: Box, line: OcrLine) -> bool:
    """A region owns the lines centred in it: they are re-read with it. One rule for
    dropping old lines and keeping new ones, so a line is never lost or doubled."""
    return region.contains_point(*line.box.center)


def _touches(region: Box, line: OcrLine) -> bool:
    # A line whose middle row crosses the region was (maybe) changed: re-read it whole.
    # Lines that only graze the region keep their old reading; their growing into it
    # cannot chain down a column of closely spaced lines.
    cy = line.box.center[1]
    return (region.y <= cy < region.bottom
            and line.box.x < region.right and region.x < line.box.right)


def dirty_regions(mask: np.ndarray, old_lines: Sequence[OcrLine], frame: Box,
                  options: TileOptions) -> list[Box]:
    """The regions (frame coordinates, without margin) to read again: changed tiles,
    grouped, grown to whole previously-read lines they touch, merged where they overlap."""
    regions = [Box(c0 * options.tile_w, r0 * options.tile_h, (c1 - c0) * options.tile_w,
                   (r1 - r0) * options.tile_h) for r0, c0, r1, c1 in _components(mask)]
    regions = [b for b in (r.intersection(frame) for r in regions) if b is not None]
    changed = True
    while changed:  # grow and merge until stable: each pass only makes regions bigger
        changed = False
        for i, region in enumerate(regions):
            grown = region
            for line in old_lines:
                if _touches(region, line):
                    grown = grown.union(line.box)
            grown = grown.intersection(frame) or grown
            if grown != region:
                regions[i], changed = grown, True
        merged: list[Box] = []
        for region in regions:
            for j, other in enumerate(merged):
                if region.intersects(other):
                    merged[j], changed = other.union(region), True
                    break
            else:
                merged.append(region)
        regions = merged
    return regions


def tiles_covered(regions: Sequence[Box], shape: tuple[int, int], options: TileOptions) -> int:
    """How many grid tiles the regions touch (what "tiles re-read" counts)."""
    rows, cols = shape
    hit = np.zeros(shape, dtype=bool)
    for b in regions:
        r0, c0 = b.y // options.tile_h, b.x // options.tile_w
        r1 = min(rows, -(-b.bottom // options.tile_h))
        c1 = min(cols, -(-b.right // options.tile_w))
        hit[r0:r1, c0:c1] = True
    return int(hit.sum())


class IncrementalOcr:
    """Reads frames one after another, recognising only what changed.

    Not thread-safe: one instance per screen stream, used from one executor thread."""

    def __init__(self, reader: LineReader, options: TileOptions = TileOptions(),
                 parts: LineParts | None = None) -> None:
        self._reader = reader
        self._parts = parts
        self.options = options
        self._hashes: np.ndarray | None = None
        self._shape: tuple[int, int] | None = None
        self._lines: list[OcrLine] = []  # frame coordinates
        self._image: np.ndarray | None = None  # the previous frame (with LineParts)
        self._cache: OrderedDict[bytes, tuple[OcrLine, ...]] = OrderedDict()

    def reset(self) -> None:
        """Forget the previous frame (the next read is a full one); the cache stays."""
        self._hashes, self._shape, self._lines, self._image = None, None, [], None

    def read(self, frame: Frame) -> OcrResult:
        start = time.perf_counter()
        image = frame.image
        opts = self.options
        hashes = tile_hashes(image, opts.tile_w, opts.tile_h)
        shape = (frame.height, frame.width)
        mask = changed_tiles(self._hashes if self._shape == shape else None, hashes)
        bounds = Box(0, 0, frame.width, frame.height)
        n_changed = int(mask.sum())
        if n_changed == 0:
            regions: list[Box] = []
        elif n_changed >= opts.full_read_fraction * mask.size:
            regions = [bounds]
        else:
            # Grown to whole lines as a person reads them: a changed word re-reads every
            # box of its line, so the line comes back whole and never half old, half new.
            regions = dirty_regions(mask, merge_lines(self._lines), bounds, opts)
        kept = [ln for ln in self._lines if not any(_owns(r, ln) for r in regions)]
        read_regions, hits = [], 0
        for region in regions:
            lines, hit = self._read_region(image, region, bounds)
            kept.extend(lines)
            hits += hit
            if not hit:
                read_regions.append(region)
        self._hashes, self._shape, self._lines = hashes, shape, kept
        self._image = image if self._parts is not None else None  # for _unchanged
        dx, dy = frame.origin
        stats = OcrStats(
            elapsed_ms=(time.perf_counter() - start) * 1000, tiles_total=int(mask.size),
            tiles_changed=n_changed, tiles_read=tiles_covered(read_regions, mask.shape, opts),
            regions_read=len(read_regions), cache_hits=hits,
        )
        log.debug("incremental OCR: %d/%d tiles changed, %d read in %d regions (%.0f ms)",
                  n_changed, mask.size, stats.tiles_read, len(read_regions), stats.elapsed_ms)
        return OcrResult(merge_lines(ln.translate(dx, dy) for ln in kept), stats)

    def _read_region(self, image: np.ndarray, region: Box, bounds: Box
                     ) -> tuple[list[OcrLine], bool]:
        """Lines whose centre lies in `region` (frame coordinates), read with a margin of
        context around it; lines centred in the margin belong to a neighbour."""
        padded = region.grow(self.options.margin_px).intersection(bounds) or region
        crop = np.ascontiguousarray(image[padded.y:padded.bottom, padded.x:padded.right])
        key = hashlib.blake2b(crop.data, digest_size=16,
                              person=b"heron-ocr-tile").digest() + repr(crop.shape).encode()
        cached = self._cache.get(key)
        hit = cached is not None
        if cached is None:
            cached = tuple(self._read_crop(crop, padded, image, region, whole=region == bounds))
            self._cache[key] = cached
            while len(self._cache) > self.options.cache_regions:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        lines = [ln.translate(padded.x, padded.y) for ln in cached]
        return [ln for ln in lines if _owns(region, ln)], hit

    def _read_crop(self, crop: np.ndarray, at: Box, image: np.ndarray, region: Box,
                   whole: bool) -> list[OcrLine]:
        """The lines of `crop` (taken at `at` in the frame), in crop coordinates. A whole
        frame is read in one batch: line by line only pays off for a few lines. Lines
        centred in the margin are not recognised: they belong to a neighbour."""
        if self._parts is None or whole or not self._lines:
            return list(self._reader(crop))
        out = []
        for box in self._parts.detect_boxes(crop):
            in_frame = box.translate(at.x, at.y)
            if not region.contains_point(*in_frame.center):
                continue
            old = self._old_line(in_frame)
            # Same pixels: same text. Only when the new box holds no more than the old
            # one: a box that now also takes in the next piece of its line (detected
            # apart before) must be read again, or that piece would be lost.
            if old is not None and _within(in_frame, old.box) \
                    and self._unchanged(old.box.union(in_frame), image):
                out.append(old.translate(-at.x, -at.y))
                continue
            line = crop[box.y:box.bottom, box.x:box.right]
            if line.shape[0] < 4 or line.shape[1] < 4:
                continue
            text, score = self._parts.recognize_line(np.ascontiguousarray(line))
            if text:  # "" when the recogniser is not sure enough
                out.append(OcrLine(text, box, score))
        return out

    def _unchanged(self, box: Box, image: np.ndarray) -> bool:
        before = self._image
        if before is None or before.shape != image.shape:
            return False
        area = (slice(box.y, box.bottom), slice(box.x, box.right))
        return bool(np.array_equal(before[area], image[area]))

    def _old_line(self, box: Box) -> OcrLine | None:
        best, best_iou = None, SAME_LINE_IOU
        for line in self._lines:
            iou = _iou(line.box, box)
            if iou >= best_iou:
                best, best_iou = line, iou
        return best


def _within(new: Box, old: Box) -> bool:
    """`new` reaches no further left or right than `old` (half a text height of slack)."""
    slack = old.h / 2
    return new.x >= old.x - slack and new.right <= old.right + slack


def _iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    if inter is None:
        return 0.0
    overlap = inter.w * inter.h
    return overlap / float(a.w * a.h + b.w * b.h - overlap)
