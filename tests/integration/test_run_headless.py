"""`heron run --headless` on a real (virtual) audio path: a command spoken into the
microphone gets a spoken reply on the speaker; timers fire after a restart."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from helpers import REPO, espeak_wav, run_heron, words, write_wav

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def start_heron(home, env, *args):
    return subprocess.Popen([sys.executable, "-m", "assistant", "run", "--headless", "--json",
                             *args], cwd=REPO, env={**env, "HERON_HOME": str(home)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(proc, timeout_s=60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if json.loads(line).get("type") == "Ready":
            return
    raise AssertionError(f"heron never became ready: {proc.stderr.read()}")


def events_of(proc) -> list[dict]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def transcribe(home, wav) -> str:
    proc = run_heron(home, "transcribe", str(wav), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["text"]


def test_spoken_command_into_the_mic_is_answered_on_the_speaker(tmp_path, pulse, speak):
    command = write_wav(tmp_path / "command.wav", speak("Hey Jarvis. What time is it?"))
    recording = tmp_path / "speaker.wav"
    heron = start_heron(tmp_path, pulse.env, "--exit-after", "25")
    wait_ready(heron)
    time.sleep(1.5)  # the microphone stream is warming up
    recorder = pulse.record(recording)
    pulse.play(command)  # into the room: the null sink, whose monitor is the mic
    time.sleep(6)
    recorder.terminate()
    recorder.wait(timeout=10)
    events = events_of(heron)
    types = [e["type"] for e in events]
    assert "WakeDetected" in types
    transcripts = [e["text"] for e in events if e["type"] == "Transcript"]
    assert transcripts and words(transcripts[0]) == ["what", "time", "is", "it"]
    calls = [(e["tool"], e["status"]) for e in events if e["type"] == "ToolCallFinished"]
    assert calls == [("get_time", "ok")]
    spoken = [e for e in events if e["type"] == "SpeechOutFinished"]
    assert spoken and spoken[0]["audio_ms"] > 500
    # what the speaker played is Heron's answer, after the command itself
    heard = words(transcribe(tmp_path, recording))
    assert "jarvis" in heard and "it's" in heard[heard.index("jarvis"):], heard


def test_timer_set_before_a_restart_fires_and_is_spoken(tmp_path, pulse):
    asked = run_heron(tmp_path, "ask", "set a pasta timer for 3 seconds", "--json",
                      env=pulse.env)
    assert json.loads(asked.stdout)["response"] == "OK, pasta timer set for 3 seconds."
    recording = tmp_path / "speaker.wav"
    recorder = pulse.record(recording)
    heron = start_heron(tmp_path, pulse.env, "--no-mic", "--exit-after", "10")
    events = events_of(heron)
    recorder.terminate()
    recorder.wait(timeout=10)
    fired = [e for e in events if e["type"] == "TimerFired"]
    assert [(e["label"], e["duration_s"]) for e in fired] == [("pasta", 3)]
    heard = words(transcribe(tmp_path, recording))
    assert "pasta" in heard and "timer" in heard, heard
    # fired once: a second start has nothing left to fire
    again = events_of(start_heron(tmp_path, pulse.env, "--no-mic", "--exit-after", "4"))
    assert not [e for e in again if e["type"] == "TimerFired"]


def test_without_a_microphone_it_says_so_and_shows_the_alternatives(tmp_path):
    env = {"PULSE_SERVER": "unix:/nonexistent", "PULSE_RUNTIME_PATH": str(tmp_path / "none")}
    proc = run_heron(tmp_path, "run", "--headless", "--exit-after", "6", env=env)
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
    heron = start_heron(tmp_path, pulse.env, "--exit-after", "20")
    wait_ready(heron)
    time.sleep(1.5)
    pulse.play(command)
    time.sleep(5)
    events = events_of(heron)
    calls = [(e["tool"], e["status"]) for e in events if e["type"] == "ToolCallFinished"]
    assert calls[:1] == [("set_timer", "ok")]
    listed = json.loads(run_heron(tmp_path, "ask", "list my timers", "--json").stdout)
    assert [t["duration_s"] for t in listed["tool_calls"][0]["result"]["timers"]] == [90]
