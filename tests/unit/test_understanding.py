"""The three stages behind every request: intents, router, then the LLM (or a helpful
"not understood"); what each tried shows in `heron ask --json`, and the endpointer's
"complete command" check gives the same answer."""

import json

import pytest
from intents_support import IntentsRig

from assistant.cli.main import main
from assistant.voice.listener import COMPLETE_SCORE, Listener


@pytest.fixture
def rig(tmp_path):
    r = IntentsRig(tmp_path)
    yield r
    r.close()


def test_intents_first_then_the_router_for_what_home_assistant_lacks(rig):
    timer = rig.ask("set a timer for 2 minutes")
    assert timer.understanding["stage"] == "intents"
    assert [t["stage"] for t in timer.understanding["tried"]] == ["intents"]
    named = rig.ask("set a tea timer for 5 minutes")  # no HA template: the router's
    assert named.understanding["stage"] == "router"
    assert named.tool_calls[0].args == {"seconds": 300, "label": "tea"}
    tried = named.understanding["tried"]
    assert [t["stage"] for t in tried] == ["intents", "router"]
    assert tried[0]["matched"] is None and tried[1]["matched"] == "set_timer"


def test_nothing_understood_reports_every_stage(rig):
    reply = rig.ask("tell me a joke")
    assert "can't help with that yet" in reply.text
    u = reply.understanding
    assert u["stage"] == "none" and u["tool"] is None
    # the last try: device control with any name (nothing here looks like a device)
    assert [(t["stage"], t.get("names")) for t in u["tried"]] == [
        ("intents", None), ("router", None), ("intents", "open")]


def test_a_label_set_by_the_router_is_cancelled_by_the_intent(rig):
    rig.ask("set an egg timer for 7 minutes")
    reply = rig.ask("cancel the egg timer")
    assert reply.understanding["matched"] == "HassCancelTimer"
    assert reply.tool_calls[0].args == {"label": "egg"}
    assert rig.timers.pending() == []


def test_the_clarify_flow_still_asks_and_takes_the_answer(rig):
    question = rig.ask("set a timer")
    assert question.text.startswith("For how long?")
    done = rig.ask("five minutes")
    assert done.tool_calls[0].tool == "set_timer"
    assert [t.duration_s for t in rig.timers.pending()] == [300]


def test_a_tool_missing_from_the_registry_leaves_the_intent_to_the_router(tmp_path):
    r = IntentsRig(tmp_path)
    try:
        r.registry.unregister("media_pause")
        found = r.agent.understanding.understand("pause the music", "en")
        assert found is None or found.tool != "media_pause"
        assert r.agent.understanding.tried("pause the music", "en")[0]["note"] == \
            "no tool media_pause"
    finally:
        r.close()


def test_configured_language_is_the_default(tmp_path):
    r = IntentsRig(tmp_path, language="de")
    try:
        reply = r.ask("wie spät ist es")
        assert reply.tool_calls[0].tool == "get_time"
        assert reply.understanding["language"] == "de"
    finally:
        r.close()


def test_is_complete_uses_the_same_answer(rig):
    listener = Listener(None, rig.bus, rig.agent.understanding)
    assert listener.is_complete("pause the music")
    assert listener.is_complete("stelle einen Timer auf 5 Minuten", "de")
    assert not listener.is_complete("set a timer")  # the duration is missing
    assert not listener.is_complete("tell me a")
    # the agent's call for the same text reuses the listener's answer
    calls = []
    recognize = rig.agent.understanding.recognizer.recognize
    rig.agent.understanding.recognizer.recognize = lambda *a: calls.append(a) or recognize(*a)
    assert listener.is_complete("what time is it")
    rig.ask("what time is it")
    assert len(calls) == 1
    assert COMPLETE_SCORE <= 1.0


def test_ask_json_has_the_understanding(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    assert main(["ask", "--local", "--json", "--language", "fr",
                 "mets un minuteur de 5 minutes"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["response"] == "Minuteur lancé"
    assert out["tool_calls"][0]["tool"] == "set_timer"
    u = out["understanding"]
    assert {k: u[k] for k in ("stage", "tool", "args", "matched", "language")} == {
        "stage": "intents", "tool": "set_timer", "args": {"seconds": 300},
        "matched": "HassStartTimer", "language": "fr"}
    assert u["confidence"] == 1.0 and u["tried"][0]["stage"] == "intents"


def test_ask_rejects_a_bad_language_code(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    assert main(["ask", "--local", "--language", "not a code", "hello"]) == 2
    assert "ask.language" in capsys.readouterr().err
