"""The registry, policy, audit chain and the built-in tools, through the agent."""

import asyncio
import datetime as dt
import sqlite3

import pytest

from assistant.builtins.clock import GetTime
from assistant.events import ToolCallFinished, ToolCallStarted
from assistant.permissions.policy import Answer
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest


def run(coro):
    return asyncio.run(coro)


def test_every_call_is_audited_and_the_chain_verifies(core):
    run(core.agent.handle("what time is it"))
    run(core.agent.handle("set a timer for 2 minutes"))
    kinds = [e["kind"] for e in core.audit.entries()]
    assert kinds == ["decision", "call", "decision", "call"]
    assert core.audit.verify() == []


def test_audit_detects_an_edited_row(core, paths):
    run(core.agent.handle("set a timer for 2 minutes"))
    con = sqlite3.connect(paths.db_file)
    con.execute("UPDATE audit SET data=replace(data, '120', '999') WHERE kind='call'")
    con.commit()
    con.close()
    assert any("altered" in p for p in core.audit.verify())


def test_audit_detects_a_deleted_row(core, paths):
    for _ in range(2):
        run(core.agent.handle("what time is it"))
    con = sqlite3.connect(paths.db_file)
    con.execute("DELETE FROM audit WHERE id=2")
    con.commit()
    con.close()
    assert any("chain broken" in p for p in core.audit.verify())


def test_events_are_published_for_tool_calls(core):
    seen = []
    core.bus.subscribe(seen.append)
    run(core.agent.handle("what's the date"))
    types = [e.type for e in seen]
    assert types == ["ToolCallStarted", "ToolCallFinished", "Reply"]
    assert isinstance(seen[0], ToolCallStarted) and seen[0].tool == "get_date"
    assert isinstance(seen[1], ToolCallFinished) and seen[1].status == "ok"


def test_invalid_arguments_never_run(core):
    outcome = run(core.registry.call(ToolCall("set_timer", {"seconds": -5})))
    assert outcome.status == "invalid"
    assert core.timers.pending() == []


def test_a_failing_permission_check_denies_the_call_and_is_audited(core, monkeypatch):
    async def broken(*_args):
        raise ValueError("Invalid IPv6 URL")  # e.g. a parser deep in the policy

    monkeypatch.setattr(core.registry.policy, "resolve", broken)
    outcome = run(core.registry.call(ToolCall("get_time", {})))
    assert outcome.status == "denied" and outcome.code == "tool.denied"
    decision = [e for e in core.audit.entries() if e["kind"] == "decision"]
    assert decision and decision[-1]["decision"] == "deny"


def test_a_tool_that_asks_is_denied_without_a_prompter(core):
    class Wipe:
        manifest = ToolManifest(name="wipe", title="Wipe", description="d", builtin=True,
                                effects="destructive",
                                input_schema={"type": "object", "properties": {}})
        ran = False

        async def run(self, args, ctx):
            Wipe.ran = True
            return {}

    core.registry.register(Wipe())
    outcome = run(core.registry.call(ToolCall("wipe", {})))
    assert outcome.status == "denied" and not Wipe.ran
    assert core.audit.entries()[-2]["decision"] == "deny"


def test_untrusted_arguments_need_approval_and_the_prompter_sees_them(core):
    asked = []

    class Prompter:
        async def ask(self, request):
            asked.append((request.tool, dict(request.args), request.reason))
            return Answer.DENY

    core.registry.prompter = Prompter()
    outcome = run(core.registry.call(ToolCall("set_timer", {"seconds": 60}, untrusted=True)))
    assert outcome.status == "denied"
    assert asked == [("set_timer", {"seconds": 60}, "its arguments come from untrusted content")]
    assert core.timers.pending() == []


def test_duplicate_tool_names_are_rejected(core):
    with pytest.raises(ValueError, match="already registered"):
        core.registry.register(GetTime())


def test_bad_manifest_is_rejected():
    with pytest.raises(ValueError, match="snake_case"):
        ToolManifest(name="Bad.Name", title="t", description="d",
                     input_schema={"type": "object"})


def test_slow_tool_times_out(core):
    class Slow:
        manifest = ToolManifest(name="slow", title="Slow", description="d", builtin=True,
                                timeout_s=0.05, input_schema={"type": "object"})

        async def run(self, args, ctx):
            await asyncio.sleep(5)

    core.registry.register(Slow())
    assert run(core.registry.call(ToolCall("slow", {}))).status == "timeout"


def test_get_time_speaks_the_clock():
    fixed = dt.datetime(2026, 11, 22, 15, 7)
    result = run(GetTime(now=lambda: fixed).run({}, None))
    assert result["speech"] == "It's 3:07 PM."


def test_timer_set_list_cancel_through_the_agent(core):
    reply = run(core.agent.handle("set a tea timer for 5 minutes"))
    assert reply.text == "OK, tea timer set for 5 minutes."
    assert reply.tool_calls[0].args == {"seconds": 300, "label": "tea"}
    run(core.agent.handle("start a timer for 90 seconds"))
    listed = run(core.agent.handle("list my timers"))
    assert "tea timer has 5 minutes left" in listed.text.lower()
    assert "1 minute and 30 seconds timer" in listed.text
    cancelled = run(core.agent.handle("cancel the tea timer"))
    assert cancelled.text == "Cancelled your tea timer."
    assert [t.duration_s for t in core.timers.pending()] == [90]
    missing = run(core.agent.handle("cancel the pasta timer"))
    assert missing.text == "There is no pasta timer running."


def test_unknown_request_gets_a_helpful_answer(core):
    reply = run(core.agent.handle("tell me a joke"))
    assert "can't help with that yet" in reply.text and reply.tool_calls == ()


def test_missing_duration_asks_for_it(core):
    reply = run(core.agent.handle("set a timer"))
    assert reply.text.startswith("For how long?")
    assert core.timers.pending() == []


def test_history_is_kept(core):
    run(core.agent.handle("what time is it", source="cli"))
    rows = core.storage.query("SELECT role, source, text FROM history ORDER BY id")
    assert [(r["role"], r["source"]) for r in rows] == [("user", "cli"), ("assistant", "cli")]


def test_a_misheard_label_still_cancels_the_timer_it_sounds_like(core):
    run(core.agent.handle("set a tea timer for 5 minutes"))
    run(core.agent.handle("set a pasta timer for 9 minutes"))
    reply = run(core.agent.handle("cancel the t timer"))  # whisper's "tea"
    assert reply.text == "Cancelled your tea timer."
    assert [t.label for t in core.timers.pending()] == ["pasta"]
    assert run(core.agent.handle("cancel the bread timer")).text == (
        "There is no bread timer running.")
