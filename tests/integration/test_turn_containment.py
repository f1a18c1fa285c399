"""One bad turn does not end Heron: an unexpected error inside a stage becomes a coded
StageError, its traceback goes to the last-error file, Heron apologises and answers the
next command. And once Heron is ready it says "idle", not "starting"."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time

import pytest
from headless import HeadlessHeron
from helpers import REPO, run_heron, write_wav

from assistant.desktop.instance import InstanceClient, socket_path
from assistant.events import StateChanged
from assistant.paths import resolve_paths
from assistant.scheduling.timer_store import TimerStore
from assistant.service import APOLOGY
from assistant.storage import Storage

# The child: the real `heron run`, except that the agent fails once with a bug (not a
# coded error), at its real entry point, as a broken tool or model would make it.
FAIL_ONCE = """
import sys
import assistant.agent.agent as agent

real = agent.Agent.handle
calls = []

async def handle(self, text, *args, **kwargs):
    calls.append(text)
    if len(calls) == 1:
        raise RuntimeError("injected: the agent broke on " + repr(text))
    return await real(self, text, *args, **kwargs)

agent.Agent.handle = handle
from assistant.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


# The same for the timers: the first look for due timers crashes the whole scheduler,
# and firing the pasta timer hits a bug.
TIMER_FAILS_ONCE = """
import sys
import assistant.scheduling.service as scheduling
import assistant.scheduling.timer_store as timers

real_claim = timers.TimerStore.claim_due
real_fire = scheduling.Scheduler._fire_timer
claims = []

def claim_due(self, now):
    claims.append(now)
    if len(claims) == 1:
        raise RuntimeError("injected: the timer store broke")
    return real_claim(self, now)

async def fire(self, t, late):
    if t.label == "pasta":
        raise RuntimeError("injected: firing pasta broke")
    return await real_fire(self, t, late)

timers.TimerStore.claim_due = claim_due
scheduling.Scheduler._fire_timer = fire
from assistant.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


class FailingOnceHeron(HeadlessHeron):
    """`heron run --headless --json` with a part that raises RuntimeError once."""

    def __init__(self, home, env, *args: str, script: str = FAIL_ONCE) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, "run", "--headless", "--json", *args],
            cwd=REPO, env={**env, "HERON_HOME": str(home)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.seen = []


@pytest.mark.slow
@pytest.mark.audio
def test_a_turn_that_raises_is_contained_and_the_next_one_is_answered(tmp_path, pulse,
                                                                       speak):
    command = write_wav(tmp_path / "command.wav", speak("Okay Nabu. What time is it?"))
    heron = FailingOnceHeron(tmp_path, pulse.env, "--exit-after", "90")
    heron.wait_hearing()
    pulse.play(command)
    failed = heron.wait_type("StageError", 40)
    assert failed["code"] == "turn.failed" and failed["stage"] == "agent"
    assert "RuntimeError" in failed["message"]
    last_error = resolve_paths({"HERON_HOME": str(tmp_path)}).cache_dir / "last-error.txt"
    assert str(last_error) in failed["hint"]
    text = last_error.read_text()
    assert "Traceback" in text and "injected: the agent broke on 'what time is it" in text.lower()
    assert stat.S_IMODE(last_error.stat().st_mode) == 0o600  # tracebacks quote what was said
    heron.wait_for("the apology", lambda e: e["type"] == "Reply" and e["text"] == APOLOGY, 20)
    heron.wait_for("the end of the apology",
                   lambda e: e["type"] == "StateChanged" and e["state"] == "idle", 30)
    time.sleep(1.0)
    pulse.play(command)  # the same command again: this time it is answered
    done = heron.wait_for("the next turn's tool call",
                          lambda e: e["type"] == "ToolCallFinished", 40)
    assert (done["tool"], done["status"]) == ("get_time", "ok")
    heron.wait_type("SpeechOutFinished", 30)
    events = heron.stop()  # still running: it exits cleanly when asked
    assert not [e for e in events if e["type"] == "StageError" and e is not failed]


@pytest.mark.slow
def test_a_crashing_scheduler_is_restarted_and_heron_keeps_running(tmp_path):
    no_sound = {**os.environ, "PULSE_SERVER": "unix:/nonexistent"}
    for label in ("pasta", "rice"):
        asked = run_heron(tmp_path, "ask", f"set a {label} timer for 1 second", env=no_sound)
        assert asked.returncode == 0, asked.stderr
    # Both are due before Heron starts, so its first look finds them in one batch.
    store = TimerStore(Storage(resolve_paths({"HERON_HOME": str(tmp_path)}).db_file))
    due = max(t.due_at for t in store.pending())
    time.sleep(max(0.0, due - time.time()) + 0.1)
    heron = FailingOnceHeron(tmp_path, no_sound, "--no-mic", "--exit-after", "90",
                             script=TIMER_FAILS_ONCE)
    crashed = heron.wait_type("StageError", 60)
    assert (crashed["stage"], crashed["code"]) == ("scheduler", "task.crashed")
    assert "injected: the timer store broke" in crashed["message"]
    assert "restarts it" in crashed["hint"]
    # The restarted scheduler claims both; pasta fails to fire, and rice, due with it,
    # is still announced.
    fired = heron.wait_type("TimerFired", 30)
    assert fired["label"] == "rice"
    # a timer set now is fired too
    asked = run_heron(tmp_path, "ask", "set a tea timer for 2 seconds", env=no_sound)
    assert asked.returncode == 0, asked.stderr
    heron.wait_for("the tea timer", lambda e: e["type"] == "TimerFired"
                   and e["label"] == "tea", 30)
    events = heron.stop()  # still running, and it stops cleanly with no traceback
    assert [e for e in events if e["type"] == "StageError"] == [crashed]
    assert [e["label"] for e in events if e["type"] == "TimerFired"] == ["rice", "tea"]
    assert store.pending() == []


def test_ready_means_idle_on_the_socket_and_the_bus(tmp_path):
    no_sound = {**os.environ, "PULSE_SERVER": "unix:/nonexistent"}  # nothing plays here
    heron = HeadlessHeron(tmp_path, no_sound, "--no-mic", "--exit-after", "60")
    heron.wait_type("Ready", 120)
    client = InstanceClient(socket_path(resolve_paths({"HERON_HOME": str(tmp_path)}).data_dir))
    reply = asyncio.run(client.call({"cmd": "ping"}, timeout_s=10))
    events = heron.stop()
    assert reply["state"] == "idle", reply
    ready = next(i for i, e in enumerate(events) if e["type"] == "Ready")
    states = [e["state"] for e in events[:ready] if e["type"] == StateChanged.__name__]
    assert states == ["idle"]  # published once ready, before the Ready line
