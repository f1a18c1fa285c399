"""The settings' wake word choices: okay nabu first and chosen by default, and the
words whose models are for non-commercial use only say so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.config import HeronConfig

pytestmark = pytest.mark.gui


def test_wake_choices_say_which_words_are_non_commercial(qapp):
    from gui.settings_window import SettingsWindow

    window = SettingsWindow(HeronConfig(), [], ["hey_heron"], [], False, "")
    patches: list[dict] = []
    window.changed.connect(patches.append)
    try:
        combo = window.wake_model
        items = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
        assert combo.currentData() == "okay_nabu" and items["okay_nabu"] == "okay nabu"
        for word in ("hey_jarvis", "alexa", "hey_mycroft", "hey_rhasspy"):
            assert items[word].endswith("(non-commercial)")
        assert items["hey_heron"] == "hey heron"  # your own recordings: yours
        combo.setCurrentIndex(combo.findData("alexa"))
        assert patches == [{"wake": {"model": "alexa"}}]
    finally:
        window.deleteLater()
    micro = replace(HeronConfig(), wake=replace(HeronConfig().wake, engines=("micro",)))
    window = SettingsWindow(micro, [], [], [], False, "")
    try:
        combo = window.wake_model
        assert combo.itemText(combo.findData("hey_jarvis")) == "hey jarvis"  # Apache-2.0
    finally:
        window.deleteLater()
