"""What a person would say about the screen, in two or three sentences: the active
window, what it shows (its heading; a form's fields, drop-downs, checkboxes and
buttons), and any dialog or error. Also "what can I click here?": the buttons (and
checkboxes and drop-downs) of the active window. Pure text logic over the OCR lines,
the controls found on the screenshot (vision/controls.py) and the window list."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.builtins.screen_help import ErrorFinding, FindingKind, headings
from vision.controls import Control, ControlKind
from vision.types import Box, OcrLine
from vision.windows import WindowInfo

TITLE_BAR_TOP_PX = 6  # a line starting this close to the frame's top is its title bar
MAX_NAMED = 6  # controls named per kind in a sentence; the rest are counted
DIALOG_BUTTONS = frozenset({"ok", "cancel", "yes", "no", "close", "save", "don't save",
                            "dont save", "retry", "ignore", "abort", "continue", "apply",
                            "discard", "replace", "delete", "allow", "deny"})


@dataclass(frozen=True)
class ScreenView:
    """One reading of the screen, as describe_screen and list_controls see it."""

    lines: tuple[OcrLine, ...]
    controls: tuple[Control, ...]
    windows: tuple[tuple[WindowInfo, str], ...]  # (window, its redacted title), top first
    active: WindowInfo | None
    grabbed: Box | None = None  # the part of the screen read (None: all of it)

    def in_active(self) -> ScreenView:
        """Only what lies inside the active window (everything, when none is known or
        the part of the screen read does not show it)."""
        if self.active is None or (self.grabbed is not None
                                   and not self.active.box.intersects(self.grabbed)):
            return self
        area, title = self.active.box, self.active_title
        return ScreenView(tuple(ln for ln in self.lines if _within(ln.box, area)
                                and not _title_bar(ln, area, title)),
                          tuple(c for c in self.controls if _within(c.box, area)),
                          self.windows, self.active, self.grabbed)

    @property
    def active_title(self) -> str:
        if self.active is None:
            return ""
        return next((t for w, t in self.windows if w.id == self.active.id), "")


def describe(view: ScreenView, errors: Sequence[ErrorFinding]) -> str:
    here = view.in_active()
    sentences = [_window_sentence(view)]
    title = here.active_title
    heads = [h.text for h in headings(here.lines) if h.text.strip() != title]
    dialog = _dialog(here)
    if dialog is not None:
        sentences.append(dialog)
    else:
        shows = _controls_phrase(here.controls)
        if heads and shows:
            sentences.append(f"It shows {heads[0]}, with {shows}.")
        elif shows:
            sentences.append(f"It shows {shows}.")
        elif heads:
            sentences.append(f"It shows {'; '.join(heads[:2])}.")
        elif here.lines:
            sentences.append(f"It shows {len(here.lines)} lines of text.")
    serious = [e for e in errors if e.kind != FindingKind.WARNING]
    if serious:
        sentences.append(f"It looks like there is an error: {serious[0].said()}.")
    return " ".join(s for s in sentences if s)


def clickable(view: ScreenView) -> str:
    """"You can click: Cancel, Back and Place order; the checkbox Save this address." """
    here = view.in_active()
    buttons = [c.label for c in here.controls if c.kind == ControlKind.BUTTON and c.label]
    boxes = [c.label for c in here.controls if c.kind == ControlKind.CHECKBOX and c.label]
    menus = [c.label or c.value for c in here.controls if c.kind == ControlKind.DROPDOWN]
    if not (buttons or boxes or menus):
        where = f" in {here.active_title}" if here.active_title else ""
        return f"I can't find anything to click{where}."
    parts = []
    if buttons:
        parts.append(f"the button{'s' if len(buttons) > 1 else ''} {_names(buttons)}")
    if boxes:
        parts.append(f"the checkbox{'es' if len(boxes) > 1 else ''} {_names(boxes)}")
    if menus:
        parts.append(f"the drop-down{'s' if len(menus) > 1 else ''} {_names(menus)}")
    return f"You can click {_names(parts)}."


def _window_sentence(view: ScreenView) -> str:
    title = view.active_title
    others = len([w for w, t in view.windows if t and (view.active is None
                                                        or w.id != view.active.id)])
    more = f", and {others} other window{'s are' if others > 1 else ' is'} open" \
        if others else ""
    if title:
        return f"The active window is “{title}”{more}."
    if view.windows:
        return f"{len(view.windows)} window{'s are' if len(view.windows) > 1 else ' is'} open."
    return ""


def _controls_phrase(controls: Sequence[Control]) -> str:
    fields = [c.label for c in controls if c.kind == ControlKind.FIELD and c.label]
    menus = [c.label or c.value for c in controls if c.kind == ControlKind.DROPDOWN]
    boxes = [c.label for c in controls if c.kind == ControlKind.CHECKBOX and c.label]
    buttons = [c.label for c in controls if c.kind == ControlKind.BUTTON and c.label]
    parts = []
    if fields:
        parts.append(f"a form with the field{'s' if len(fields) > 1 else ''} {_names(fields)}")
    if menus:
        parts.append(f"a drop-down ({_names(menus)})" if len(menus) == 1
                     else f"{len(menus)} drop-downs ({_names(menus)})")
    if boxes:
        parts.append(f"the checkbox{'es' if len(boxes) > 1 else ''} {_names(boxes)}")
    if buttons:
        parts.append(f"the button{'s' if len(buttons) > 1 else ''} {_names(buttons)}")
    return _names(parts)


def _dialog(view: ScreenView) -> str | None:
    """A small window whose buttons are a dialog's (OK, Cancel, Don't Save …): what it
    says, and its buttons."""
    buttons = [c for c in view.controls if c.kind == ControlKind.BUTTON]
    if not buttons or len(buttons) > 4 or len(view.lines) > 8:
        return None
    if not all(c.label.casefold().replace("’", "'") in DIALOG_BUTTONS for c in buttons):
        return None
    title = view.active_title
    said = [ln.text.strip() for ln in view.lines
            if ln.text.strip() and ln.text.strip() != title
            and not any(c.box.intersects(ln.box) for c in buttons)]
    names = _names([c.label for c in buttons])
    if not said:
        return f"A dialog is open with the buttons {names}."
    message = " ".join(said)[:200].rstrip()
    if message[-1] not in ".?!":
        message += "."
    return f"A dialog says: {message} Its buttons are {names}."


def _names(items: Sequence[str]) -> str:
    """"A, B and C" (the first MAX_NAMED, then "N more")."""
    shown = [i for i in items if i][:MAX_NAMED]
    rest = len([i for i in items if i]) - len(shown)
    if rest > 0:
        shown = [*shown, f"{rest} more"]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _title_bar(line: OcrLine, area: Box, title: str) -> bool:
    """The window's own title, read off its title bar (the frame is part of `area`)."""
    if line.box.y <= area.y + TITLE_BAR_TOP_PX:
        return True
    if line.box.y > area.y + 1.5 * line.box.h or not title:  # below the title bar
        return False
    text = line.text.strip().casefold()
    return len(text) >= 3 and (text in title.casefold() or difflib.SequenceMatcher(
        None, text, title.casefold()).ratio() >= 0.75)


def _within(box: Box, area: Box) -> bool:
    cx, cy = box.center
    return area.contains_point(cx, cy)
