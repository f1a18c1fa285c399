"""The state the tray, the phone and push-to-talk read has one owner (assistant/voice/
state.py), so it cannot be left behind: unmuting brings Heron back to waiting for the
wake word, and an announcement in the middle of a turn ends back in that turn. The real
`heron run` on a private PulseAudio server, driven over its socket as `heron --toggle`
and the tray's mute do."""

from __future__ import annotations

import asyncio

import pytest
from headless import HeadlessHeron

from assistant.desktop.instance import InstanceClient, socket_path
from assistant.paths import resolve_paths

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def call(home, request: dict) -> dict:
    client = InstanceClient(socket_path(resolve_paths({"HERON_HOME": str(home)}).data_dir))
    return asyncio.run(client.call(request, timeout_s=30))


def state_is(state: str):
    return lambda e: e["type"] == "StateChanged" and e["state"] == state


def ready_and_hearing(heron: HeadlessHeron) -> None:
    """Waiting for the wake word with the microphone live (either may come first)."""
    heron.wait_hearing()
    if not any(state_is("idle")(e) for e in heron.seen):
        heron.wait_for("idle", state_is("idle"), 30)


def test_after_unmuting_heron_is_idle_again_and_push_to_talk_listens(tmp_path, pulse):
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "120")
    ready_and_hearing(heron)
    call(tmp_path, {"cmd": "mute", "muted": True})
    heron.wait_for("muted", state_is("muted"), 20)
    assert call(tmp_path, {"cmd": "ping"})["state"] == "muted"
    call(tmp_path, {"cmd": "mute", "muted": False})
    heron.wait_for("idle after unmuting", state_is("idle"), 20)
    assert call(tmp_path, {"cmd": "ping"})["state"] == "idle"
    assert call(tmp_path, {"cmd": "toggle"})["did"] == "listening"
    heron.wait_for("listening", state_is("listening"), 20)
    heron.stop()


def test_an_announcement_during_a_turn_ends_back_in_that_turn(tmp_path, pulse):
    (tmp_path / "config").mkdir()
    # a push-to-talk turn that waits long enough for a timer to ring inside it
    (tmp_path / "config" / "config.toml").write_text(
        "[endpoint]\nno_speech_timeout_ms = 40000\n")
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "120")
    ready_and_hearing(heron)
    assert call(tmp_path, {"cmd": "toggle"})["did"] == "listening"
    heron.wait_for("listening", state_is("listening"), 20)
    reply = call(tmp_path, {"cmd": "ask", "text": "set a timer for 2 seconds"})
    assert [c["tool"] for c in reply["tool_calls"]] == ["set_timer"], reply
    heron.wait_type("TimerFired", 20)
    heron.wait_for("the announcement", state_is("speaking"), 20)
    after = heron.wait_for("the state after it", lambda e: e["type"] == "StateChanged", 30)
    assert after["state"] == "listening"  # not "idle": the turn is still listening
    assert call(tmp_path, {"cmd": "ping"})["state"] == "listening"
    assert call(tmp_path, {"cmd": "toggle"})["did"] == "stopped"  # stops that turn
    heron.wait_for("idle", state_is("idle"), 20)
    heron.stop()
