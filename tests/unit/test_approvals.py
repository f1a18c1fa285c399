"""Remembered answers: the grants table, session answers, and what survives a restart."""

import asyncio
import sqlite3

import pytest

from assistant.permissions.approvals import ApprovalStore, Grant
from assistant.permissions.policy import Answer, Decision, PermissionPolicy
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest
from models.errors import CodedError


@pytest.fixture
def db(tmp_path):
    return tmp_path / "heron.db"


@pytest.fixture
def store(db):
    storage = Storage(db)
    yield ApprovalStore(storage)
    storage.close()


def manifest(name="weather", permissions=(), confirm="never", builtin=False):
    return ToolManifest(name=name, title=name.title(), description="d", builtin=builtin,
                        confirm=confirm, permissions=permissions,
                        input_schema={"type": "object"})


class Answering:
    """A surface that gives fixed answers and counts how often it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = []

    async def __call__(self, request):
        self.asked.append(request)
        return self.answers.pop(0)

    def prompter(self):
        return FanOutPrompter([CallbackPrompter(self)], timeout_s=2)


def test_remembered_answers_are_rows_of_the_grants_table(store, db):
    store.remember("weather", "always")
    store.remember("wipe", "never")
    store.remember("weather", "always", "net:api.weather.example")
    grants = store.grants()
    assert sorted((g.tool, g.scope, g.answer) for g in grants) == [
        ("weather", "*", "always"), ("weather", "net:api.weather.example", "always"),
        ("wipe", "*", "never")]
    assert all(isinstance(g, Grant) and g.created_at > 0 for g in grants)
    rows = sqlite3.connect(db).execute("SELECT tool, scope, answer FROM grants").fetchall()
    assert sorted(rows) == sorted((g.tool, g.scope, g.answer) for g in grants)


def test_a_new_answer_replaces_the_old_one(store):
    store.remember("weather", "always")
    store.remember("weather", "never")
    assert store.answer_for("weather") == "never"
    assert len(store.grants()) == 1


def test_answers_survive_a_restart_and_session_answers_do_not(db):
    first = Storage(db)
    approvals = ApprovalStore(first)
    approvals.remember("weather", "always")
    approvals.allow_for_session("notes")
    assert approvals.allowed_for_session("notes")
    first.close()
    second = Storage(db)
    again = ApprovalStore(second)
    assert again.answer_for("weather") == "always"
    assert not again.allowed_for_session("notes")
    second.close()


def test_revoke_removes_one_scope_or_all_and_says_how_many(store):
    store.remember("weather", "always", "net:a.example")
    store.remember("weather", "always", "net:b.example")
    store.remember("other", "never")
    assert store.revoke("weather", "net:a.example") == 1
    assert store.answer_for("weather", "net:a.example") is None
    assert store.answer_for("weather", "net:b.example") == "always"
    assert store.revoke("weather") == 1
    assert store.revoke("weather") == 0
    assert store.revoke("no_such_tool") == 0
    assert [g.tool for g in store.grants()] == ["other"]


def test_revoke_also_forgets_the_session_answer(store):
    store.allow_for_session("weather")
    store.revoke("weather")
    assert not store.allowed_for_session("weather")


def test_only_always_and_never_can_be_remembered(store):
    with pytest.raises(CodedError) as err:
        store.remember("weather", "once")
    assert err.value.code == "approvals.bad_answer"
    assert "'always' or 'never'" in err.value.hint
    assert store.grants() == []


def test_without_storage_answers_live_in_memory():
    approvals = ApprovalStore()
    approvals.remember("weather", "always")
    assert approvals.answer_for("weather") == "always"
    assert [g.tool for g in approvals.grants()] == ["weather"]
    assert approvals.revoke("weather") == 1
    assert approvals.grants() == []


def test_always_allow_is_remembered_across_a_restart(db):
    m = manifest()
    surface = Answering(Answer.ALWAYS)
    first = Storage(db)
    decision, reason = asyncio.run(PermissionPolicy(ApprovalStore(first)).resolve(
        m, ToolCall("weather", {}), surface.prompter()))
    assert (decision, reason) == (
        Decision.ALLOW, "you allowed it always (asked because third-party tool you have not "
        "allowed yet)")
    first.close()
    second = Storage(db)
    later = Answering()
    decision, reason = asyncio.run(PermissionPolicy(ApprovalStore(second)).resolve(
        m, ToolCall("weather", {}), later.prompter()))
    assert (decision, reason) == (Decision.ALLOW, "you always allow it")
    assert later.asked == []
    second.close()


def test_always_deny_is_remembered_across_a_restart(db):
    m = manifest()
    first = Storage(db)
    asyncio.run(PermissionPolicy(ApprovalStore(first)).resolve(
        m, ToolCall("weather", {}), Answering(Answer.ALWAYS_DENY).prompter()))
    first.close()
    second = Storage(db)
    later = Answering(Answer.ONCE)
    decision, reason = asyncio.run(PermissionPolicy(ApprovalStore(second)).resolve(
        m, ToolCall("weather", {}), later.prompter()))
    assert (decision, reason) == (Decision.DENY, "you chose to always deny it")
    assert later.asked == []
    second.close()


def test_a_worker_that_asks_for_more_scopes_is_asked_again(store):
    policy = PermissionPolicy(store)
    # (not the clipboard: reading it is asked once per session whatever was remembered)
    old = manifest(permissions=("fs.read:~/weather/**",))
    asyncio.run(policy.resolve(old, ToolCall("weather", {}),
                               Answering(Answer.ALWAYS).prompter()))
    assert store.answer_for("weather", "fs.read:~/weather/**") == "always"
    assert policy.decide(old, ToolCall("weather", {}))[0] is Decision.ALLOW
    updated = manifest(permissions=("fs.read:~/weather/**", "clipboard.write"))
    assert policy.decide(updated, ToolCall("weather", {}))[0] is Decision.ASK


def test_revoking_makes_heron_ask_again(store):
    policy = PermissionPolicy(store)
    m = manifest()
    store.remember("weather", "always")
    assert policy.decide(m, ToolCall("weather", {}))[0] is Decision.ALLOW
    store.revoke("weather")
    assert policy.decide(m, ToolCall("weather", {})) == (
        Decision.ASK, "third-party tool you have not allowed yet")
