"""Which rectangle is which control, from the text in or beside it (vision/controls.py),
and the sentences describe_screen and list_controls build from them."""

from __future__ import annotations

import numpy as np

from assistant.builtins.screen_describe import ScreenView, clickable, describe
from vision.controls import ControlKind, find_controls
from vision.types import Box, OcrLine
from vision.windows import WindowInfo


def line(text: str, x: int, y: int, w: int, h: int = 22) -> OcrLine:
    return OcrLine(text, Box(x, y, w, h), 0.95)


LINES = (
    line("Sign up", 120, 70, 90, 30),
    line("Email:", 120, 150, 50),  # left of its field
    line("Password", 120, 190, 80),  # above its field
    line("Remember me", 140, 262, 110),
    line("Standard plan", 124, 301, 110),
    line("Create account", 150, 352, 120),
    line("Cancel", 330, 352, 55),
    line("Help", 500, 352, 40),  # no border: a flat button
    line("Some paragraph of text that is no control at all", 120, 400, 420),
)
RECTS = (
    Box(100, 40, 600, 420),  # the window's client area: a panel, not a control
    Box(100, 40, 600, 20),  # its title strip
    Box(190, 146, 300, 30),  # Email field
    Box(120, 214, 300, 30),  # Password field (label above)
    Box(120, 264, 16, 16),  # checkbox
    Box(120, 298, 300, 30),  # drop-down showing its value
    Box(130, 345, 160, 36),  # Create account
    Box(310, 345, 100, 36),  # Cancel
)


def screenshot(arrow: bool) -> np.ndarray:
    """White, with the drop-down's arrow (a dark triangle at its right end) if asked."""
    image = np.full((500, 800, 3), 255, np.uint8)
    if arrow:
        for row in range(8):
            image[306 + row, 398 + row:412 - row] = 40
    return image


def test_each_rectangle_is_named_for_what_it_is():
    found = {(c.kind, c.label, c.value)
             for c in find_controls(LINES, RECTS, screenshot(arrow=True))}
    assert found == {
        (ControlKind.FIELD, "Email", ""),
        (ControlKind.FIELD, "Password", ""),
        (ControlKind.CHECKBOX, "Remember me", ""),
        (ControlKind.DROPDOWN, "", "Standard plan"),
        (ControlKind.BUTTON, "Create account", ""),
        (ControlKind.BUTTON, "Cancel", ""),
        (ControlKind.BUTTON, "Help", ""),
    }
    # without its arrow the same box is a text field showing what was typed in it
    plain = {(c.kind, c.value) for c in find_controls(LINES, RECTS, screenshot(arrow=False))}
    assert (ControlKind.FIELD, "Standard plan") in plain
    assert ControlKind.DROPDOWN not in {kind for kind, _ in plain}


def test_a_word_in_a_menu_bar_or_a_sentence_is_no_button():
    menu = (line("File", 10, 5, 30), line("Edit", 60, 5, 30), line("Help", 110, 5, 30),
            line("Open the file and press", 10, 100, 200), line("OK", 300, 100, 25))
    found = find_controls(menu, ())
    assert [(c.kind, c.label) for c in found] == [(ControlKind.BUTTON, "OK")]


def test_the_sentences_name_the_window_form_and_buttons():
    window = WindowInfo(1, "Sign up - Example", "firefox.Firefox", Box(100, 20, 600, 460))
    view = ScreenView(LINES, tuple(find_controls(LINES, RECTS, screenshot(arrow=True))),
                      ((window, window.title),), window)
    said = describe(view, [])
    assert said == ("The active window is “Sign up - Example”. It shows Sign up, with a "
                    "form with the fields Email and Password, a drop-down (Standard plan), "
                    "the checkbox Remember me and the buttons Create account, Cancel and "
                    "Help."), said
    assert clickable(view) == ("You can click the buttons Create account, Cancel and Help, "
                               "the checkbox Remember me and the drop-down Standard plan.")


def test_nothing_to_click_is_said_plainly():
    window = WindowInfo(2, "Notes", "gedit.Gedit", Box(0, 0, 800, 600))
    view = ScreenView((line("Just text", 10, 40, 100),), (), ((window, "Notes"),), window)
    assert clickable(view) == "I can't find anything to click in Notes."
