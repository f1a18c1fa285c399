"""One Heron per user: later `heron` commands reach the running one over its local
socket — `heron ask` runs in it, a second `heron run` does not start another, and
`heron --toggle` is push-to-talk on its live microphone."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from headless import HeadlessHeron, of_type
from helpers import run_heron, write_wav

from assistant.desktop.instance import socket_path
from assistant.paths import resolve_paths

pytestmark = pytest.mark.slow


def test_ask_and_a_second_run_reach_the_running_heron(tmp_path):
    heron = HeadlessHeron(tmp_path, {}, "--no-mic", "--exit-after", "40")
    heron.wait_type("Ready")
    asked = run_heron(tmp_path, "ask", "set a tea timer for 2 seconds", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["response"] == "OK, tea timer set for 2 seconds."
    # The running Heron did the work: its event stream shows the call, then the timer.
    started = heron.wait_type("ToolCallStarted", 20)
    assert (started["tool"], started["source"]) == ("set_timer", "cli")
    assert heron.wait_type("ToolCallFinished", 20)["status"] == "ok"
    fired = heron.wait_type("TimerFired", 20)
    assert fired["label"] == "tea"

    # Bad input from any program of the user's gets a coded error; Heron goes on.
    sock = socket_path(resolve_paths({"HERON_HOME": str(tmp_path)}).data_dir)
    for bad in (b'{"cmd": "mute", "muted": "no"}\n', b"[" * 100_000 + b"]" * 100_000 + b"\n",
                b"[" * 30_000 + b"]" * 30_000 + b"\n"):
        assert first_reply(sock, bad)["error"]["code"] == "instance.bad_request"
    assert first_reply(sock, b'{"cmd": "ping"}\n')["ok"] is True

    second = run_heron(tmp_path, "run", "--headless", "--no-mic", "--json", timeout=60)
    assert second.returncode == 0, second.stderr
    assert [json.loads(line)["type"] for line in second.stdout.splitlines()] == [
        "AlreadyRunning"]

    toggled = run_heron(tmp_path, "--toggle")
    assert toggled.returncode == 6, toggled.stderr  # it has no microphone open
    assert "[instance.no_mic]" in toggled.stderr and "Traceback" not in toggled.stderr

    local = run_heron(tmp_path, "ask", "--local", "what time is it", "--json")
    assert local.returncode == 0 and json.loads(local.stdout)["tool_calls"][0]["tool"] == (
        "get_time")
    heron.stop()
    gone = run_heron(tmp_path, "--toggle")
    assert gone.returncode == 7 and "[instance.not_running]" in gone.stderr
    assert "heron run" in gone.stderr


def first_reply(path: Path, line: bytes) -> dict:
    """What the running Heron answers to one raw line (it may hang up before reading
    all of a bad one: its answer is already on its way)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.connect(str(path))
        try:
            s.sendall(line)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return json.loads(s.makefile("rb").readline())


@pytest.mark.audio
def test_toggle_is_push_to_talk_without_the_wake_word(tmp_path, pulse, speak):
    command = write_wav(tmp_path / "command.wav", speak("What time is it?"))
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "60")
    heron.wait_hearing()
    toggled = run_heron(tmp_path, "--toggle", env=pulse.env)
    assert toggled.returncode == 0, toggled.stderr
    heron.wait_for("listening", lambda e: e["type"] == "StateChanged"
                   and e["state"] == "listening", 20)
    pulse.play(command)  # no "hey Jarvis": push-to-talk skipped the wake word
    call = heron.wait_type("ToolCallFinished", 30)
    assert (call["tool"], call["status"]) == ("get_time", "ok")
    events = heron.stop()
    assert not of_type(heron.seen + events, "WakeDetected")
