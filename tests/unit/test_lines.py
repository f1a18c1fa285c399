"""The geometry of joining OCR boxes into whole lines, on synthetic boxes (the real
screens are read in tests/integration/test_ocr_lines.py): same baseline and a gap of a
few characters join; a column gutter, another row or a taller heading do not; a word
inside a joined line is found in its own box."""

from __future__ import annotations

from assistant.builtins.screen_help import locate
from vision.lines import merge_lines
from vision.types import Box, OcrLine

H = 20  # text height in pixels; a monospace character is about 10 px wide at this size


def seg(text: str, x: int, y: int, w: int | None = None, h: int = H) -> OcrLine:
    return OcrLine(text, Box(x, y, w if w is not None else 10 * len(text), h), 0.9)


def test_two_boxes_of_one_line_become_one_line_with_both_parts():
    a = seg("ModuleNotFoundError: No module named", 16, 100)
    b = seg("'requests'", a.box.right + 12, 102)  # one space, a little lower
    (line,) = merge_lines([b, a])
    assert line.text == "ModuleNotFoundError: No module named 'requests'"
    assert line.box == a.box.union(b.box)
    assert [p.text for p in line.parts] == [a.text, b.text]
    assert line.to_dict()["parts"][1]["box"] == b.box.to_dict()


def test_a_gap_of_a_few_characters_joins_a_wide_one_does_not():
    a = seg("error:", 16, 50)
    near = seg("linker command failed", a.box.right + int(1.5 * H), 50)
    assert [ln.text for ln in merge_lines([a, near])] == ["error: linker command failed"]
    far = seg("linker command failed", a.box.right + 3 * H, 50)
    assert len(merge_lines([a, far])) == 2


def test_rows_above_and_below_and_taller_text_stay_apart():
    a = seg("Heading", 16, 10, h=40)
    b = seg("small print", a.box.right + 10, 22, h=16)  # overlaps, but far smaller
    c = seg("next row", 16, 10 + 40 + 4)
    assert len(merge_lines([a, b, c])) == 3


def test_columns_stay_apart_even_across_a_narrow_gutter():
    rows = []
    for i in range(6):
        y = 80 + i * 30
        left = seg("left column text here" + "x" * (i % 3), 40, y)
        rows += [left, seg("right column line", 300, y)]  # gutter 20-50 px: 1-2.5 H
    lines = merge_lines(rows)
    assert len(lines) == 12
    assert {ln.text for ln in lines if ln.box.x == 300} == {"right column line"}


def test_a_box_aligned_with_others_joins_across_a_plain_word_space():
    # Table-like alignment does not cut a sentence: a one-space gap is always a line.
    rows = [seg("key", 40, 80 + 30 * i) for i in range(3)]
    rows += [seg("= value", 40 + 30 + 10, 80 + 30 * i) for i in range(3)]
    assert [ln.text for ln in merge_lines(rows)] == ["key = value"] * 3


def test_merging_twice_changes_nothing_and_keeps_reading_order():
    a, b = seg("one two", 10, 10), seg("three", 10 + 70 + 10, 10)
    c = seg("second row", 10, 40)
    once = merge_lines([c, b, a])
    assert [ln.text for ln in once] == ["one two three", "second row"]
    assert merge_lines(once) == once


def test_a_word_inside_a_joined_line_is_located_in_its_own_box():
    a = seg("ModuleNotFoundError: No module named", 16, 100)
    b = seg("'requests'", a.box.right + 14, 100)
    (line,) = merge_lines([a, b])
    (hit,) = locate((line,), "requests")
    cx, cy = hit.box.center
    assert b.box.contains_point(cx, cy)  # lands on the word, not in the gap
    (hit,) = locate((line,), "module")
    assert a.box.contains_point(*hit.box.center)


def test_translate_moves_the_parts_too():
    (line,) = merge_lines([seg("a b", 0, 0), seg("c", 40, 0)])
    moved = line.translate(100, 5)
    assert [p.box.x for p in moved.parts] == [100, 140] and moved.box.y == 5


def test_the_same_box_twice_and_empty_input_are_handled():
    a = seg("Submit", 10, 10)
    assert merge_lines([]) == ()
    assert [ln.text for ln in merge_lines([a, a])] == ["Submit", "Submit"]
