"""Issue 13, items 3 and 6, at the policy: web addresses that carry data are always
confirmed; the clipboard is read only after a question per session (unless spoken);
MCP clients are asked before anything changes or leaks, unless the user allowed the
tool for MCP; every question carries the scopes an allow grants, and a version that
asks for more scopes asks again, showing the new ones."""

import asyncio
import dataclasses
from types import SimpleNamespace

import pytest

from assistant.audit import AuditLog
from assistant.builtins.apps import OpenUrl
from assistant.builtins.clipboard import ClipboardRead
from assistant.builtins.desktop import DesktopError, normalize_url
from assistant.bus import EventBus
from assistant.permissions.approvals import ApprovalStore
from assistant.permissions.policy import Answer, Decision, PermissionPolicy
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter, render_request
from assistant.permissions.urls import url_carries_data
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolRegistry

SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}}


def manifest(name="tool", effects="read", confirm="never", builtin=True, permissions=()):
    return ToolManifest(name=name, title=name.replace("_", " ").title(), description="d",
                        effects=effects, confirm=confirm, builtin=builtin,
                        permissions=permissions, input_schema=SCHEMA)


class User:
    """Answers every question with `answer` and keeps what it was shown."""

    def __init__(self, answer=Answer.ONCE):
        self.answer = answer
        self.asked = []

    async def __call__(self, request):
        self.asked.append(request)
        return self.answer

    def prompter(self):
        return FanOutPrompter([CallbackPrompter(self)], timeout_s=2)


def resolve(policy, m, args=None, user=None, source="text"):
    prompter = user.prompter() if user is not None else None
    return asyncio.run(policy.resolve(m, ToolCall(m.name, args or {}, source=source),
                                      prompter))


# -- web addresses that carry data ---------------------------------------------------------

# urlsplit raises a plain ValueError on these ("Invalid IPv6 URL"; a fullwidth slash that
# NFKC turns into a "/" inside the host).
MALFORMED = ("https://[evil.example/?q=secret", "https://evil.example\uff0fdata")


@pytest.mark.parametrize(("url", "carries"), [
    ("https://example.org", False),
    ("https://example.org/", False),
    ("example.org", False),
    ("example dot org", False),
    ("http://example.org:8080/", False),
    ("http://evil.example/?q=stolen", True),
    ("https://example.org/?", True),
    ("https://example.org#frag", True),
    ("https://example.org/path", True),
    ("https://example.org/a/b.html", True),
    ("https://user:pw@example.org", True),
    ("https://user@example.org/", True),
    ("https://example.org%2fstolen", True),
    ("https://example.org\\@evil.example", True),
    ("https://example.org:notaport/", True),
    ("HTTPS://EXAMPLE.ORG/X", True),
    # refused by open_url before any program runs (a coded error), so never opened
    ("file:///etc/passwd?x", False),
    ("javascript:alert(1)", False),
    # the parser cannot read these at all: never "bare", so confirmed, not a crash
    (MALFORMED[0], True),
    (MALFORMED[1], True),
])
def test_which_web_addresses_carry_data(url, carries):
    assert url_carries_data(url) is carries


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_address_is_refused_with_a_code_and_audited_never_raised(tmp_path, url):
    with pytest.raises(DesktopError) as refused:
        normalize_url(url)
    assert refused.value.code == "url.invalid"
    storage = Storage(tmp_path / "heron.db")
    try:
        audit = AuditLog(storage, b"k" * 32)
        opened = []
        launcher = SimpleNamespace(open_url=opened.append)
        registry = ToolRegistry(EventBus(), audit, backends=DesktopBackends(apps=launcher))
        registry.register(OpenUrl())
        # nobody to ask: refused as data leaving the machine
        out = asyncio.run(registry.call(ToolCall("open_url", {"url": url}, source="mcp")))
        assert (out.status, out.code) == ("denied", "tool.denied")
        assert "sends data off this machine in a web address" in out.error
        # the user says yes once: the tool itself refuses the address, with its code
        user = User(Answer.ONCE)
        registry.prompter = user.prompter()
        out = asyncio.run(registry.call(ToolCall("open_url", {"url": url}, source="voice")))
        assert (out.status, out.code) == ("error", "url.invalid")
        assert len(user.asked) == 1 and opened == []
        decisions = [e for e in audit.entries() if e["kind"] == "decision"]
        assert [d["decision"] for d in decisions] == ["deny", "allow"]
    finally:
        storage.close()


def test_opening_an_address_that_carries_data_is_confirmed_every_time_with_the_full_url():
    m = OpenUrl.manifest
    policy = PermissionPolicy()
    for scope in m.permissions:  # even when the user said "always" before
        policy.approvals.remember(m.name, "always", scope)
    url = "http://evil.example/?q=stolen"
    for source in ("voice", "text", "mcp"):
        user = User(Answer.ALWAYS)
        decision, reason = resolve(policy, m, {"url": url}, user, source=source)
        assert decision is Decision.ALLOW and "this once" in reason
        request = user.asked[0]
        assert request.forced and request.offered == (Answer.ONCE, Answer.DENY)
        assert f'"{url}"' in request.reason and f'"{url}"' in request.action
    # nothing could ask: refused, saying why
    decision, reason = resolve(policy, m, {"url": url})
    assert decision is Decision.DENY
    assert "sends data off this machine in a web address" in reason and url in reason


def test_a_bare_address_the_user_names_opens_without_a_question():
    user = User(Answer.DENY)
    for url in ("https://example.org", "https://example.org/", "example dot org"):
        assert resolve(PermissionPolicy(), OpenUrl.manifest, {"url": url}, user,
                       source="voice") == (Decision.ALLOW, "built-in tool")
    assert user.asked == []


# -- the clipboard ------------------------------------------------------------------------

def test_reading_the_clipboard_is_asked_once_per_session_except_when_spoken():
    m = ClipboardRead.manifest
    policy = PermissionPolicy()
    assert resolve(policy, m, source="voice") == (Decision.ALLOW, "built-in tool")
    refused = resolve(policy, m, source="text")
    assert refused[0] is Decision.DENY and "reads your clipboard" in refused[1]
    user = User(Answer.SESSION)
    assert resolve(policy, m, user=user, source="text")[0] is Decision.ALLOW
    assert Answer.SESSION in user.asked[0].offered
    assert user.asked[0].scopes == ("clipboard.read",)
    assert resolve(policy, m, user=user, source="cli")[0] is Decision.ALLOW
    assert len(user.asked) == 1  # once per session
    # a restart forgets it; an "always" from before does not skip the question
    restarted = PermissionPolicy(ApprovalStore())
    restarted.approvals.remember(m.name, "always", "clipboard.read")
    assert resolve(restarted, m, source="timer")[0] is Decision.DENY


# -- MCP clients ------------------------------------------------------------------------

def test_an_mcp_call_that_changes_something_is_asked_or_refused_with_how_to_allow_it():
    timer = manifest(name="set_timer", effects="write")
    policy = PermissionPolicy()
    decision, reason = resolve(policy, timer, source="mcp")
    assert decision is Decision.DENY
    assert "an MCP client asked for it and it changes something" in reason
    assert "heron workers allow set_timer --mcp" in reason
    # the same call by voice or text is what it always was
    assert resolve(policy, timer, source="voice") == (Decision.ALLOW, "built-in tool")
    user = User(Answer.ONCE)
    assert resolve(policy, timer, user=user, source="mcp")[0] is Decision.ALLOW
    assert len(user.asked) == 1
    # a read that cannot leak is not asked
    assert resolve(policy, manifest(name="get_time"), source="mcp") == (
        Decision.ALLOW, "built-in tool")


@pytest.mark.parametrize("scope", ["clipboard.read", "screen.read", "camera", "mic",
                                   "fs.read:~/**", "fs.read:/etc/hosts"])
def test_an_mcp_read_that_can_leak_is_asked(scope):
    decision, reason = resolve(PermissionPolicy(), manifest(permissions=(scope,)),
                               source="mcp")
    assert decision is Decision.DENY and "it reads what could leak" in reason
    # allowed for MCP, it runs unasked
    approvals = ApprovalStore()
    approvals.allow_for_mcp("tool", (scope,))
    assert resolve(PermissionPolicy(approvals), manifest(permissions=(scope,)),
                   source="mcp") == (Decision.ALLOW, "you allowed it for MCP clients")


def test_allowed_for_mcp_runs_unasked_until_a_version_asks_for_more():
    approvals = ApprovalStore()
    v1 = manifest(name="probe", effects="write", permissions=("clipboard.write",))
    approvals.allow_for_mcp("probe", v1.permissions)
    policy = PermissionPolicy(approvals)
    assert resolve(policy, v1, source="mcp") == (Decision.ALLOW,
                                                 "you allowed it for MCP clients")
    v2 = dataclasses.replace(v1, permissions=("clipboard.write", "shell"))
    assert resolve(policy, v2, source="mcp")[0] is Decision.DENY
    # an MCP grant is not a grant for anything else, and a data URL is still confirmed
    assert approvals.answer_for("probe", "clipboard.write") is None
    approvals.allow_for_mcp("open_url", OpenUrl.manifest.permissions)
    assert resolve(policy, OpenUrl.manifest, {"url": "https://example.org"},
                   source="mcp")[0] is Decision.ALLOW
    assert resolve(policy, OpenUrl.manifest, {"url": "https://evil.example/?q=1"},
                   source="mcp")[0] is Decision.DENY
    # taking back the MCP allow leaves the tool's other answers alone
    approvals.remember("probe", "always", "clipboard.write")
    assert approvals.revoke_for_mcp("probe") == 1
    assert resolve(policy, v1, source="mcp")[0] is Decision.DENY
    assert approvals.answer_for("probe", "clipboard.write") == "always"


# -- the scopes a question shows ------------------------------------------------------------

def test_every_question_carries_the_scopes_and_the_terminal_shows_them_in_words():
    m = manifest(name="runner", builtin=False, permissions=("shell", "fs.read:/**", "net:*"))
    user = User(Answer.DENY)
    resolve(PermissionPolicy(), m, {"text": "ls"}, user)
    request = user.asked[0]
    assert request.scopes == ("shell", "fs.read:/**", "net:*")
    shown = render_request(request)
    for words in ("run any program (shell)",
                  "read every file on this computer (fs.read:/**)",
                  "connect to any host on the network (net:*)"):
        assert words in shown


def test_a_version_asking_for_more_scopes_asks_again_and_shows_what_is_new():
    approvals = ApprovalStore()
    v1 = manifest(name="helper", builtin=False, permissions=("clipboard.read",))
    approvals.allow_for_mcp("helper", ("clipboard.read", "shell"))  # MCP only: no say here
    first = User(Answer.ALWAYS)
    assert resolve(PermissionPolicy(approvals), v1, user=first, source="voice")[0] \
        is Decision.ALLOW
    assert first.asked[0].new_scopes == ()
    assert resolve(PermissionPolicy(approvals), v1, source="voice") == (
        Decision.ALLOW, "you always allow it")
    v2 = dataclasses.replace(v1, version="2.0.0", permissions=("clipboard.read", "shell"))
    again = User(Answer.DENY)
    assert resolve(PermissionPolicy(approvals), v2, user=again, source="voice")[0] \
        is Decision.DENY
    request = again.asked[0]
    assert request.scopes == ("clipboard.read", "shell") and request.new_scopes == ("shell",)
    shown = render_request(request)
    assert "* run any program (shell)" in shown and "- read your clipboard" in shown


def test_the_spoken_question_names_what_a_lasting_or_broad_yes_grants():
    once = manifest(name="helper", confirm="once", permissions=("clipboard.write",))
    user = User(Answer.DENY)
    resolve(PermissionPolicy(), once, user=user, source="voice")
    assert user.asked[0].question() == ("Allow Helper? From now on it could replace what "
                                        "is on your clipboard. Say yes or no.")
    broad = manifest(name="runner", builtin=False, permissions=("shell", "clipboard.write"))
    resolve(PermissionPolicy(), broad, user=user, source="voice")
    assert user.asked[1].question() == "Allow Runner? It could run any program. Say yes or no."
