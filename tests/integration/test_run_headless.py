"""`heron run --headless` on a real (virtual) audio path: a command spoken into the
microphone gets a spoken reply on the speaker; timers fire after a restart."""

from __future__ import annotations

import json
import time

import pytest
from headless import HeadlessHeron, of_type
from helpers import espeak_wav, run_heron, sounds_like, words, write_wav

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def transcribe(home, wav) -> str:
    proc = run_heron(home, "transcribe", str(wav), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["text"]


def test_spoken_command_into_the_mic_is_answered_on_the_speaker(tmp_path, pulse, speak):
    command = write_wav(tmp_path / "command.wav", speak("Okay Nabu. What time is it?"))
    recording = tmp_path / "speaker.wav"
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "25")
    heron.wait_hearing()
    recorder = pulse.record(recording)
    pulse.play(command)  # into the room: the null sink, whose monitor is the mic
    heron.wait_type("SpeechOutFinished", 20)
    time.sleep(0.5)  # the recorder's own buffering
    recorder.terminate()
    recorder.wait(timeout=10)
    events = heron.events()
    assert of_type(events, "WakeDetected")
    transcripts = [e["text"] for e in of_type(events, "Transcript")]
    assert transcripts and words(transcripts[0]) == ["what", "time", "is", "it"]
    calls = [(e["tool"], e["status"]) for e in of_type(events, "ToolCallFinished")]
    assert calls == [("get_time", "ok")]
    spoken = of_type(events, "SpeechOutFinished")
    assert spoken and spoken[0]["audio_ms"] > 500
    # what the speaker played is the command, then Heron's answer
    heard = transcribe(tmp_path, recording)
    # (whisper writes the wake word "okay nabu" many ways: "Ok, now, but"; the command
    # after it is what must come first)
    assert "what time is it" in " ".join(words(heard)), heard
    answer = heard.lower().split("time is it", 1)[1].lstrip("?.!, ")
    assert sounds_like(of_type(events, "Reply")[0]["text"], answer), heard


def test_timer_set_before_a_restart_fires_and_is_spoken(tmp_path, pulse):
    asked = run_heron(tmp_path, "ask", "set a pasta timer for 3 seconds", "--json",
                      env=pulse.env)
    assert json.loads(asked.stdout)["response"] == "OK, pasta timer set for 3 seconds."
    recording = tmp_path / "speaker.wav"
    recorder = pulse.record(recording)
    events = HeadlessHeron(tmp_path, pulse.env, "--no-mic", "--exit-after", "10").events()
    recorder.terminate()
    recorder.wait(timeout=10)
    fired = of_type(events, "TimerFired")
    assert [(e["label"], e["duration_s"]) for e in fired] == [("pasta", 3)]
    heard = words(transcribe(tmp_path, recording))
    assert "pasta" in heard and "timer" in heard, heard
    # fired once: a second start has nothing left to fire
    again = HeadlessHeron(tmp_path, pulse.env, "--no-mic", "--exit-after", "4").events()
    assert not of_type(again, "TimerFired")


def test_without_a_microphone_it_says_so_and_shows_the_alternatives(tmp_path):
    env = {"PULSE_SERVER": "unix:/nonexistent", "PULSE_RUNTIME_PATH": str(tmp_path / "none")}
    # loading takes ~4.5 s on an idle 2-core machine: leave room for a busy one
    proc = run_heron(tmp_path, "run", "--headless", "--exit-after", "15", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "No microphone found" in proc.stderr
    assert "heron ask" in proc.stderr and "heron listen" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_espeak_voice_is_heard_through_the_room(tmp_path, pulse):
    """A second, different voice through the same live path, without the wake word."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[wake]\nenabled = false\n")
    command = espeak_wav(tmp_path / "command.wav", "Set a timer for ninety seconds.",
                         speed=140)
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "20")
    heron.wait_hearing()
    pulse.play(command)
    events = heron.events()
    calls = [(e["tool"], e["status"]) for e in of_type(events, "ToolCallFinished")]
    assert calls[:1] == [("set_timer", "ok")]
    listed = json.loads(run_heron(tmp_path, "ask", "list my timers", "--json").stdout)
    assert [t["duration_s"] for t in listed["tool_calls"][0]["result"]["timers"]] == [90]
