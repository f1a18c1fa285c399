"""The router on everyday media and volume phrasings: resuming said many ways, and the
volume turned down by the words said ("lower", "down", "quieter"), 10 points when no
number was said; and "put … on" that is not about music."""

from __future__ import annotations

import pytest

from assistant.agent.router import Router
from assistant.builtins.apps import OpenApp
from assistant.builtins.clipboard import ClipboardWrite
from assistant.builtins.media import MediaNext, MediaPause, MediaPlay, MediaResume
from assistant.builtins.volume import ChangeVolume, MuteAudio, SetVolume


@pytest.fixture(scope="module")
def router():
    tools = (MediaPause, MediaResume, MediaNext, MediaPlay, SetVolume, ChangeVolume,
             MuteAudio, OpenApp, ClipboardWrite)
    return Router([t.manifest for t in tools])


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("start the music again", "media_resume", {}),
    ("unpause the song", "media_resume", {}),
    ("resume playback", "media_resume", {}),
    ("play something by miles davis", "media_play", {"query": "miles davis"}),
    ("lower the volume by 10", "change_volume", {"percent": -10}),
    ("turn the volume down by 20 percent", "change_volume", {"percent": -20}),
    ("turn it up by 5 percent", "change_volume", {"percent": 5}),
    ("turn it down", "change_volume", {"percent": -10}),
    ("turn it up a bit", "change_volume", {"percent": 10}),
    ("louder please", "change_volume", {"percent": 10}),
    ("make the volume 50", "set_volume", {"percent": 50}),
    ("start firefox", "open_app", {"name": "firefox"}),
    # "put on {query}" with its anchor "on" unheard holds nothing and earns nothing
    ("put my address on the clipboard: 12 high street", "clipboard_write",
     {"text": "12 high street"}),
])
def test_media_and_volume_phrasings(router, said, tool, args):
    match = router.route(said)
    assert match is not None and not match.ambiguous, (said, match)
    assert (match.tool, match.args) == (tool, args)
