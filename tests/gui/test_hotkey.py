"""The global push-to-talk hotkey on a real X server: the key combination, pressed in
any window, reaches Heron; a bad combination or no X server is explained, not fatal."""

from __future__ import annotations

import subprocess
import threading

import pytest

from assistant.desktop.hotkey import start_hotkey

pytestmark = pytest.mark.gui


def press(display, keys: str) -> None:
    subprocess.run(["xdotool", "key", keys], env=display.env(), check=True, timeout=10)


def test_the_hotkey_fires_on_its_combination_only(tray_display, monkeypatch):
    monkeypatch.setenv("DISPLAY", tray_display.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    pressed = threading.Event()
    hits = []

    def on_press():
        hits.append(1)
        pressed.set()

    hotkey = start_hotkey("<ctrl>+<alt>+<space>", on_press)
    try:
        assert hotkey.active, hotkey.status
        press(tray_display, "alt+space")  # not the combination
        press(tray_display, "ctrl+alt+space")
        assert pressed.wait(10), "the hotkey never fired"
        press(tray_display, "space")
    finally:
        hotkey.stop()
    assert len(hits) == 1


def test_without_a_usable_hotkey_the_status_says_why():
    assert start_hotkey("", lambda: None).status == "off"
    wayland = start_hotkey("<ctrl>+<alt>+<space>", lambda: None,
                           env={"WAYLAND_DISPLAY": "wayland-0"})
    assert not wayland.active and "heron --toggle" in wayland.status
    headless = start_hotkey("<ctrl>+<alt>+<space>", lambda: None, env={})
    assert not headless.active and "no X display" in headless.status


def test_a_malformed_combination_is_explained(tray_display, monkeypatch):
    monkeypatch.setenv("DISPLAY", tray_display.display)
    bad = start_hotkey("<ctrl>+<nosuchkey>", lambda: None,
                       env={"DISPLAY": tray_display.display})
    assert not bad.active and "[desktop] hotkey" in bad.status
