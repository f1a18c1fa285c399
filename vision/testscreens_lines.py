"""Test screens for whole lines and for payment redaction: terminals (dark and light,
small fonts, 150 % scaling) where the detector cuts a line into boxes, a dim build log,
two-column pages whose columns must stay apart, and a checkout page. Which screens
set the thresholds of vision/lines.py (dev) and which only measure them (held-out):
docs/vision-lines.md."""

from __future__ import annotations

from vision.testscreens import MONO, SANS, SANS_BOLD, ScreenPainter, TestScreen
from vision.types import Box

MONO_BOLD = "DejaVuSansMono-Bold.ttf"


# Coloured as error-prettifying shells print a traceback (the message in bold red, the
# module's name plain) and a log searched for "error:" shows the match (a highlight
# behind it): the change of colour inside a line is where the text detector cuts it.
MODULE_TRACEBACK = (
    "ana@desk:~/projects/invoice$ python sync_invoices.py",
    "Traceback (most recent call last):",
    '  File "/home/ana/projects/invoice/sync_invoices.py", line 3, in <module>',
    "    import requests",
    (("ModuleNotFoundError: No module named ", "err_bold"), ("'requests'", "fg")),
    "ana@desk:~/projects/invoice$",
)
MODULE_TRACEBACK_HL = (  # the name found by a search: a highlight behind it
    *MODULE_TRACEBACK[:4],
    (("ModuleNotFoundError: No module named ", "err"), ("'requests'", "hl")),
    MODULE_TRACEBACK[5],
)

BUILD_LOG = (
    "[ 92%] Building CXX object src/CMakeFiles/render.dir/scene.cpp.o",
    "[ 95%] Building CXX object src/CMakeFiles/render.dir/shader.cpp.o",
    "[ 97%] Linking CXX executable render",
    "Undefined symbols for architecture x86_64:",
    '  "Shader::compile()", referenced from:',
    "      Scene::load(std::string const&) in scene.cpp.o",
    "ld: symbol(s) not found for architecture x86_64",
    (("error:", "hl"), (" linker command failed with exit code 1", "fg")),
)


def text_of(line: str | tuple[tuple[str, str], ...]) -> str:
    return line if isinstance(line, str) else "".join(t for t, _ in line)


MODULE_ERROR = text_of(MODULE_TRACEBACK[4])
LINKER_ERROR = text_of(BUILD_LOG[-1])

LEFT_COLUMN = (
    "Install the client with pip and set",
    "the server address in config.toml.",
    "Each request carries a token that",
    "expires after one hour of idle time.",
    "Errors come back as JSON objects",
    "with a code and a message to show.",
)
RIGHT_COLUMN = (
    "Rate limits apply per account and",
    "reset at the start of every minute.",
    "Retries should wait twice as long",
    "after each failure, up to a minute.",
    "Webhooks are signed; check the",
    "signature before trusting a payload.",
)


def terminal(name: str, lines: tuple, *, dark: bool = True, font_px: int = 16,
             scale: float = 1.0, dim: bool = False, size: tuple[int, int] = (1280, 720)
             ) -> TestScreen:
    """A terminal window's text area. `lines`: plain strings, or styled spans (see
    ScreenPainter.spans); `scale` multiplies every length (150 % display scaling draws
    the same layout 1.5 times larger); `dim`: grey text, as build tools print logs."""
    w, h = round(size[0] * scale), round(size[1] * scale)
    bg = (24, 24, 28) if dark else (252, 252, 250)
    fg = ((115, 117, 122) if dim else (220, 220, 220)) if dark else (60, 60, 60)
    colours = {"fg": fg, "err": (230, 60, 60) if dark else (180, 20, 20),
               "err_bold": (230, 60, 60) if dark else (180, 20, 20),
               "bold": (245, 245, 245) if dark else (10, 10, 10),
               "hl": (20, 20, 20), "hl_bg": (230, 200, 60)}
    p = ScreenPainter((w, h), bg)
    px = round(font_px * scale)
    regular, bold = p.font(MONO, px), p.font(MONO_BOLD, px)
    fonts = {"fg": regular, "err": regular, "hl": regular, "err_bold": bold, "bold": bold}
    y, step = round(20 * scale), round(px * 1.45)
    for line in lines:
        spans = ((line, "fg"),) if isinstance(line, str) else line
        p.spans(round(14 * scale), y, spans, fonts, colours)
        y += step
    return p.finish(name)


def two_columns(name: str, *, gutter_px: int = 48, font_px: int = 16,
                dark: bool = False) -> TestScreen:
    """A documentation page in two columns (left column padded to the same width, so
    the gutter between its longest line and the right column is `gutter_px`)."""
    bg, fg = ((30, 31, 34), (210, 210, 210)) if dark else ((255, 255, 255), (25, 25, 25))
    p = ScreenPainter((1280, 520), bg)
    sans, bold = p.font(SANS, font_px), p.font(SANS_BOLD, font_px + 6)
    p.text(40, 24, "API guide", bold, fg)
    widest = max(p.draw.textlength(t, font=sans) for t in LEFT_COLUMN)
    right_x = 40 + round(widest) + gutter_px
    y = 80
    for left, right in zip(LEFT_COLUMN, RIGHT_COLUMN, strict=True):
        p.text(40, y, left, sans, fg)
        p.text(right_x, y, right, sans, fg)
        y += round(font_px * 1.7)
    return p.finish(name)


def checkout(name: str = "checkout", *, label_above: bool = False) -> TestScreen:
    """A checkout page: card number, expiry, CVC and an IBAN in form fields, labels
    beside the values (or above them), and an order total that must stay readable."""
    p = ScreenPainter((1280, 640), (246, 247, 249))
    sans, bold = p.font(SANS, 18), p.font(SANS_BOLD, 22)
    ink, field = (25, 25, 30), (255, 255, 255)
    p.text(60, 30, "Checkout", bold, ink)
    p.text(60, 80, "Order 20417: 3 items, total 129.00 EUR, delivery in 3 days", sans, ink)
    rows = (("Card number", "4242 4242 4242 4242"), ("Expiry", "08/27"), ("CVC", "737"),
            ("IBAN", "DE89 3704 0044 0532 0130 00"))
    y = 140
    for label, value in rows:
        if label_above:
            p.text(60, y, label, sans, ink)
            box = Box(60, y + 30, 460, 40)
            y += 100
        else:
            p.text(60, y + 9, label, sans, ink)
            box = Box(220, y, 460, 40)
            y += 64
        p.rect(box, field, (170, 170, 180))
        p.text(box.x + 12, box.y + 9, value, sans, ink)
    p.text(60, y + 20, "API token: sk-live-9fA3kQ7mZ2xW8pL4tR6vB1nC5", sans, ink)
    return p.finish(name + ("-labels-above" if label_above else ""))


def dev_screens() -> tuple[TestScreen, ...]:
    """The screens the joining thresholds were tuned on."""
    return (terminal("terminal-dark", MODULE_TRACEBACK),
            terminal("build-log-dim", BUILD_LOG, dim=True),
            two_columns("two-columns"))


def heldout_screens() -> tuple[TestScreen, ...]:
    """Screens never looked at while tuning: only measured."""
    return (terminal("terminal-light-15px", MODULE_TRACEBACK, dark=False, font_px=15),
            terminal("terminal-dark-highlight-15px", MODULE_TRACEBACK_HL, font_px=15),
            terminal("terminal-dark-12px", MODULE_TRACEBACK, font_px=12),
            terminal("terminal-150pct", MODULE_TRACEBACK, scale=1.5),
            terminal("build-log-dim-150pct", BUILD_LOG, dim=True, scale=1.5),
            terminal("build-log-dim-14px", BUILD_LOG, dim=True, font_px=14),
            two_columns("two-columns-narrow-dark", gutter_px=28, dark=True))
