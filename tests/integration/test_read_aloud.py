""""Read this to me" on a real X server (Xvfb + openbox) through the real core (router,
registry, policy, capabilities, audit): the selected text (X11's PRIMARY, set with
xclip) is read in full; with nothing selected, the active window (a real Qt window) is
read with real OCR in reading order; "read from <words>" starts at their sentence; a
secret in the selection is masked before it is spoken. And as a voice turn (scripted
microphone, ASR and voice: tests/unit/voice_fakes.py; everything else real): the
reading starts after its first piece is synthesized, not the whole text, and speech
over it, then "stop", silences it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.builtins.reading import selection_text
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.events import CallSource, SpeechOutStarted
from assistant.paths import HeronPaths
from assistant.voice.feed import FrameFeed
from assistant.voice.pipeline import VoicePipeline
from assistant.voice.sentences import split_for_speech
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import StateOwner
from bench.xserver import session_display
from vision.options import VisionOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fixtures.windows.qt_window import ARTICLE  # noqa: E402
from fixtures.windows.xdesktop import running_desktop  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import voice_fakes as vf  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.slow]

SELECTED = ("Chapter two.\nThe lighthouse keeper climbed the stairs every evening at "
            "dusk,\ncounting each step out loud. There were one hundred and twelve of "
            "them.\nAt the top he lit the lamp and watched the ships.")


def select(display: str, text: str) -> None:
    """Make `text` the PRIMARY selection, as selecting it with the mouse does (xclip
    forks and owns it until something else is selected)."""
    if shutil.which("xclip") is None:
        pytest.fail("xclip missing: run `scripts/system-deps.sh test`")
    subprocess.run(["xclip", "-selection", "primary", "-i"], input=text.encode(),
                   env={**os.environ, "DISPLAY": display}, check=True, timeout=10)


@pytest.fixture(scope="module")
def desktop():
    # the clipboard backend reads the session's DISPLAY
    with running_desktop() as desk, session_display(desk.display):
        yield desk


@pytest.fixture(scope="module")
def article(desktop):
    win = desktop.open("article", "Herons - Notes", 200, 120, 900, 420)
    desktop.xdotool("search", "--name", "Herons - Notes", "windowactivate", "--sync")
    yield win
    desktop.close(win)


@pytest.fixture(scope="module")
def core(desktop, article, tmp_path_factory):
    root = tmp_path_factory.mktemp("heron")
    c = build_core(HeronPaths(root / "c", root / "d", root / "k"),
                   HeronConfig(vision=VisionOptions(display=desktop.display)))
    yield c
    c.close()


def ask(core, text: str):
    """A spoken request (no approval needed for the clipboard by voice)."""
    reply = asyncio.run(core.agent.handle(text, source=CallSource.VOICE))
    (outcome,) = reply.tool_calls
    assert (outcome.tool, outcome.status) == ("read_aloud", "ok"), outcome.to_dict()
    return reply, outcome.result


def test_the_selected_text_is_read_in_full(core, desktop):
    select(desktop.display, SELECTED)
    reply, result = ask(core, "read this to me")
    assert result["source"] == "selection"
    # every word, in order; lines that wrapped mid-sentence joined
    assert reply.text == selection_text(SELECTED)
    assert reply.text.endswith("watched the ships.")
    assert "dusk, counting each step" in reply.text
    assert reply.reads_aloud
    rows = core.audit.entries(limit=20)
    assert [r["tool"] for r in rows if r["kind"] == "call"][-1] == "read_aloud"


def test_a_secret_in_the_selection_is_masked_before_it_is_said(core, desktop):
    select(desktop.display, "Log in to the router. Its password: Tr0ub4dor&3x9 for now.")
    reply, result = ask(core, "read the selection")
    assert "Tr0ub4dor" not in reply.text and "Tr0ub4dor" not in str(result)
    assert reply.text.startswith("I masked 1 private item (password).")
    assert result["redacted"] == {"password": 1}


def test_read_from_words_starts_at_their_sentence_in_the_selection(core, desktop):
    select(desktop.display, SELECTED)
    reply, result = ask(core, "read from one hundred and twelve")
    assert result["found"] is True
    assert reply.text.startswith("There were one hundred and twelve of them.")
    reply, result = ask(core, "start reading from the purple elephant")
    assert result["found"] is False
    assert reply.text == "I can't find \u201cthe purple elephant\u201d in the selection."
    assert not reply.reads_aloud


def test_with_nothing_selected_the_active_window_is_read_in_reading_order(core, desktop):
    select(desktop.display, "")  # a selection with nothing in it
    reply, result = ask(core, "read this to me")
    assert result["source"] == "window" and result["origin"] == "screen"
    said = " ".join(reply.text.lower().split())
    firsts = ["herons of the marsh", "the grey heron stands still", "then it strikes",
              "herons nest in colonies", "fifty days"]
    where = [said.find(w) for w in firsts]
    assert -1 not in where, (firsts, said)
    assert where == sorted(where), said  # reading order
    # the heading ends a sentence of its own; a wrapped paragraph is one flow of text
    assert said.startswith("herons of the marsh.")
    assert "long time, waiting for a fish" in said or "long time waiting for a fish" in said


def test_read_from_words_on_the_window(core, desktop):
    select(desktop.display, "")
    reply, result = ask(core, "read this page from then it strikes")
    assert result["source"] == "window" and result["found"] is True
    assert reply.text.lower().startswith("then it strikes with its long bill.")
    assert "fifty days" in reply.text
    assert ARTICLE[0] not in reply.text  # nothing before it


LONG = " ".join(f"Sentence number {n} of the story goes on for a little while longer."
                for n in range(1, 13))


class SlowVoice(vf.ScriptedVoice):
    """Takes `synth_s` to synthesize each piece, as a real voice takes time."""

    def __init__(self, synth_s: float = 0.15) -> None:
        super().__init__(word_ms=300)
        self.synth_s = synth_s

    def synthesize(self, text):
        time.sleep(self.synth_s)
        yield from super().synthesize(text)


class Transcripts(vf.ScriptedTranscriber):
    """Hears each text in turn (the next for each utterance)."""

    def __init__(self, *texts: str) -> None:
        super().__init__(texts[0])
        self.texts = list(texts)

    def transcribe(self, samples, *args, **kwargs):
        heard = super().transcribe(samples, *args, **kwargs)
        if heard.text and len(self.texts) > 1:
            self.texts.pop(0)
            self.text = self.texts[0]
        return heard


def test_a_spoken_reading_starts_after_its_first_piece_and_stop_silences_it(
        core, desktop, tmp_path):
    select(desktop.display, LONG)
    voice = SlowVoice()
    stack = vf.stack(tmp_path, Transcripts("read this to me", "stop"), voice)
    output = SpeechOutput(stack, core.bus, StateOwner(core.bus), vf.RecordingSink())
    turns = VoicePipeline(stack, core.agent, core.bus, output)
    made_before_first_audio = []
    core.bus.subscribe(lambda e: made_before_first_audio.append(len(voice.pieces)),
                       SpeechOutStarted)
    # the request, then the user talks over the reading, then says "stop"
    feed = FrameFeed(vf.frames(vf.silence(400), vf.wake_word(), vf.silence(240),
                               vf.speech(1200), vf.silence(1500), vf.silence(2000),
                               vf.speech(800, seed=1), vf.silence(1500), realtime=True))

    async def two_turns():
        first = await turns.run_turn(feed, use_wake=True, barge_in_allowed=True)
        second = await turns.run_turn(feed, use_wake=False, barge_in_allowed=True)
        return first, second

    first, second = asyncio.run(two_turns())
    assert [c.tool for c in first.reply.tool_calls] == ["read_aloud"]
    pieces = split_for_speech(first.reply.text)
    assert len(pieces) >= 12
    # the first audio played when one piece (at most the next too) had been made
    assert made_before_first_audio[0] <= 2
    assert first.interrupted == "speech"  # talked over: silenced at once
    assert "stop" in output.sink.calls
    assert first.reply_audio_ms < len(first.reply.text.split()) * 300
    assert second.status == "stopped" and second.transcript == "stop"
