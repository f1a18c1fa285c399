"""Incremental OCR logic without a model: a stand-in reader that "recognises" coloured
bars (one colour = one line of text) and counts what it was asked to read."""

from __future__ import annotations

import numpy as np
import pytest

from vision.tiles import IncrementalOcr, TileOptions, changed_tiles, tile_hashes
from vision.types import Box, Frame, OcrLine, group_rows, reading_order

BG = (20, 20, 20)


class BarReader:
    """Finds each non-background colour's bounding box and calls it a line."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []  # (height, width) of each image read

    def __call__(self, image: np.ndarray) -> list[OcrLine]:
        self.calls.append(image.shape[:2])
        codes = (image[:, :, 0].astype(np.int32) << 16) | (image[:, :, 1].astype(np.int32) << 8) \
            | image[:, :, 2]
        background = (BG[0] << 16) | (BG[1] << 8) | BG[2]
        rows_with = {}
        for y in np.nonzero((codes != background).any(axis=1))[0]:
            for code in np.unique(codes[y]):
                if code != background:
                    rows_with.setdefault(int(code), []).append(int(y))
        out = []
        for code, ys in rows_with.items():
            xs = np.nonzero((codes[ys[0]:ys[-1] + 1] == code).any(axis=0))[0]
            box = Box(int(xs.min()), ys[0], int(xs.max() - xs.min() + 1), ys[-1] - ys[0] + 1)
            rgb = (code >> 16, (code >> 8) & 255, code & 255)
            out.append(OcrLine("line-{}-{}-{}".format(*rgb), box, 0.99))
        return out


def screen(bars: dict[tuple[int, int, int], Box], size=(1080, 1920)) -> np.ndarray:
    img = np.empty((*size, 3), np.uint8)
    img[:] = BG
    for colour, b in bars.items():
        img[b.y:b.bottom, b.x:b.right] = colour
    return img


def terminal(n_lines: int = 30, width: int = 1500, step: int = 22, height: int = 16):
    """Lines of 'text' 22 px apart (a 6 px gap), as a terminal shows them."""
    return {(100 + i, 200, 60 + i): Box(16, 20 + i * step, width, height) for i in range(n_lines)}


def texts(result) -> list[str]:
    return [ln.text for ln in result.lines]


OPTS = TileOptions(tile_w=256, tile_h=64, margin_px=12)


def test_first_frame_is_read_whole_and_an_unchanged_frame_not_at_all():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    bars = terminal()
    first = ocr.read(Frame(screen(bars)))
    assert reader.calls == [(1080, 1920)]
    assert first.stats.tiles_read == first.stats.tiles_total == 17 * 8
    assert [ln.box for ln in first.lines] == list(bars.values())
    again = ocr.read(Frame(screen(bars)))
    assert len(reader.calls) == 1
    assert again.stats.tiles_changed == 0 and again.stats.tiles_read == 0
    assert texts(again) == texts(first)


def test_editing_one_line_rereads_only_the_tiles_around_it():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    bars = terminal()
    before = ocr.read(Frame(screen(bars)))
    edited = dict(bars)
    old_colour = (110, 200, 70)  # line 10
    box = edited.pop(old_colour)
    edited[(250, 250, 250)] = box
    after = ocr.read(Frame(screen(edited)))
    assert len(reader.calls) == 2
    # One 16 px line crosses at most two 64 px tile rows of 8 tiles.
    assert 0 < after.stats.tiles_read <= 16 < after.stats.tiles_total
    assert after.stats.regions_read == 1
    assert len(after.lines) == len(before.lines)
    assert "line-250-250-250" in texts(after) and "line-110-200-70" not in texts(after)
    assert next(ln.box for ln in after.lines if ln.text == "line-250-250-250") == box
    # Everything else is exactly what the first read found.
    assert {ln for ln in after.lines if ln.text != "line-250-250-250"} == \
        {ln for ln in before.lines if ln.text != "line-110-200-70"}


def test_a_change_inside_a_long_line_rereads_the_whole_line_not_a_fragment():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    long_line = Box(16, 300, 1800, 16)
    bars = {(90, 90, 200): long_line, (90, 200, 90): Box(16, 400, 900, 16)}
    ocr.read(Frame(screen(bars)))
    img = screen(bars)
    img[300:316, 1000:1040] = (200, 90, 90)  # one word in tile column 3 changes
    after = ocr.read(Frame(img))
    region_h, region_w = reader.calls[-1]
    assert region_w >= long_line.w  # read across the whole line, not the one tile
    assert region_h < 100
    # The stand-in sees two colours on that line: both come back with full-line context,
    # and the untouched line below is kept.
    assert "line-90-200-90" in texts(after)
    assert all(ln.box.y in (300, 400) for ln in after.lines)


def test_closely_spaced_lines_do_not_chain_into_a_full_reread():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    bars = terminal(n_lines=45, step=20, height=17)  # 3 px gaps
    ocr.read(Frame(screen(bars)))
    edited = dict(bars)
    box = edited.pop((120, 200, 80))
    edited[(1, 2, 3)] = box
    after = ocr.read(Frame(screen(edited)))
    assert after.stats.tiles_read <= 3 * 8
    assert len(after.lines) == 45


def test_a_region_seen_before_comes_from_the_cache():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    bars = terminal()
    cursor = dict(bars)
    cursor[(255, 255, 0)] = Box(700, 20 + 5 * 22, 10, 16)  # a blinking cursor
    ocr.read(Frame(screen(bars)))
    ocr.read(Frame(screen(cursor)))  # cursor on: its region is read
    ocr.read(Frame(screen(bars)))  # cursor off: that region without it is read
    calls = len(reader.calls)
    on = ocr.read(Frame(screen(cursor)))  # on again: seen before
    off = ocr.read(Frame(screen(bars)))  # off again: seen before
    assert len(reader.calls) == calls == 3  # both came from the cache
    assert on.stats.cache_hits == 1 and on.stats.tiles_read == 0
    assert "line-255-255-0" in texts(on) and "line-255-255-0" not in texts(off)
    assert len(off.lines) == len(bars)


def test_boxes_are_in_screen_coordinates_of_the_frame_origin():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    bars = {(200, 0, 0): Box(10, 10, 100, 16)}
    result = ocr.read(Frame(screen(bars, (200, 300)), origin=(1920, 40)))
    assert result.lines[0].box == Box(1930, 50, 100, 16)


def test_a_new_frame_size_or_a_large_change_is_one_full_read():
    reader = BarReader()
    ocr = IncrementalOcr(reader, OPTS)
    ocr.read(Frame(screen(terminal())))
    ocr.read(Frame(screen(terminal(), (800, 1280))))
    assert reader.calls[-1] == (800, 1280)
    scrolled = {c: b.translate(0, 11) for c, b in terminal(n_lines=45).items()}
    result = ocr.read(Frame(screen(scrolled, (800, 1280))))
    assert reader.calls[-1] == (800, 1280) and result.stats.regions_read == 1
    ocr.reset()
    ocr.read(Frame(screen(scrolled, (800, 1280))))
    assert len(reader.calls) == 3  # after reset the cache answers the full frame


def test_tile_hashes_change_only_where_pixels_change():
    img = screen(terminal())
    a = tile_hashes(img, 256, 64)
    img2 = img.copy()
    img2[700, 1900] = (1, 1, 1)  # last column is a 128 px edge tile
    b = tile_hashes(img2, 256, 64)
    mask = changed_tiles(a, b)
    assert a.shape == (17, 8) and mask.sum() == 1 and mask[10, 7]
    assert changed_tiles(None, b).all()


def test_reading_order_groups_rows_and_sorts_left_to_right():
    def line(text, x, y, h=16):
        return OcrLine(text, Box(x, y, 50, h), 0.9)

    # "Cancel" sits 3 px lower than "Save": still the same row.
    lines = [line("Save", 400, 503), line("title", 10, 10), line("Cancel", 200, 500),
             line("body", 10, 60, 20), line("right", 600, 62)]
    ordered = [ln.text for ln in reading_order(lines)]
    assert ordered == ["title", "body", "right", "Cancel", "Save"]
    assert [[ln.text for ln in row] for row in group_rows(lines)][-1] == ["Cancel", "Save"]


@pytest.mark.parametrize(("a", "b", "inter"), [
    (Box(0, 0, 10, 10), Box(5, 5, 10, 10), Box(5, 5, 5, 5)),
    (Box(0, 0, 10, 10), Box(10, 0, 5, 5), None),
])
def test_box_intersection(a, b, inter):
    assert a.intersection(b) == inter
    assert a.intersects(b) is (inter is not None)


def test_box_around_a_quadrilateral():
    assert Box.around([[10.2, 5.0], [50.0, 5.5], [50.7, 20.0], [10.0, 19.2]]) == Box(10, 5, 41, 15)


class BarParts:
    """LineParts for the bars: the detector finds them, the recogniser names one bar
    and counts how many lines it was asked to recognise."""

    def __init__(self, reader: BarReader) -> None:
        self.reader = reader
        self.recognised: list[str] = []

    def detect_boxes(self, image: np.ndarray) -> list[Box]:
        return [ln.box for ln in self.reader(image)]

    def recognize_line(self, image: np.ndarray) -> tuple[str, float]:
        (line,) = BarReader()(image)
        self.recognised.append(line.text)
        return line.text, line.confidence


def test_with_line_parts_only_the_edited_line_is_recognised():
    reader = BarReader()
    parts = BarParts(reader)
    ocr = IncrementalOcr(reader, OPTS, parts=parts)
    bars = terminal()  # 22 px apart: a 64 px tile row holds three lines
    ocr.read(Frame(screen(bars)))
    assert parts.recognised == []  # the first read is one batch by the plain reader
    edited = dict(bars)
    colour, box = next((c, b) for c, b in bars.items() if c[0] == 105)
    del edited[colour]
    edited[(250, 10, 10)] = box  # same place, new "text"
    result = ocr.read(Frame(screen(edited)))
    assert parts.recognised == ["line-250-10-10"]  # its neighbours in the tile kept
    assert sorted(texts(result)) == sorted(f"line-{c[0]}-{c[1]}-{c[2]}" for c in edited)
    assert len(result.lines) == len(edited)


def test_with_line_parts_a_moved_line_is_recognised_again():
    reader = BarReader()
    parts = BarParts(reader)
    ocr = IncrementalOcr(reader, OPTS, parts=parts)
    bars = terminal(n_lines=5)
    ocr.read(Frame(screen(bars)))
    moved = dict(bars)
    colour = next(iter(bars))
    moved[colour] = bars[colour].translate(0, 600)  # same text, somewhere new
    result = ocr.read(Frame(screen(moved)))
    assert parts.recognised == [f"line-{colour[0]}-{colour[1]}-{colour[2]}"]
    assert {ln.box for ln in result.lines} == set(moved.values())
