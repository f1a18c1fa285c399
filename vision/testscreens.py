"""Synthetic screens with known text, drawn with Pillow and the DejaVu fonts: what the
OCR measurements in docs/models.md, the tests and `heron bench vision` read. Each line's
text and box are known, so accuracy is measured, not eyeballed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.errors import VisionError
from vision.types import Box

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
MONO = "DejaVuSansMono.ttf"
SANS = "DejaVuSans.ttf"
SANS_BOLD = "DejaVuSans-Bold.ttf"

TRACEBACK = (
    "Traceback (most recent call last):",
    '  File "/home/ana/projects/invoice/app.py", line 42, in <module>',
    "    main()",
    '  File "/home/ana/projects/invoice/app.py", line 37, in main',
    "    total = compute_total(items, tax_rate)",
    '  File "/home/ana/projects/invoice/billing.py", line 18, in compute_total',
    "    return subtotal + tax",
    "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
)


@dataclass(frozen=True)
class TextLine:
    text: str
    box: Box  # where the glyphs are drawn (screen pixels)


@dataclass(frozen=True, eq=False)
class TestScreen:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    image: np.ndarray  # (H, W, 3) uint8 RGB
    lines: tuple[TextLine, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class ScreenPainter:
    """Draws lines of text on a canvas and remembers where each one went."""

    def __init__(self, size: tuple[int, int] = (1920, 1080),
                 background: tuple[int, int, int] = (30, 30, 30)) -> None:
        from PIL import Image, ImageDraw

        self.image = Image.new("RGB", size, background)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[TextLine] = []

    @staticmethod
    def font(name: str, size_px: int):
        from PIL import ImageFont

        path = FONT_DIR / name
        if not path.is_file():
            raise VisionError("vision.bad_path", f"font {path} not found",
                              "install the DejaVu fonts: apt-get install fonts-dejavu-core")
        return ImageFont.truetype(str(path), size_px)

    def rect(self, box: Box, fill: tuple[int, int, int],
             outline: tuple[int, int, int] | None = None) -> None:
        self.draw.rectangle((box.x, box.y, box.right - 1, box.bottom - 1), fill=fill,
                            outline=outline)

    def text(self, x: int, y: int, text: str, font, fill: tuple[int, int, int]) -> Box:
        self.draw.text((x, y), text, font=font, fill=fill)
        left, top, right, bottom = self.draw.textbbox((x, y), text, font=font)
        box = Box(int(left), int(top), int(right - left), int(bottom - top))
        if text.strip():
            self.lines.append(TextLine(text, box))
        return box

    def spans(self, x: int, y: int, spans, fonts: dict, colours: dict) -> Box:
        """One line drawn in pieces of different style, as coloured terminals print
        them: `spans` is ((text, style), ...); a style names a font and a colour (and a
        highlight background, "hl"). Recorded as one line of text."""
        start, box = x, None
        for text, style in spans:
            font = fonts.get(style, fonts["fg"])
            width = self.draw.textlength(text, font=font)
            if style == "hl":
                size = font.size
                self.draw.rectangle((x, y - 2, x + width, y + round(size * 1.3)),
                                    fill=colours["hl_bg"])
            self.draw.text((x, y), text, font=font, fill=colours[style])
            left, top, right, bottom = self.draw.textbbox((x, y), text, font=font)
            piece = Box(int(left), int(top), int(right - left), int(bottom - top))
            box = piece if box is None else box.union(piece)
            x += round(width)
        text = "".join(t for t, _ in spans)
        box = box or Box(start, y, 1, 1)
        if text.strip():
            self.lines.append(TextLine(text, box))
        return box

    def finish(self, name: str) -> TestScreen:
        return TestScreen(name, np.asarray(self.image, dtype=np.uint8).copy(),
                          tuple(self.lines))


def terminal_traceback(size: tuple[int, int] = (1920, 1080), font_px: int = 16,
                       extra: tuple[str, ...] = ()) -> TestScreen:
    """A dark terminal: a shell prompt, a Python traceback, then `extra` lines."""
    p = ScreenPainter(size, (24, 24, 28))
    mono = p.font(MONO, font_px)
    step = int(font_px * 1.45)
    y = 24
    lines = ("ana@desk:~/projects/invoice$ python app.py --month march", *TRACEBACK,
             "ana@desk:~/projects/invoice$ git status --short", " M billing.py",
             "?? notes/march-invoices.txt", *extra)
    for line in lines:
        colour = (240, 90, 90) if line.startswith("TypeError") else (220, 220, 220)
        p.text(16, y, line, mono, colour)
        y += step
    return p.finish("terminal-traceback" if font_px == 16 else f"terminal-traceback-{font_px}px")


def light_document(size: tuple[int, int] = (1920, 1080), font_px: int = 17) -> TestScreen:
    """A light editor page: black prose on white, a heading, a list."""
    p = ScreenPainter(size, (250, 250, 250))
    sans, bold = p.font(SANS, font_px), p.font(SANS_BOLD, font_px + 7)
    p.text(120, 60, "Quarterly report: customer support", bold, (20, 20, 20))
    prose = (
        "Response times improved in every region this quarter.",
        "The median first reply took 3 hours and 12 minutes, down from 5 hours.",
        "Three things made the difference:",
        "1. A shared inbox with clear owners for each queue.",
        "2. Saved replies for the ten most common questions.",
        "3. Weekly reviews of the tickets that waited longest.",
        "Next quarter we will add phone support on weekdays from 9 to 17.",
        "Please send comments to the team before Friday, 14 June.",
    )
    y = 130
    for line in prose:
        p.text(120, y, line, sans, (30, 30, 30))
        y += int(font_px * 1.8)
    return p.finish("light-document")


def grey_on_dark(size: tuple[int, int] = (1920, 1080), font_px: int = 15) -> TestScreen:
    """Low-contrast text as dark themes draw comments, hints and status bars."""
    p = ScreenPainter(size, (32, 33, 36))
    sans, mono = p.font(SANS, font_px), p.font(MONO, font_px)
    rows = (
        (mono, (128, 128, 128), "# retry the upload three times before giving up"),
        (mono, (110, 118, 129), "# see docs/upload.md for the backoff rules"),
        (sans, (140, 140, 140), "Last saved 2 minutes ago"),
        (sans, (120, 120, 120), "Press Ctrl+Shift+P to open the command palette"),
        (sans, (100, 100, 100), "No results found for your search"),
        (mono, (150, 150, 150), "warning: unused variable 'attempts'"),
    )
    y = 80
    for font, colour, text in rows:
        p.text(60, y, text, font, colour)
        y += int(font_px * 2.2)
    return p.finish("grey-on-dark" if font_px == 15 else f"grey-on-dark-{font_px}px")


def dialog(size: tuple[int, int] = (1920, 1080), font_px: int = 15) -> TestScreen:
    """A modal dialog over a desktop: title, message, two buttons."""
    p = ScreenPainter(size, (58, 82, 110))
    sans, bold = p.font(SANS, font_px), p.font(SANS_BOLD, font_px)
    win = Box(660, 380, 600, 240)
    p.rect(win, (242, 242, 242), (90, 90, 90))
    p.rect(Box(win.x, win.y, win.w, 34), (220, 220, 224))
    p.text(win.x + 14, win.y + 9, "Save changes to budget.ods?", bold, (20, 20, 20))
    p.text(win.x + 24, win.y + 62, "Your changes will be lost if you close without saving.",
           sans, (40, 40, 40))
    p.text(win.x + 24, win.y + 92, "The document was last saved at 10:45.", sans, (40, 40, 40))
    for label, bx in (("Don't Save", 24), ("Cancel", 330), ("Save", 470)):
        btn = Box(win.x + bx, win.bottom - 56, 120, 34)
        fill = (52, 120, 220) if label == "Save" else (230, 230, 230)
        p.rect(btn, fill, (120, 120, 120))
        colour = (255, 255, 255) if label == "Save" else (20, 20, 20)
        p.text(btn.x + 18, btn.y + 8, label, sans, colour)
    return p.finish("dialog")


def all_screens() -> tuple[TestScreen, ...]:
    """The measured set: four kinds of screen at common sizes, and the two hardest at the
    small sizes dense UIs use (13 px monospace, 12 px grey hints)."""
    return (terminal_traceback(), light_document(), grey_on_dark(), dialog(),
            terminal_traceback(font_px=13), grey_on_dark(font_px=12))
