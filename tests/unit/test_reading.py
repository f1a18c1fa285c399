"""What "read this to me" reads: selected text and a window's OCR lines become flowing
sentences in reading order, and "read from <words>" finds where to start even when OCR
or the ear got a letter wrong."""

from __future__ import annotations

import random

import pytest

from assistant.builtins.reading import find_start, flow, selection_text, window_text
from assistant.voice.sentences import split_for_speech
from vision.types import Box, OcrLine

ARTICLE = """Herons of the marsh

The grey heron stands still at the edge of the water for a long
time, waiting for a fish to come close. Then it strikes with its bill.

Nesting
Herons nest in colonies, high in the trees. A colony may hold hundreds of
nests, and the same trees are used year after year.
- eggs are laid in March
- the young fly after fifty days"""


def test_selected_lines_that_wrap_join_and_headings_and_items_end_a_sentence():
    text = selection_text(ARTICLE)
    assert text.split("\n") == [
        "Herons of the marsh.",
        "The grey heron stands still at the edge of the water for a long time, waiting "
        "for a fish to come close. Then it strikes with its bill.",
        "Nesting.",
        "Herons nest in colonies, high in the trees. A colony may hold hundreds of nests, "
        "and the same trees are used year after year.",
        "- eggs are laid in March.",
        "- the young fly after fifty days."]
    # what the speech output says, piece by piece: the heading alone, first
    assert split_for_speech(text)[:2] == ["Herons of the marsh.",
                                          "The grey heron stands still at the edge of "
                                          "the water for a long time, waiting for a fish "
                                          "to come close."]


def test_a_word_hyphenated_across_a_wrap_is_one_word():
    assert flow(["the exam-", "ple shows it."], [False, True]) == "the example shows it."
    assert flow(["a well-", "Known name"], [False, True]) == "a well- Known name."


def _line(text: str, x: int, y: int, w: int = 0, h: int = 20) -> OcrLine:
    return OcrLine(text, Box(x, y, w or 11 * len(text), h), 0.95)


def test_window_lines_are_read_top_to_bottom_and_left_to_right_whatever_order_ocr_gave():
    lines = [
        _line("Chapter One", 40, 20),
        _line("It was a bright cold day in April, and the", 40, 70, 480),
        _line("clocks were striking thirteen.", 40, 96, 330),
        _line("Winston Smith slipped quickly", 40, 150, 480),  # a gap: a new paragraph
        _line("through the glass doors.", 40, 176, 270),
        _line("Page 1", 40, 240), _line("Next", 400, 241),  # one row, two pieces
    ]
    shuffled = lines[:]
    random.Random(4).shuffle(shuffled)
    assert window_text(shuffled).split("\n") == [
        "Chapter One.",
        "It was a bright cold day in April, and the clocks were striking thirteen.",
        "Winston Smith slipped quickly through the glass doors.",
        "Page 1 Next."]


def test_an_empty_window_reads_nothing():
    assert window_text([]) == ""
    assert selection_text("") == ""
    assert selection_text(" \n\n ") == ""


PAGE = ("Herons of the marsh.\nThe grey heron stands still at the edge of the water. "
        "Then it strikes with its bill! Herons nest in colonies; a colony may hold "
        "hundreds of nests.\nThe young fly after fifty days.")


@pytest.mark.parametrize(("words", "starts"), [
    ("strikes with its bill", "Then it strikes"),  # the sentence holding the words
    ("THEN IT STRIKES", "Then it strikes"),  # case
    ("a colony may hold", "a colony may hold"),  # a semicolon ends a spoken piece too
    ("the young", "The young fly"),
    ("grey heron", "The grey heron"),
    ("gray heron stands", "The grey heron"),  # spelt another way
    ("hundreds of rests", "a colony may hold"),  # misheard
])
def test_read_from_starts_at_the_sentence_with_the_words(words, starts):
    found = find_start(PAGE, words)
    assert found is not None, words
    assert PAGE[found.start:].startswith(starts), (words, PAGE[found.start:][:30])


def test_read_from_tolerates_ocr_slips_and_dropped_spaces():
    ocr = "Introduction.\nThe modem world is fast. Wecarry phones everywhere."
    assert ocr[find_start(ocr, "the modern world").start:].startswith("The modem world")
    assert ocr[find_start(ocr, "we carry phones").start:].startswith("Wecarry")


def test_read_from_words_that_are_not_there_finds_nothing():
    assert find_start(PAGE, "quantum chromodynamics") is None
    assert find_start(PAGE, "...") is None
    assert find_start(PAGE, "cat") is None  # not inside another word ("communicate")


def test_read_from_the_first_of_two_places_that_match_equally():
    text = "One. The end is near. Two. The end is near."
    assert find_start(text, "the end is near").start == text.index("The end")


def test_the_title_bar_is_not_the_window_text():
    lines = [_line("Herons-Notes", 300, 2, h=16), _line("Chapter One", 40, 40),
             _line("It was cold.", 40, 80)]
    assert window_text(lines, "Herons - Notes") == "Chapter One.\nIt was cold."
    assert window_text(lines, "Other") == "Herons-Notes.\nChapter One.\nIt was cold."
