"""DesktopBackends: which backend a scope reaches, and what the doctor is told."""

from __future__ import annotations

import asyncio

import pytest

from assistant.tools.backends import DesktopBackends
from assistant.tools.capabilities import SIMPLE_SCOPES, Capabilities
from models.errors import CodedError


class Clip:  # stands in for a clipboard tool (the real one is tested against Xvfb)
    def __init__(self):
        self.text = ""

    def read(self):
        return self.text

    def write(self, text):
        self.text = text


def test_both_clipboard_scopes_reach_the_one_clipboard():
    clip = Clip()
    caps = Capabilities("w", ["clipboard.read", "clipboard.write"],
                        backends=DesktopBackends(clipboard=clip))
    caps.backend("clipboard.write").write("hi")
    assert caps.backend("clipboard.read").read() == "hi"


def test_every_scope_reaches_only_its_own_backend():
    parts = {name: object() for name in ("clipboard", "apps", "screen", "input", "camera",
                                         "media", "volume", "sensors")}
    backends = DesktopBackends(**parts)
    reached = {scope: backends.for_scope(scope) for scope in sorted(SIMPLE_SCOPES)}
    assert reached == {
        "apps.launch": parts["apps"], "audio.volume": parts["volume"],
        "camera": parts["camera"], "clipboard.read": parts["clipboard"],
        "clipboard.write": parts["clipboard"], "input.control": parts["input"],
        "media.control": parts["media"], "mic": None, "notify": None,
        "screen.read": parts["screen"], "shell": None, "system": None,
        "home.control": None}  # Home Assistant is reached over HTTP by its tool


def test_a_scope_nothing_provides_is_a_coded_error():
    caps = Capabilities("w", ["notify", "camera"], backends=DesktopBackends(clipboard=Clip()))
    for attempt in (lambda: caps.backend("notify"), lambda: asyncio.run(caps.camera_frame())):
        with pytest.raises(CodedError) as err:
            attempt()
        assert err.value.code == "capability.unavailable"
