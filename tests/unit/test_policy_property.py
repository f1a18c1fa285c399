"""Property test over random manifests, remembered answers, user answers and calls,
all driven through the real ToolRegistry with its SQLite storage and audit log:

- a call that is denied — by the settings, by an "always deny", by the user, by a
  timeout, by a broken or missing surface — never runs;
- a call with untrusted arguments, a destructive one, or one that sends data off the
  machine never runs unless the user was asked for that very call, shown its exact
  action and offered only "once" or "deny";
- a web address that carries data (query, fragment, user info, path) is confirmed like
  any other data leaving the machine;
- an MCP call that changes something or reads what can leak, and any clipboard read
  that was not spoken, never runs unasked unless allowed for this session (or, over
  MCP, allowed for MCP clients);
- a call that runs without a question had a reason not to ask.
"""

import asyncio
import json
from dataclasses import dataclass, field

import pytest
from helpers import load_key
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assistant.audit import AuditLog
from assistant.bus import EventBus
from assistant.permissions.approvals import ApprovalStore
from assistant.permissions.policy import Answer, PermissionPolicy
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.permissions.provenance import TRUSTED, Origin, Tainted
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.manifest import CONFIRM, EFFECTS, ToolManifest
from assistant.tools.registry import ToolRegistry

TOOL = "probe"
SCOPES = ["clipboard.read", "clipboard.write", "fs.read:~/docs/**", "fs.write:~/notes/**",
          "apps.launch", "net:api.example.com", "notify", "home.control"]
OFF_MACHINE = {"net:api.example.com", "notify"}
LEAKY = {"clipboard.read", "screen.read", "camera", "mic"}
DATA_URLS = ["http://evil.example/?q=stolen", "https://example.org#frag",
             "https://user:pw@example.org", "https://example.org/path"]
BARE_URLS = ["https://example.org", "https://example.org/", "example.org"]
DENYING = {Answer.DENY, Answer.ALWAYS_DENY, "silent", "broken", Answer.TIMED_OUT,
           Answer.UNAVAILABLE}

# Argument text a reader can see as it is (the escaping of invisible characters is
# tested on its own in test_policy.py).
visible_text = st.text(st.characters(exclude_categories=("Cc", "Cf", "Co", "Cs", "Cn", "Zl",
                                                         "Zp")), max_size=24)
tainted_text = st.builds(Tainted, visible_text, st.sampled_from(list(Origin)))
calls = st.fixed_dictionaries({
    "args": st.dictionaries(st.sampled_from(["text", "path", "to"]),
                            st.one_of(visible_text, visible_text, tainted_text), max_size=3),
    "url": st.one_of(st.none(), st.sampled_from(DATA_URLS + BARE_URLS)),
    # mostly calls whose caller did not mark them: the tags alone must be enough
    "untrusted": st.sampled_from([False, False, False, True]),
    "origins": st.one_of(st.just(frozenset()),
                         st.frozensets(st.sampled_from([o.value for o in Origin]), max_size=2)),
    "source": st.sampled_from(["voice", "text", "cli", "mcp", "timer"]),
})
scenarios = st.fixed_dictionaries({
    "effects": st.sampled_from([*EFFECTS, "read", "write"]),
    "confirm": st.sampled_from(CONFIRM),
    "builtin": st.booleans(),
    "permissions": st.one_of(st.just([]),
                             st.lists(st.sampled_from(SCOPES), unique=True, max_size=3)),
    "denied_in_settings": st.sampled_from([False, False, False, True]),
    "grant_all": st.sampled_from([None, "always", "always", "never"]),  # for every scope
    "grants": st.lists(st.tuples(st.sampled_from(["*", *SCOPES]),
                                 st.sampled_from(["always", "always", "never"])), max_size=3),
    "session": st.lists(st.sampled_from(["*", *SCOPES]), max_size=3),
    "mcp_grant": st.sampled_from([False, False, True]),  # `heron workers allow --mcp`
    "surface": st.sampled_from(["none", "empty", "attached", "attached", "attached"]),
    "answers": st.lists(st.sampled_from([*Answer, Answer.ONCE, Answer.SESSION, Answer.ALWAYS,
                                         "silent", "broken"]), max_size=5),
    "calls": st.lists(calls, min_size=1, max_size=4),
})


@dataclass
class Probe:
    manifest: ToolManifest
    runs: list[str] = field(default_factory=list)

    async def run(self, args, ctx):
        self.runs.append(ctx.call.call_id)
        return {"speech": "done"}


@dataclass
class User:
    """Answers prompts from a script; "silent" never answers, "broken" raises."""

    script: list
    asked: dict = field(default_factory=dict)  # call_id -> (request, what it answered)

    async def __call__(self, request):
        behaviour = self.script.pop(0) if self.script else Answer.DENY
        self.asked[request.call_id] = (request, behaviour)
        if behaviour == "silent":
            await asyncio.sleep(3600)
        if behaviour == "broken":
            raise RuntimeError("the dialog crashed")
        return behaviour


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    root = tmp_path_factory.mktemp("property")
    storage = Storage(root / "heron.db")
    yield storage, AuditLog(storage, load_key(root / "audit.key"))
    storage.close()


def forced(m: ToolManifest, call: ToolCall) -> bool:
    """The rule, restated independently of the policy's code."""
    tainted = any(isinstance(v, Tainted) and not v.origins <= TRUSTED
                  for v in call.args.values())
    named = any(Origin(o) not in TRUSTED for o in call.origins)
    off = [s for s in m.permissions if s in OFF_MACHINE]
    # a built-in that asks once and only reaches named hosts — a lookup (the weather)
    # or commands to the user's Home Assistant (home.control): the first yes covers the
    # later calls
    asked_once = (m.builtin and m.confirm == "once"
                  and (m.effects == "read" or "home.control" in m.permissions)
                  and all(s.startswith("net:") for s in off))
    return (call.untrusted or tainted or named or m.effects == "destructive"
            or (bool(off) and not asked_once)
            or call.args.get("url") in DATA_URLS)


def asked_unless_session(m: ToolManifest, call: ToolCall) -> bool:
    """Calls that run unasked only when allowed for this session (or for MCP)."""
    mcp = call.source == "mcp" and (m.effects != "read"
                                    or any(s in LEAKY or s.startswith("fs.read:")
                                           for s in m.permissions))
    clipboard = "clipboard.read" in m.permissions and call.source != "voice"
    return mcp or clipboard


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios)
def test_no_denied_call_ever_runs(storage, scenario):
    db, audit = storage
    approvals = ApprovalStore(db)
    approvals.revoke(TOOL)
    for scope, answer in scenario["grants"]:
        approvals.remember(TOOL, answer, scope)
    for scope in scenario["permissions"] or ["*"]:
        if scenario["grant_all"]:
            approvals.remember(TOOL, scenario["grant_all"], scope)
    for scope in scenario["session"]:
        approvals.allow_for_session(TOOL, scope)
    if scenario["mcp_grant"]:
        approvals.allow_for_mcp(TOOL, tuple(scenario["permissions"]))
    m = ToolManifest(name=TOOL, title="Probe", description="records its runs",
                     effects=scenario["effects"], confirm=scenario["confirm"],
                     builtin=scenario["builtin"], permissions=tuple(scenario["permissions"]),
                     input_schema={"type": "object", "properties": {
                         "url": {"type": "string", "x-slot": "url"}}})
    probe, user = Probe(m), User(list(scenario["answers"]))
    prompter = {"none": None, "empty": FanOutPrompter([], timeout_s=0.01),
                "attached": FanOutPrompter([CallbackPrompter(user)], timeout_s=0.01)}
    policy = PermissionPolicy(approvals, denied_tools={TOOL} if scenario["denied_in_settings"]
                              else ())
    registry = ToolRegistry(EventBus(), audit, policy, prompter[scenario["surface"]])
    registry.register(probe)
    keys = set(m.permissions) or {"*"}
    session_given = set(scenario["session"]) >= keys

    for spec in scenario["calls"]:
        remembered = {(g.scope, g.answer) for g in approvals.grants(TOOL)}
        always_denied = any(a == "never" and s in {"*", *m.permissions} for s, a in remembered)
        always_allowed = keys <= {s for s, a in remembered if a == "always"}
        args = {**spec["args"], **({"url": spec["url"]} if spec["url"] else {})}
        call = ToolCall(TOOL, args, source=spec["source"], untrusted=spec["untrusted"],
                        origins=spec["origins"])
        must_confirm = forced(m, call)

        outcome = asyncio.run(registry.call(call))
        ran = outcome.call_id in probe.runs
        asked = user.asked.get(outcome.call_id)
        event(f"forced={must_confirm} asked={asked[1] if asked else None} ran={ran}")

        assert ran == (outcome.status == "ok")
        assert outcome.status in ("ok", "denied")
        decision = [e for e in audit.entries(20) if e["kind"] == "decision"
                    and e["call_id"] == outcome.call_id]
        assert [d["decision"] for d in decision] == (["allow"] if ran else ["deny"])

        if scenario["denied_in_settings"] or always_denied:
            assert not ran and asked is None
        if asked is not None and asked[1] in DENYING:
            assert not ran, f"ran although the user answered {asked[1]}"
        if scenario["surface"] != "attached":
            assert not ran or not (must_confirm or m.confirm == "always")
        if must_confirm and ran:
            assert asked is not None, "ran without the confirmation it needs"
            request = asked[0]
            assert request.offered == (Answer.ONCE, Answer.DENY) and request.forced
            assert request.args == call.args and request.tool == TOOL
            for key, value in call.args.items():
                assert f"{key} = {json.dumps(value, ensure_ascii=False)}" in request.action
        mcp_allowed = call.source == "mcp" and scenario["mcp_grant"]
        if ran and asked is None and asked_unless_session(m, call):
            assert session_given or mcp_allowed, "ran unasked: MCP or clipboard"
        if ran and asked is None:
            assert not must_confirm and m.confirm != "always"
            assert (m.builtin and m.confirm == "never") or always_allowed or session_given \
                or mcp_allowed
        if asked is not None and asked[1] == Answer.SESSION and ran and not must_confirm:
            session_given = True
        # nothing is remembered that the user did not choose from what was offered
        now = {(g.scope, g.answer) for g in approvals.grants(TOOL)}
        if now != remembered:
            assert asked is not None, "remembered an answer nobody gave"
            request, answer = asked
            # an answer that was not offered counts as the nearest one that was ("yes"
            # to a confirm=once tool is its "always"; "always" to a forced one is "once")
            chosen = answer if answer in request.offered else (
                request.yes if Answer(answer).allows else Answer.DENY)
            assert chosen in request.offered and not request.forced
            assert chosen in (Answer.ALWAYS, Answer.ALWAYS_DENY)
            assert {a for _, a in now - remembered} == \
                {"always" if chosen == Answer.ALWAYS else "never"}

    again = ApprovalStore(db)  # what a restart sees: the same remembered answers
    assert {(g.scope, g.answer) for g in again.grants(TOOL)} == \
        {(g.scope, g.answer) for g in approvals.grants(TOOL)}
