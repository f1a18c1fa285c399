"""The running Heron (`heron run --headless`) reads the selected text aloud, in one
virtual room (PulseAudio: the speaker's sink is the microphone) on a real X server
whose PRIMARY selection holds the text: asked by voice ("Okay Nabu. Read this to me."),
it reads until the user says "Stop."; asked with `heron ask` (the clipboard question
answered on the terminal), the running Heron speaks the reading too."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from headless import HeadlessHeron, of_type
from helpers import REPO, write_wav

from assistant.voice.sentences import split_for_speech

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_read_aloud import desktop, select  # noqa: E402, F401  (the X server fixture)

pytestmark = [pytest.mark.slow, pytest.mark.audio, pytest.mark.gui]

STORY = " ".join(f"This is sentence {n} of a long story about the sea and its ships."
                 for n in range(1, 16))


def ask_on_a_terminal(home: Path, env: dict[str, str], text: str, answer: str):
    """`heron ask TEXT --json` with a terminal as its input, `answer` typed ahead."""
    main, tty = pty.openpty()
    try:
        os.write(main, answer.encode() + b"\n")
        return subprocess.run([sys.executable, "-m", "assistant", "ask", text, "--json"],
                              cwd=REPO, env={**env, "HERON_HOME": str(home)}, stdin=tty,
                              capture_output=True, text=True, timeout=180, check=False)
    finally:
        os.close(tty)
        os.close(main)


def test_running_heron_reads_the_selection_until_told_to_stop(tmp_path, pulse, speak,
                                                              desktop):  # noqa: F811
    env = {**pulse.env, "DISPLAY": desktop.display}
    select(desktop.display, STORY)
    first_piece = split_for_speech(STORY)[0]
    ask = write_wav(tmp_path / "ask.wav", speak("Okay Nabu. Read this to me.", tail_ms=200))
    cut_in = write_wav(tmp_path / "cut_in.wav", speak("Stop.", lead_ms=0))
    heron = HeadlessHeron(tmp_path, env, "--exit-after", "170")  # a safety net
    heron.wait_hearing()
    pulse.play(ask)
    started = heron.wait_type("SpeechOutStarted", 30)
    assert started["text"] == STORY  # the whole selection is what is being said
    time.sleep(1.5)
    pulse.play(cut_in)
    heron.wait_type("Interrupted", 20)
    heron.wait_for("the end of the stop turn",
                   lambda e: e["type"] == "StateChanged" and e["state"] == "idle", 30)
    # typed: the terminal answers the clipboard question, the running Heron reads it out
    asked = ask_on_a_terminal(tmp_path, env, "read this to me", "y")
    assert asked.returncode == 0, asked.stderr
    assert '"tool": "read_aloud"' in asked.stdout and first_piece in asked.stdout
    again = heron.wait_type("SpeechOutStarted", 60)
    assert again["text"] == STORY
    events = heron.stop()
    calls = [(e["tool"], e["status"]) for e in of_type(events, "ToolCallFinished")]
    assert calls == [("read_aloud", "ok"), ("read_aloud", "ok")]
    heard = [e["text"].lower().strip(".!") for e in of_type(events, "Transcript")]
    assert heard[-1] == "stop", heard
    cut = of_type(events, "Interrupted")
    assert cut and cut[0]["spoken_ms"] < 10_000  # far less than the whole story
