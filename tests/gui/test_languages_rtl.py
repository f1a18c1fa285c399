"""Arabic in the tray's windows: what was said and the reply read right to left (and
English beside it still left to right); the settings offer the language choice."""

from __future__ import annotations

import pytest

from assistant.config import HeronConfig
from assistant.events import Reply, ReplyDelta, Transcript

pytestmark = pytest.mark.gui

ARABIC_COMMAND = "اضبط مؤقت لمدة خمس دقائق"
ARABIC_REPLY = "تم ضبط المؤقت لمدة خمس دقائق"


def directions(window) -> dict[str, object]:
    doc = window.log.document()
    blocks = (doc.findBlockByNumber(i) for i in range(doc.blockCount()))
    return {b.text(): (b.textDirection(), b.blockFormat().layoutDirection())
            for b in blocks if b.text()}


def test_an_arabic_reply_reads_right_to_left(qapp):
    from PySide6.QtCore import Qt

    from gui.conversation_window import ConversationWindow

    rtl, ltr = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight
    window = ConversationWindow()
    try:
        window.on_event(Transcript(text=ARABIC_COMMAND, language="ar"))
        window.on_event(Reply(text=ARABIC_REPLY))
        window.on_event(Reply(text="It's 5:00 PM."))
        window.flush()
        shown = directions(window)
        assert shown[f"you (voice): {ARABIC_COMMAND}"] == (rtl, rtl)
        assert shown[f"Heron: {ARABIC_REPLY}"] == (rtl, rtl)
        assert shown["Heron: It's 5:00 PM."][0] == ltr

        window.on_event(Transcript(text="كم الساعة", is_final=False, language="ar"))
        window.on_event(ReplyDelta(text="الساعة"))
        window.flush()
        assert window.partial.layoutDirection() == rtl
        assert window.writing.layoutDirection() == rtl  # "Heron: " leads, Arabic rules
        window.on_event(Transcript(text="what time is it", is_final=False))
        window.flush()
        assert window.partial.layoutDirection() == ltr
    finally:
        window.deleteLater()


def test_settings_offer_the_language_and_write_it(qapp):
    from gui.settings_window import SettingsWindow

    window = SettingsWindow(HeronConfig(), [], [], [], False, "")
    patches: list[dict] = []
    window.changed.connect(patches.append)
    try:
        assert window.language.currentData() == ""  # English only, as before
        codes = [window.language.itemData(i) for i in range(window.language.count())]
        assert {"auto", "en", "de", "fr", "es", "ar"} <= set(codes)
        window.language.setCurrentIndex(window.language.findData("ar"))
        assert patches == [{"asr": {"language": "ar"}}]
        assert window.language.currentText() == "Arabic (ar)"
    finally:
        window.deleteLater()
