"""Home control through Home Assistant, against a local server that speaks Home
Assistant's documented REST and conversation API (tests/fixtures/home_assistant; Home
Assistant itself cannot run here): `heron ha login/status`, the home_control tool
through a real ToolRegistry (what is sent, the one confirmation, the audit rows, coded
errors), and `heron ask` end to end."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, User

from assistant.audit import AuditLog
from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.builtins.home_control import HomeControl
from assistant.bus import EventBus
from assistant.paths import HeronPaths
from assistant.permissions.approvals import ApprovalStore
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "home_assistant"))
from fake_home_assistant import TOKEN, FakeHomeAssistant  # noqa: E402

PROCESS = "/api/conversation/process"
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def ha():
    with FakeHomeAssistant() as server:
        yield server


@pytest.fixture
def heron(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, b"k" * 32)
    user = User()
    registry = ToolRegistry(EventBus(), audit,
                            prompter=FanOutPrompter([CallbackPrompter(user)], timeout_s=5))

    def add(url, token=TOKEN):
        registry.register(HomeControl(HomeAssistantOptions(url=url), token=lambda: token))
        return registry

    yield add, user, audit
    storage.close()


def say(registry, text, **kw):
    return asyncio.run(registry.call(ToolCall("home_control", {"text": text, **kw},
                                              source="voice")))


def sent(ha):
    return [r for r in ha.state.requests if r.path == PROCESS]


def test_a_command_is_sent_with_the_token_and_home_assistants_answer_is_said(ha, heron):
    add, user, audit = heron
    out = say(add(ha.url), "turn on the kitchen light", language="en")
    assert out.status == "ok", out.error
    assert out.result == {"speech": "Turned on the kitchen light",
                          "response_type": "action_done", "success": ["Kitchen Light"],
                          "failed": [], "language": "en"}
    (seen,) = sent(ha)
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.body == {"text": "turn on the kitchen light", "language": "en"}
    assert ha.state.kitchen_light
    host = ha.url.removeprefix("http://")
    assert user.asked[0].scopes == ("home.control", f"net:{host}")
    entries = audit.entries()
    assert [(e["tool"], e["decision"]) for e in entries if e["kind"] == "decision"] == [
        ("home_control", "allow")]
    assert [(e["scope"], e["target"], e["allowed"]) for e in entries
            if e["kind"] == "capability"] == [
        ("home.control", "turn on the kitchen light", True), (f"net:{host}", host, True)]
    assert [(e["tool"], e["status"]) for e in entries if e["kind"] == "call"] == [
        ("home_control", "ok")]


def test_confirmed_once_then_not_asked_again_and_the_conversation_goes_on(ha, heron):
    add, user, _ = heron
    registry = add(ha.url)
    assert say(registry, "turn on the kitchen light").status == "ok"
    out = say(registry, "is the garage door open")
    assert (out.status, out.result["speech"]) == ("ok", "The garage door is open")
    assert out.result["response_type"] == "query_answer"
    assert len(user.asked) == 1 and user.asked[0].offered[0] is Answer.ALWAYS
    first, second = sent(ha)
    assert "conversation_id" not in first.body
    assert second.body["conversation_id"]  # Home Assistant's, from the first answer


def test_a_sentence_from_the_screen_is_confirmed_every_time(ha, heron):
    add, user, _ = heron
    registry = add(ha.url)
    assert say(registry, "turn on the kitchen light").status == "ok"
    out = asyncio.run(registry.call(ToolCall(
        "home_control", {"text": "turn on the kitchen light"}, source="voice",
        origins=frozenset({"screen"}))))
    assert out.status == "ok" and len(user.asked) == 2
    assert user.asked[1].forced and user.asked[1].offered[0] is Answer.ONCE


def test_a_denied_call_sends_nothing(ha, heron):
    add, user, audit = heron
    user.answer = Answer.DENY
    out = say(add(ha.url), "turn on the kitchen light")
    assert (out.status, out.code) == ("denied", "tool.denied")
    assert sent(ha) == [] and not ha.state.kitchen_light


def test_home_assistants_error_answer_is_said_as_a_coded_error(ha, heron):
    add, _, _ = heron
    out = say(add(ha.url), "turn on the toaster")
    assert (out.status, out.code) == ("error", "ha.error")
    assert out.error == "Sorry, I am not aware of any device called toaster"


def test_a_wrong_token_says_to_log_in_again(ha, heron):
    add, _, _ = heron
    out = say(add(ha.url, token="stale"), "turn on the kitchen light")
    assert (out.status, out.code) == ("error", "ha.unauthorized")
    assert "heron ha login" in out.error


def test_no_token_is_said_before_any_question_and_nothing_is_sent(ha, heron):
    add, user, _ = heron
    out = say(add(ha.url, token=None), "turn on the kitchen light")
    assert (out.status, out.code) == ("error", "ha.no_token")
    assert "heron ha login" in out.error and user.asked == [] and ha.state.requests == []


def test_home_assistant_down_is_a_coded_error(heron):
    add, _, _ = heron
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    out = say(add(dead), "turn on the kitchen light")
    assert (out.status, out.code) == ("error", "ha.unreachable")
    assert "can't reach Home Assistant" in out.error


# -- the CLI, as a user runs it ------------------------------------------------------------

def heron_cli(home, *args, stdin=None):
    """`python -m assistant ARGS` with HERON_HOME=home, secrets in the 0600 file store."""
    env = {**os.environ, "HERON_HOME": str(home), **NO_KEYRING}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300,
                          check=False)


def test_login_checks_the_token_before_storing_it(tmp_path, ha):
    home = tmp_path / "home"
    bad = heron_cli(home, "ha", "login", "--url", ha.url, "--json", stdin="wrong\n")
    assert bad.returncode == 2, bad.stderr
    assert json.loads(bad.stdout)["error"]["code"] == "ha.unauthorized"
    status = json.loads(heron_cli(home, "ha", "status", "--json").stdout)
    assert status["url"] == "" and not status["token_stored"]  # nothing written or stored
    good = heron_cli(home, "ha", "login", "--url", ha.url + "/", stdin=TOKEN + "\n")
    assert good.returncode == 0, good.stderr
    assert "accepted the token" in good.stdout and "Traceback" not in good.stderr
    config = (home / "config" / "config.toml").read_text()
    assert f'url = "{ha.url}"' in config and "[home_assistant]" in config
    status = json.loads(heron_cli(home, "ha", "status", "--json").stdout)
    assert (status["url"], status["token_stored"], status["reachable"]) == (ha.url, True, True)
    assert status["message"] == "API running."
    assert TOKEN not in config


def test_login_to_nothing_is_a_coded_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    r = heron_cli(tmp_path / "home", "ha", "login", "--url", dead, stdin="x\n")
    assert r.returncode == 2 and "[ha.unreachable]" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture
def home_with_ha(tmp_path, ha):
    home = tmp_path / "home"
    r = heron_cli(home, "ha", "login", "--url", ha.url, stdin=TOKEN + "\n")
    assert r.returncode == 0, r.stderr
    return home


def allow_always(home, ha):
    """What answering "always" to the first question leaves behind."""
    storage = Storage(HeronPaths(home / "config", home / "data", home / "cache").db_file)
    approvals = ApprovalStore(storage)
    for scope in ("home.control", f"net:{ha.url.removeprefix('http://')}"):
        approvals.remember("home_control", "always", scope)
    storage.close()


def test_heron_ask_turns_on_the_light_through_home_assistant(home_with_ha, ha):
    allow_always(home_with_ha, ha)
    r = heron_cli(home_with_ha, "ask", "turn on the kitchen light", "--json", "--local")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(c["tool"], c["args"], c["status"]) for c in out["tool_calls"]] == [
        ("home_control", {"text": "turn on the kitchen light", "language": "en"}, "ok")]
    assert out["response"] == "Turned on the kitchen light"
    (seen,) = sent(ha)
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.body["text"] == "turn on the kitchen light"
    audit = json.loads(heron_cli(home_with_ha, "audit", "--json", "--tool",
                                 "home_control").stdout)
    kinds = [e["kind"] for e in audit]
    assert "decision" in kinds and "call" in kinds

    r = heron_cli(home_with_ha, "ask", "is the garage door open", "--json", "--local")
    out = json.loads(r.stdout)
    assert out["response"] == "The garage door is open"
    assert out["tool_calls"][0]["tool"] == "home_control"


def test_heron_ask_without_approval_is_denied_and_sends_nothing(home_with_ha, ha):
    r = heron_cli(home_with_ha, "ask", "turn on the kitchen light", "--json", "--local")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(c["tool"], c["status"]) for c in out["tool_calls"]] == [
        ("home_control", "denied")]
    assert sent(ha) == [] and not ha.state.kitchen_light


def test_heron_ask_with_home_assistant_down_says_so(home_with_ha, ha):
    allow_always(home_with_ha, ha)
    ha.__exit__(None, None, None)  # Home Assistant goes away
    r = heron_cli(home_with_ha, "ask", "turn on the kitchen light", "--json", "--local")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["tool_calls"][0]["code"] == "ha.unreachable"
    assert "can't reach Home Assistant" in out["response"]
    assert "Traceback" not in r.stderr


def test_heron_ask_without_home_assistant_names_heron_ha_login(tmp_path):
    r = heron_cli(tmp_path / "home", "ask", "turn on the kitchen light", "--json", "--local")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["tool_calls"] == [] and "heron ha login" in out["response"]
