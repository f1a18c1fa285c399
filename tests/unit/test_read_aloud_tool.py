"""read_aloud through the real registry (policy, capabilities, audit): which text it
chooses. The selection stands in for X11's (tests/integration/test_read_aloud.py uses
the real one); the window is a drawn page read by the real OCR."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from assistant.audit import AuditLog
from assistant.builtins.desktop import DesktopError
from assistant.builtins.read_aloud import ReadAloud
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry
from vision.testscreens import SANS, ScreenPainter
from vision.types import Frame

PAGE = ("Tide tables", "High water is at noon today and again just after midnight.",
        "Low water follows about six hours later.")


class Selection:
    """The selected text, as the clipboard backend gives it (or an error)."""

    def __init__(self, text: str = "", error: DesktopError | None = None) -> None:
        self.text, self.error = text, error

    def read_primary(self) -> str:
        if self.error is not None:
            raise self.error
        return self.text


class Page:
    """The screen: a drawn page as the active window; notes what was grabbed."""

    def __init__(self) -> None:
        painter = ScreenPainter((900, 260), (255, 255, 255))
        font = painter.font(SANS, 20)
        for i, line in enumerate(PAGE):
            painter.text(30, 30 + 60 * i, line, font, (10, 10, 10))
        self.image = np.asarray(painter.image, dtype=np.uint8).copy()
        self.grabbed: list[str] = []

    def grab(self, target: str) -> Frame:
        self.grabbed.append(target)
        return Frame(self.image, source="window")

    def windows(self):
        return [], None

    def reconfigure(self, options) -> None:
        pass


@pytest.fixture(scope="module")
def ocr():
    return ScreenOcr()


@pytest.fixture
def reader(tmp_path, ocr):
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, b"k" * 32)

    def make(selection: Selection, page: Page) -> ToolRegistry:
        registry = ToolRegistry(EventBus(), audit, backends=DesktopBackends(
            clipboard=selection, screen=page))
        registry.register(ReadAloud(ocr))
        return registry

    make.audit = audit
    yield make
    storage.close()


def read(registry, **args):
    outcome = asyncio.run(registry.call(ToolCall("read_aloud", args, source="voice")))
    return outcome


def test_the_selection_is_read_and_the_screen_is_not_looked_at(reader):
    page = Page()
    out = read(reader(Selection("Line one of the\nselection. And more."), page))
    assert out.status == "ok"
    assert out.result["speech"] == "Line one of the selection. And more."
    assert out.result["source"] == "selection" and out.result["read_aloud"] is True
    assert page.grabbed == []
    uses = [(e["scope"], e["allowed"]) for e in reader.audit.entries(limit=20)
            if e["kind"] == "capability"]
    assert uses == [("clipboard.read", True)]


def test_with_nothing_selected_the_active_window_is_read_in_order(reader):
    page = Page()
    out = read(reader(Selection(""), page))
    assert out.status == "ok" and out.result["source"] == "window"
    assert page.grabbed == ["active"]
    said = " ".join(out.result["speech"].lower().split())
    assert said.startswith("tide tables.")
    assert said.index("high water") < said.index("low water")


def test_a_compositor_without_a_primary_selection_reads_the_window(reader):
    page = Page()
    no_primary = DesktopError("clipboard.failed", "Reading the selected text failed", "")
    out = read(reader(Selection(error=no_primary), page))
    assert out.status == "ok" and out.result["source"] == "window"


def test_asked_for_the_selection_with_none_says_so(reader):
    page = Page()
    out = read(reader(Selection(""), page), what="selection")
    assert (out.status, out.code) == ("error", "read.no_selection")
    assert page.grabbed == []


def test_asked_for_the_page_it_reads_the_window_even_with_a_selection(reader):
    page = Page()
    out = read(reader(Selection("something selected"), page), what="window")
    assert out.result["source"] == "window" and page.grabbed == ["active"]


def test_read_from_words_in_the_window(reader):
    out = read(reader(Selection(""), Page()), **{"from": "low water follows"})
    assert out.result["found"] is True
    assert out.result["speech"].lower().startswith("low water follows")
    out = read(reader(Selection(""), Page()), **{"from": "spring tides"})
    assert out.result["found"] is False and out.result["read_aloud"] is False
    assert out.result["speech"] == "I can't find \u201cspring tides\u201d in this window."


def test_no_session_is_an_error_that_says_what_to_do(reader):
    gone = DesktopError("clipboard.no_session", "I can't reach the clipboard: there is "
                        "no desktop session", "run Heron inside your desktop session")
    out = read(reader(Selection(error=gone), Page()))
    assert (out.status, out.code) == ("error", "clipboard.no_session")


def test_a_very_long_selection_is_read_up_to_the_limit_and_says_so(reader):
    from assistant.builtins.read_aloud import MAX_READ_CHARS

    long = "The same sentence again. " * (MAX_READ_CHARS // 20)
    out = read(reader(Selection(long), Page()))
    assert out.result["truncated"] is True
    assert len(out.result["text"]) <= MAX_READ_CHARS
    assert out.result["speech"].endswith("first 40 thousand characters.")
    assert read(reader(Selection("Short."), Page())).result["truncated"] is False
