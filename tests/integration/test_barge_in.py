"""In one virtual room (the speaker's sink is the microphone): Heron never hears itself,
and the user can still interrupt it."""

from __future__ import annotations

import json
import time

import pytest
from headless import HeadlessHeron, of_type
from helpers import run_heron, write_wav

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def set_timers(home, env, labels, first_s, step_s):
    for i, label in enumerate(labels):
        asked = run_heron(home, "ask", f"set a timer for {first_s + i * step_s} seconds "
                          f"called {label}", "--json", env=env)
        assert json.loads(asked.stdout)["tool_calls"][0]["status"] == "ok", asked.stdout


def test_twenty_replies_in_the_room_are_never_heard_as_speech(tmp_path, pulse):
    # Without the wake word the VAD listens all the time: every reply that leaked
    # through would become an utterance.
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[wake]\nenabled = false\n")
    labels = ["tea", "pasta", "laundry", "bread", "eggs"] * 4
    set_timers(tmp_path, pulse.env, labels, first_s=8, step_s=2)
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "120")  # a safety net
    # (announcements that queue behind one another are one stretch of "speaking")
    heron.wait_for("twenty announcements spoken", lambda e: e["type"] == "StateChanged"
                   and e["state"] == "idle" and len(of_type(heron.seen,
                                                            "SpeechOutFinished")) >= 20, 100)
    time.sleep(2.0)  # the last reply's echo has died away: anything heard shows by now
    events = heron.stop()
    assert len(of_type(events, "TimerFired")) == 20
    assert of_type(events, "SpeechStarted") == []
    assert of_type(events, "Transcript") == []


def test_replies_that_say_the_wake_word_do_not_wake_it(tmp_path, pulse):
    set_timers(tmp_path, pulse.env, ["hey jarvis"] * 5, first_s=8, step_s=2)
    events = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "22").events()
    fired = of_type(events, "TimerFired")
    assert [e["label"] for e in fired] == ["hey jarvis"] * 5
    assert of_type(events, "WakeDetected") == []


def _long_reply_then(tmp_path, pulse, speak, interruption: str):
    """Ask for a long reply, talk over it a second after it starts; Heron's events."""
    set_timers(tmp_path, pulse.env, ["tea", "pasta", "laundry", "bread", "eggs"],
               first_s=600, step_s=60)
    ask = write_wav(tmp_path / "ask.wav", speak("Okay Nabu. List my timers.", tail_ms=200))
    cut_in = write_wav(tmp_path / "cut_in.wav", speak(interruption, lead_ms=0))
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "90")  # a safety net
    heron.wait_hearing()
    pulse.play(ask)
    heron.wait_type("SpeechOutStarted", 15)  # Heron starts answering
    time.sleep(1.0)
    pulse.play(cut_in)
    heron.wait_type("Interrupted", 15)
    heron.wait_type("Transcript", 20)  # what the user said over the reply
    heron.wait_for("the end of that turn",
                   lambda e: e["type"] == "StateChanged" and e["state"] == "idle", 30)
    time.sleep(2.0)  # anything said after that would show up now
    return heron.stop()


def test_wake_word_interrupts_a_long_reply_and_heron_listens(tmp_path, pulse, speak):
    events = _long_reply_then(tmp_path, pulse, speak, "Okay Nabu. What time is it?")
    interrupted = of_type(events, "Interrupted")
    assert len(interrupted) == 1 and interrupted[0]["reason"] in ("wake", "speech")
    long_reply = of_type(events, "Reply")[0]["text"]
    assert long_reply.startswith("You have 5 timers.")
    # cut short: far less audio played than the long reply takes
    assert interrupted[0]["spoken_ms"] < 6000
    calls = [e["tool"] for e in of_type(events, "ToolCallFinished")]
    assert calls == ["list_timers", "get_time"]


def test_saying_stop_silences_the_reply(tmp_path, pulse, speak):
    events = _long_reply_then(tmp_path, pulse, speak, "Stop.")
    assert len(of_type(events, "Interrupted")) == 1
    assert [e["text"].lower().strip(".!") for e in of_type(events, "Transcript")][-1] == "stop"
    assert [e["tool"] for e in of_type(events, "ToolCallFinished")] == ["list_timers"]
    assert len(of_type(events, "Reply")) == 1  # nothing said after "stop"
