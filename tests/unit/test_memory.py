"""Conversation memory and preferences in SQLite, the LLM context window, and
`heron history` (its handler, called as the CLI will once it is registered)."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest

from assistant.cli import history_cmd
from assistant.cli.context import Context
from assistant.memory import HistoryError, Memory, approx_tokens
from assistant.storage import Storage


@pytest.fixture
def memory(storage) -> Memory:
    return Memory(storage)


def talk(memory: Memory, *pairs: tuple[str, str]) -> None:
    for user, reply in pairs:
        memory.add("user", "voice", user)
        memory.add("assistant", "voice", reply)


def test_recent_turns_come_back_as_chat_messages_in_order(memory):
    talk(memory, ("what time is it", "It's 4:08 PM."), ("set a timer", "For how long?"))
    assert memory.recent() == [
        {"role": "user", "content": "what time is it"},
        {"role": "assistant", "content": "It's 4:08 PM."},
        {"role": "user", "content": "set a timer"},
        {"role": "assistant", "content": "For how long?"},
    ]
    assert [m["content"] for m in memory.recent(max_turns=2)] == ["set a timer",
                                                                 "For how long?"]


def test_empty_text_is_not_remembered_and_roles_are_checked(memory):
    assert memory.add("user", "cli", "   ") is None
    assert memory.count() == 0
    with pytest.raises(HistoryError) as err:
        memory.add("robot", "cli", "hi")
    assert err.value.code == "history.bad_role"


def test_the_token_budget_drops_old_turns_first(memory):
    talk(memory, ("a" * 400, "b" * 40), ("c" * 40, "d" * 40))
    fits_three = 3 * approx_tokens("c" * 40)
    # b, c and d fit; b is an assistant turn, and a window never opens with one
    assert [m["content"][0] for m in memory.recent(max_tokens=fits_three)] == ["c", "d"]
    everything = approx_tokens("a" * 400) + fits_three
    assert [m["content"][0] for m in memory.recent(max_tokens=everything)] == list("abcd")


def test_a_newest_turn_larger_than_the_budget_is_cut_not_lost(memory):
    memory.add("user", "cli", "x" * 1000)
    window = memory.recent(max_tokens=54)
    assert len(window) == 1 and window[0]["content"] == "x" * 200


def test_search_is_literal_and_clear_forgets_everything(memory):
    talk(memory, ("100% sure?", "Yes."), ("snake_case names", "Fine."), ("hello", "Hi."))
    assert [t.text for t in memory.search("%")] == ["100% sure?"]
    assert [t.text for t in memory.search("_")] == ["snake_case names"]
    assert [t.text for t in memory.search("HELLO")] == ["hello"]
    assert memory.clear() == 6
    assert memory.recent() == [] and memory.count() == 0


def test_preferences_round_trip_their_types(memory, storage):
    memory.set_preference("units", "metric")
    memory.set_preference("speech_rate", 1.25)
    memory.set_preference("wake_sound", False)
    memory.set_preference("units", "imperial")
    assert memory.preferences() == {"speech_rate": 1.25, "units": "imperial",
                                    "wake_sound": False}
    assert Memory(storage).preference("speech_rate") == 1.25
    assert memory.preference("missing", "default") == "default"
    assert memory.delete_preference("units") and not memory.delete_preference("units")


def test_what_the_agent_said_is_the_llm_context(core):
    asyncio.run(core.agent.handle("what time is it", source="cli"))
    window = Memory(core.storage).recent()
    assert window[0] == {"role": "user", "content": "what time is it"}
    assert window[1]["role"] == "assistant" and window[1]["content"].startswith("It's")


# -- `heron history` ----------------------------------------------------------------------
def history(capsys, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="heron")
    history_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["history", *argv])
    code = args.handler(args, Context())
    return code, capsys.readouterr().out


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    storage = Storage(tmp_path / "home" / "data" / "heron.db")
    talk(Memory(storage), ("what time is it", "It's noon."), ("open fire fox", "Opening."))
    storage.close()
    return tmp_path / "home"


def test_history_lists_the_conversation(home, capsys):
    code, out = history(capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert "you   (voice)  what time is it" in lines[0]
    assert "heron (voice)  Opening." in lines[3]
    code, out = history(capsys, "--json", "--limit", "2")
    doc = json.loads(out)
    assert doc["total"] == 4
    assert [t["text"] for t in doc["turns"]] == ["open fire fox", "Opening."]
    code, out = history(capsys, "--search", "fire", "--json")
    assert [t["text"] for t in json.loads(out)["turns"]] == ["open fire fox"]


def test_history_clear_needs_yes(home, capsys):
    with pytest.raises(HistoryError) as err:
        history(capsys, "--clear")
    assert err.value.code == "history.confirm_clear" and err.value.exit_code == 2
    assert "4 turn(s)" in err.value.message
    assert history(capsys, "--json")[0] == 0
    code, out = history(capsys, "--clear", "--yes", "--json")
    assert code == 0 and json.loads(out) == {"cleared": 4}
    assert history(capsys)[1].strip() == "no conversation yet"


def test_history_rejects_a_bad_limit(home, capsys):
    with pytest.raises(SystemExit) as exc:
        history(capsys, "--limit", "0")
    assert exc.value.code == 2
    assert "expected a whole number ≥ 1" in capsys.readouterr().err
