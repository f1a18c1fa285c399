"""The controls of a form or dialog, from a screenshot and its OCR lines: buttons,
text fields (with their labels), drop-downs and checkboxes. Controls are drawn as
rectangles (a border, or a fill that differs from around them) in every toolkit and
theme; OpenCV finds the rectangles, and the text inside or beside each says what it
is. A button without any border (a flat style) is still found by its word when it is
one of the words buttons say ("OK", "Cancel", "Sign in" …).

Pure functions of pixels and lines: no screen access here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from vision.types import Box, OcrLine

# Words a button says on its own (for borderless, flat buttons); case-insensitive.
BUTTON_WORDS = frozenset("""ok cancel yes no close apply save submit send next back
continue retry ignore abort done finish confirm delete remove add edit open browse
search login logout register upload download install update accept decline agree
allow deny skip help reset clear refresh print share buy checkout pay""".split())
BUTTON_PHRASES = re.compile(r"^(sign (in|up|out)|log (in|out)|place order|pay now|add to "
                            r"cart|don'?t save|save as|create account|try again|learn more|"
                            r"go back|not now|get started)$", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w' ]+")


class ControlKind(StrEnum):
    BUTTON = "button"
    FIELD = "field"  # a text box (empty, or showing its value or a placeholder)
    DROPDOWN = "dropdown"
    CHECKBOX = "checkbox"


@dataclass(frozen=True)
class Control:
    kind: ControlKind
    label: str  # the button's text, the field's label, the checkbox's text ("" unknown)
    box: Box  # the control itself, in screen pixels
    value: str = ""  # what a field or drop-down shows
    label_box: Box | None = None

    def to_dict(self) -> dict:
        out = {"kind": self.kind.value, "label": self.label, "box": self.box.to_dict()}
        if self.value:
            out["value"] = self.value
        return out


def find_rectangles(image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[Box]:
    """Axis-aligned rectangles drawn on `image` (H, W, 3 RGB), in screen pixels: the
    outlines of controls, panels and windows, nested ones included."""
    import cv2

    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    edges = cv2.dilate(cv2.Canny(gray, 15, 40), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    width = image.shape[1]
    found: list[Box] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w < 10 or h < 10 or w > width * 0.95:
            continue
        if cv2.contourArea(contour) < 0.8 * w * h:  # not a rectangle's outline
            continue
        box = Box(x + origin[0], y + origin[1], w, h)
        twin = next((i for i, other in enumerate(found) if _same_box(box, other)), None)
        if twin is None:
            found.append(box)
        elif box.area > found[twin].area:  # a border's outer edge, not its inner one
            found[twin] = box
    return found


def controls_on(image: np.ndarray, origin: tuple[int, int], lines: Sequence[OcrLine]
                ) -> list[Control]:
    """The controls of a grab (`image` at screen `origin`) whose OCR lines are `lines`."""
    return find_controls(lines, find_rectangles(image, origin), image, origin)


def find_controls(lines: Sequence[OcrLine], rectangles: Sequence[Box],
                  image: np.ndarray | None = None, origin: tuple[int, int] = (0, 0)
                  ) -> list[Control]:
    """What each control-sized rectangle is, from the text in or beside it (and, with
    the `image`, a drop-down's arrow); then the borderless buttons. In reading order."""
    text_h = _median_text_height(lines)
    used: set[int] = set()  # lines that are a control's own text or label
    controls: list[Control] = []
    for rect in sorted(rectangles, key=lambda b: (b.y, b.x)):
        if not _control_sized(rect, text_h) or _title_bar(rect, rectangles):
            continue
        inside = [i for i, ln in enumerate(lines) if _inside(ln.box, rect)]
        if len(inside) > 1:
            continue  # a panel or a list, not one control
        arrow = image is not None and _has_arrow(image, origin, rect, text_h)
        control = _classify(rect, lines, inside[0] if inside else None, text_h, used, arrow)
        if control is not None and not any(_same_box(control.box, c.box) for c in controls):
            controls.append(control)
    for i, line in enumerate(lines):
        if i not in used and _button_words(line.text) and line.box.h <= 1.3 * text_h \
                and not _has_neighbour(line, lines, text_h) \
                and not any(c.box.intersects(line.box) for c in controls):
            # not a heading, nor one word of a menu bar or a sentence
            controls.append(Control(ControlKind.BUTTON, _clean(line.text), line.box))
    return sorted(controls, key=lambda c: (c.box.y // max(1, text_h), c.box.x))


def _classify(rect: Box, lines: Sequence[OcrLine], inner: int | None, text_h: int,
              used: set[int], arrow: bool) -> Control | None:
    square = abs(rect.w - rect.h) <= max(3, rect.h // 5) and rect.h <= 2 * text_h + 6
    if square and inner is None:  # a checkbox (or a radio button): its text is right of it
        label = _beside(rect, lines, used, right=True)
        if label is None:
            return None
        used.add(label)
        return Control(ControlKind.CHECKBOX, _clean(lines[label].text), rect,
                       label_box=lines[label].box)
    if inner is not None:
        line = lines[inner]
        used.add(inner)
        left_gap = line.box.x - rect.x
        right_gap = rect.right - line.box.right
        centred = abs(left_gap - right_gap) <= max(8, rect.w * 0.15)
        if centred and rect.w <= 30 * text_h:
            return Control(ControlKind.BUTTON, _clean(line.text), rect)
        kind = ControlKind.DROPDOWN if arrow else ControlKind.FIELD  # a value, or a choice
        label = _field_label(rect, lines, used)
        return Control(kind, _clean(lines[label].text) if label is not None else "", rect,
                       value=line.text.strip(),
                       label_box=lines[label].box if label is not None else None)
    if rect.w < 3 * rect.h:
        return None  # an empty box that is not shaped like a text field
    label = _field_label(rect, lines, used)
    if label is None:
        return None
    return Control(ControlKind.FIELD, _clean(lines[label].text), rect,
                   label_box=lines[label].box)


def _field_label(rect: Box, lines: Sequence[OcrLine], used: set[int]) -> int | None:
    """The label left of a field on its row, else just above it."""
    label = _beside(rect, lines, used, right=False)
    if label is None:
        above = [i for i, ln in enumerate(lines) if i not in used
                 and 0 <= rect.y - ln.box.bottom <= max(12, rect.h)
                 and ln.box.x < rect.right and ln.box.right > rect.x
                 and abs(ln.box.x - rect.x) <= max(20, rect.w // 3)]
        label = min(above, key=lambda i: rect.y - lines[i].box.bottom) if above else None
    if label is not None:
        used.add(label)
    return label


def _beside(rect: Box, lines: Sequence[OcrLine], used: set[int], right: bool) -> int | None:
    """The unused line on the rectangle's row nearest its right (or left) side."""
    cy = rect.y + rect.h / 2
    best, best_gap = None, None
    for i, ln in enumerate(lines):
        if i in used or abs((ln.box.y + ln.box.h / 2) - cy) > max(ln.box.h, rect.h) / 2:
            continue
        gap = ln.box.x - rect.right if right else rect.x - ln.box.right
        overhang = rect.w + 8 if right else 6  # OCR boxes pad text (or take the box in)
        if -overhang <= gap <= max(40, 10 * rect.h) and (best_gap is None or gap < best_gap):
            best, best_gap = i, gap
    return best


def _has_arrow(image: np.ndarray, origin: tuple[int, int], rect: Box, text_h: int) -> bool:
    """A drop-down's arrow (a chevron, a triangle): ink in the box's right end, where a
    text field is blank."""
    x1 = rect.right - origin[0] - 3
    x0 = max(rect.x - origin[0] + 3, x1 - int(1.5 * text_h))
    y0, y1 = rect.y - origin[1] + 4, rect.bottom - origin[1] - 4
    if x1 - x0 < 4 or y1 - y0 < 4 or y0 < 0 or x0 < 0:
        return False
    strip = image[y0:y1, x0:x1].astype(np.int16).mean(axis=2)
    background = float(np.median(strip))
    return int((np.abs(strip - background) > 60).sum()) >= 6


def _has_neighbour(line: OcrLine, lines: Sequence[OcrLine], text_h: int) -> bool:
    """Another line on its row close by (a menu bar, a tab strip, a sentence)."""
    cy = line.box.y + line.box.h / 2
    for other in lines:
        if other is line or abs(other.box.y + other.box.h / 2 - cy) > text_h / 2:
            continue
        gap = max(other.box.x - line.box.right, line.box.x - other.box.right)
        if gap < 3 * text_h:
            return True
    return False


def _control_sized(rect: Box, text_h: int) -> bool:
    if abs(rect.w - rect.h) <= max(3, rect.h // 5):  # a checkbox may be smaller than text
        return text_h * 0.5 <= rect.h <= text_h * 2 + 6
    return text_h * 0.75 <= rect.h <= text_h * 4 + 12 and rect.w <= 60 * text_h


def _title_bar(rect: Box, rectangles: Sequence[Box]) -> bool:
    """A strip as wide as the rectangle it tops (a window's title bar, a panel's
    header), not a control."""
    return any(outer.h > 2 * rect.h and abs(outer.w - rect.w) <= 6
               and 0 <= rect.y - outer.y <= 4 for outer in rectangles)


def _inside(line: Box, rect: Box) -> bool:
    """The line is the rectangle's own text (OCR boxes overhang thin controls)."""
    cx, cy = line.center
    return rect.grow(2).contains_point(cx, cy) and line.h <= rect.h * 1.8 + 4 and \
        line.x >= rect.x - 6 and line.right <= rect.right + 6


def _same_box(a: Box, b: Box) -> bool:
    return (abs(a.x - b.x) <= 3 and abs(a.y - b.y) <= 3 and abs(a.w - b.w) <= 6
            and abs(a.h - b.h) <= 6)


def _median_text_height(lines: Sequence[OcrLine]) -> int:
    heights = sorted(ln.box.h for ln in lines)
    return max(8, heights[len(heights) // 2]) if heights else 16


def _clean(text: str) -> str:
    return text.strip().rstrip(":").strip()


def _button_words(text: str) -> bool:
    words = _PUNCT.sub(" ", text).lower().split()
    if not words or len(words) > 3:
        return False
    return (len(words) == 1 and words[0] in BUTTON_WORDS) or bool(
        BUTTON_PHRASES.match(" ".join(words)))
