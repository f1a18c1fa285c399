"""The permission policy and the prompt surfaces: what is allowed, what is asked, what
each answer does, and how a question reaches the user (fan-out, terminal, voice)."""

import asyncio
import io
import os
import pty
import time

import pytest

from assistant.permissions.approvals import ApprovalStore
from assistant.permissions.policy import Answer, Decision, PermissionPolicy, describe_action
from assistant.permissions.prompters import (
    CallbackPrompter,
    FanOutPrompter,
    TerminalPrompter,
    VoicePrompter,
    yes_or_no,
)
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest

THIRD = " (asked because third-party tool you have not allowed yet)"
SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}}


def manifest(name="tool", effects="read", confirm="never", builtin=True, permissions=()):
    return ToolManifest(name=name, title=name.replace("_", " ").title(), description="d",
                        effects=effects, confirm=confirm, builtin=builtin,
                        permissions=permissions, input_schema=SCHEMA)


def run(coro):
    return asyncio.run(coro)


class Surface:
    """A surface answering from a script, after an optional delay; records what it saw
    and whether its question was withdrawn."""

    def __init__(self, *answers, delay_s=0.0):
        self.answers = list(answers)
        self.delay_s = delay_s
        self.asked = []
        self.withdrawn = 0

    async def __call__(self, request):
        self.asked.append(request)
        try:
            await asyncio.sleep(self.delay_s)
        except asyncio.CancelledError:
            self.withdrawn += 1
            raise
        return self.answers.pop(0)

    def prompter(self, timeout_s=2.0):
        return FanOutPrompter([CallbackPrompter(self)], timeout_s=timeout_s)


def resolve(policy, m, args=None, surface=None, **call):
    prompter = surface.prompter() if isinstance(surface, Surface) else surface
    return run(policy.resolve(m, ToolCall(m.name, args or {}, **call), prompter))


# -- what is decided without asking ---------------------------------------------------

@pytest.mark.parametrize(("m", "grant", "expected"), [
    (manifest(), None, (Decision.ALLOW, "built-in tool")),
    (manifest(effects="write"), None, (Decision.ALLOW, "built-in tool")),
    (manifest(builtin=False), None, (Decision.ASK, "third-party tool you have not allowed yet")),
    (manifest(builtin=False), "always", (Decision.ALLOW, "you always allow it")),
    (manifest(), "never", (Decision.DENY, "you chose to always deny it")),
    (manifest(effects="destructive"), "never", (Decision.DENY, "you chose to always deny it")),
    (manifest(confirm="always"), "always", (Decision.ASK, "it asks for confirmation every time")),
    (manifest(confirm="session"), "always", (Decision.ASK, "it asks once per session")),
    (manifest(effects="destructive"), "always", (Decision.ASK, "it is destructive")),
    (manifest(permissions=("net:api.example.com",)), "always",
     (Decision.ASK, "it sends data off this machine (net:api.example.com)")),
    (manifest(permissions=("notify",)), "always",
     (Decision.ASK, "it sends data off this machine (notify)")),
])
def test_decisions(m, grant, expected):
    approvals = ApprovalStore()
    if grant:
        for scope in m.permissions or ("*",):
            approvals.remember(m.name, grant, scope)
    assert PermissionPolicy(approvals).decide(m, ToolCall(m.name, {})) == expected


def test_a_tool_denied_in_settings_is_denied_before_anything_is_asked():
    surface = Surface(Answer.ONCE)
    policy = PermissionPolicy(denied_tools={"tool"})
    decision = resolve(policy, manifest(effects="destructive"), surface=surface)
    assert decision == (Decision.DENY, "denied by your settings")
    assert surface.asked == []


# -- what each answer does --------------------------------------------------------------

def test_allow_once_and_deny_hold_for_that_call_only():
    policy, m = PermissionPolicy(), manifest(builtin=False)
    assert resolve(policy, m, surface=Surface(Answer.ONCE)) == (
        Decision.ALLOW, "you allowed it this once" + THIRD)
    assert resolve(policy, m, surface=Surface(Answer.DENY)) == (
        Decision.DENY, "you denied it" + THIRD)
    again = Surface(Answer.ONCE)
    resolve(policy, m, surface=again)
    assert len(again.asked) == 1


def test_allow_for_this_session_is_forgotten_on_restart():
    approvals = ApprovalStore()
    m = manifest(confirm="session")
    first = Surface(Answer.SESSION)
    assert resolve(PermissionPolicy(approvals), m, surface=first)[0] is Decision.ALLOW
    assert first.asked[0].offered == (Answer.SESSION, Answer.ONCE, Answer.DENY,
                                      Answer.ALWAYS_DENY)
    later = Surface()
    assert resolve(PermissionPolicy(approvals), m, surface=later) == (
        Decision.ALLOW, "you allowed it for this session")
    assert later.asked == []
    restarted = Surface(Answer.DENY)
    assert resolve(PermissionPolicy(ApprovalStore()), m, surface=restarted)[0] is Decision.DENY
    assert len(restarted.asked) == 1


def test_confirm_once_asks_once_and_a_yes_is_remembered():
    approvals = ApprovalStore()
    m = manifest(confirm="once")
    first = Surface(Answer.ONCE)  # a plain "yes" from a surface that only knows yes/no
    assert resolve(PermissionPolicy(approvals), m, surface=first) == (
        Decision.ALLOW, "you allowed it always"
        " (asked because it asks once, then remembers your answer)")
    assert first.asked[0].yes is Answer.ALWAYS
    assert approvals.answer_for("tool") == "always"
    later = Surface()
    assert resolve(PermissionPolicy(approvals), m, surface=later)[0] is Decision.ALLOW
    assert later.asked == []


def test_confirm_always_asks_every_time_and_never_offers_always():
    policy, m = PermissionPolicy(), manifest(confirm="always")
    surface = Surface(Answer.ALWAYS, Answer.ALWAYS)
    for _ in range(2):
        assert resolve(policy, m, surface=surface) == (
            Decision.ALLOW,
            "you allowed it this once (asked because it asks for confirmation every time)")
    assert len(surface.asked) == 2
    assert Answer.ALWAYS not in surface.asked[0].offered
    assert policy.approvals.grants() == []


def test_always_deny_beats_everything_and_is_not_asked_again():
    policy, m = PermissionPolicy(), manifest(builtin=False)
    assert resolve(policy, m, surface=Surface(Answer.ALWAYS_DENY)) == (
        Decision.DENY, "you denied it always" + THIRD)
    later = Surface(Answer.ONCE)
    assert resolve(policy, m, surface=later)[0] is Decision.DENY
    assert later.asked == []


def test_a_forced_confirmation_offers_only_once_or_deny_and_remembers_nothing():
    policy = PermissionPolicy()
    m = manifest(name="send_notes", effects="write", permissions=("net:evil.example",))
    policy.approvals.remember("send_notes", "always", "net:evil.example")
    surface = Surface(Answer.ALWAYS, Answer.DENY)
    assert resolve(policy, m, {"text": "my notes"}, surface) == (
        Decision.ALLOW, "you allowed it this once"
        " (asked because it sends data off this machine (net:evil.example))")
    request = surface.asked[0]
    assert request.offered == (Answer.ONCE, Answer.DENY) and request.forced
    assert request.action == ('Run "Send Notes" (send_notes) with\n'
                              '  text = "my notes"')
    assert resolve(policy, m, {"text": "my notes"}, surface)[0] is Decision.DENY
    assert len(surface.asked) == 2


def test_without_any_prompter_an_ask_is_a_deny_that_says_how_to_approve():
    decision, reason = resolve(PermissionPolicy(), manifest(builtin=False), surface=None)
    assert decision is Decision.DENY
    assert "third-party tool" in reason and "heron ask" in reason


def test_a_prompter_that_fails_denies():
    async def broken(request):
        raise RuntimeError("dialog crashed")

    class Direct:  # a prompter used without the fan-out
        async def ask(self, request):
            return await broken(request)

    decision, reason = resolve(PermissionPolicy(), manifest(builtin=False), surface=Direct())
    assert decision is Decision.DENY and "dialog crashed" in reason


# -- the fan-out ----------------------------------------------------------------------------

def test_fan_out_first_answer_wins_and_the_other_question_is_withdrawn():
    fast, slow = Surface(Answer.DENY, delay_s=0.05), Surface(Answer.ALWAYS, delay_s=5)
    prompter = FanOutPrompter([CallbackPrompter(slow), CallbackPrompter(fast)], timeout_s=10)
    started = time.monotonic()
    decision = resolve(PermissionPolicy(), manifest(builtin=False), surface=prompter)
    assert decision == (Decision.DENY, "you denied it" + THIRD)
    assert time.monotonic() - started < 2
    assert len(slow.asked) == 1 and slow.withdrawn == 1


def test_fan_out_no_answer_by_the_timeout_is_a_deny():
    silent = Surface(Answer.ONCE, delay_s=30)
    started = time.monotonic()
    decision, reason = resolve(PermissionPolicy(), manifest(builtin=False),
                               surface=silent.prompter(timeout_s=0.2))
    assert decision is Decision.DENY
    assert "timed out" in reason and "0.2 s" in reason
    assert time.monotonic() - started < 2 and silent.withdrawn == 1


def test_fan_out_with_no_surface_denies_at_once():
    started = time.monotonic()
    decision, reason = resolve(PermissionPolicy(), manifest(builtin=False),
                               surface=FanOutPrompter([], timeout_s=30))
    assert decision is Decision.DENY and "nothing could ask you" in reason
    assert time.monotonic() - started < 1


def test_fan_out_a_broken_surface_does_not_silence_the_others():
    async def broken(request):
        raise OSError("phone went away")

    good = Surface(Answer.ONCE, delay_s=0.05)
    prompter = FanOutPrompter([CallbackPrompter(broken), CallbackPrompter(good)], timeout_s=5)
    assert resolve(PermissionPolicy(), manifest(builtin=False), surface=prompter)[0] \
        is Decision.ALLOW


def test_fan_out_when_every_surface_gives_up_it_denies_without_waiting():
    async def broken(request):
        raise OSError("phone went away")

    prompter = FanOutPrompter([CallbackPrompter(broken)], timeout_s=30)
    started = time.monotonic()
    assert resolve(PermissionPolicy(), manifest(builtin=False), surface=prompter)[0] \
        is Decision.DENY
    assert time.monotonic() - started < 1


def test_a_surface_attached_while_a_question_waits_gets_it_and_can_answer():
    prompter = FanOutPrompter([CallbackPrompter(Surface(Answer.ONCE, delay_s=30))],
                              timeout_s=10)
    phone = Surface(Answer.ONCE, delay_s=0.01)

    async def scenario():
        asking = asyncio.create_task(PermissionPolicy().resolve(
            manifest(builtin=False), ToolCall("tool", {}), prompter))
        await asyncio.sleep(0.05)
        prompter.attach(CallbackPrompter(phone))
        return await asking

    assert run(scenario()) == (Decision.ALLOW, "you allowed it this once" + THIRD)
    assert len(phone.asked) == 1


def test_detaching_the_last_surface_withdraws_the_question():
    tray = Surface(Answer.ONCE, delay_s=30)
    surface = CallbackPrompter(tray)
    prompter = FanOutPrompter([surface], timeout_s=30)

    async def scenario():
        asking = asyncio.create_task(PermissionPolicy().resolve(
            manifest(builtin=False), ToolCall("tool", {}), prompter))
        await asyncio.sleep(0.05)
        prompter.detach(surface)
        return await asyncio.wait_for(asking, 2)

    decision, reason = run(scenario())
    assert decision is Decision.DENY and "nothing could ask you" in reason
    assert tray.withdrawn == 1 and prompter.surfaces == ()


# -- the terminal -------------------------------------------------------------------------

@pytest.fixture
def terminal():
    """A real pseudo-terminal: (what `heron ask` reads from, the keyboard's fd)."""
    master, slave = pty.openpty()
    tty = os.fdopen(slave, "r")
    yield tty, master
    tty.close()
    os.close(master)


def test_the_terminal_shows_the_exact_action_and_reads_the_answer(terminal):
    tty, keyboard = terminal
    shown = io.StringIO()
    policy = PermissionPolicy()
    m = manifest(name="take_note", effects="write", builtin=False)

    async def scenario():
        asking = asyncio.create_task(policy.resolve(
            m, ToolCall("take_note", {"text": "buy milk"}),
            FanOutPrompter([TerminalPrompter(tty, shown)], timeout_s=5)))
        await asyncio.sleep(0.05)
        os.write(keyboard, b"maybe\n")  # not an answer: asked again
        await asyncio.sleep(0.05)
        os.write(keyboard, b"a\n")
        return await asking

    assert run(scenario()) == (Decision.ALLOW, "you allowed it always" + THIRD)
    text = shown.getvalue()
    assert 'Run "Take Note" (take_note) with\n    text = "buy milk"' in text
    assert "[a] yes, always" in text and "please type one of the letters" in text
    assert policy.approvals.answer_for("take_note") == "always"


def test_an_empty_line_at_the_terminal_is_a_no(terminal):
    tty, keyboard = terminal
    os.write(keyboard, b"\n")
    decision = resolve(PermissionPolicy(), manifest(builtin=False),
                       surface=TerminalPrompter(tty, io.StringIO()))
    assert decision == (Decision.DENY, "you denied it" + THIRD)


def test_a_piped_stdin_is_no_terminal_so_the_call_is_denied_with_a_hint():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as pipe:
        prompter = FanOutPrompter([TerminalPrompter(pipe, io.StringIO())], timeout_s=30)
        assert not prompter.available()
        decision, reason = resolve(PermissionPolicy(), manifest(builtin=False), surface=prompter)
    os.close(write_end)
    assert decision is Decision.DENY
    assert "run `heron ask` from a terminal" in reason


def test_a_terminal_question_answered_elsewhere_stops_reading(terminal):
    tty, keyboard = terminal
    phone = Surface(Answer.DENY, delay_s=0.05)
    prompter = FanOutPrompter([TerminalPrompter(tty, io.StringIO()), CallbackPrompter(phone)],
                              timeout_s=10)
    started = time.monotonic()
    assert resolve(PermissionPolicy(), manifest(builtin=False), surface=prompter)[0] \
        is Decision.DENY
    assert time.monotonic() - started < 2
    # the next question still reads the terminal normally: no reader was left behind
    os.write(keyboard, b"y\n")
    assert resolve(PermissionPolicy(), manifest(builtin=False),
                   surface=TerminalPrompter(tty, io.StringIO()))[0] is Decision.ALLOW


# -- voice ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("heard", "expected"), [
    ("yes", True), ("Yeah, do it.", True), ("okay", True), ("no", False),
    ("no, don't", False), ("yes, no wait", False), ("", None), ("what?", None), (None, None),
])
def test_yes_or_no(heard, expected):
    assert yes_or_no(heard) is expected


def test_voice_says_the_exact_action_and_takes_a_yes():
    said, replies = [], ["umm", "yes please"]

    async def say(text):
        said.append(text)

    async def listen():
        return replies.pop(0)

    decision = resolve(PermissionPolicy(), manifest(name="take_note", builtin=False),
                       {"text": "buy milk"}, VoicePrompter(say, listen))
    assert decision == (Decision.ALLOW, "you allowed it this once" + THIRD)
    assert said[0] == "Allow Take Note with text buy milk? Say yes or no."
    assert said[1].startswith("Sorry, I didn't catch that.")


def test_voice_that_never_hears_a_clear_answer_leaves_it_to_the_timeout():
    async def say(text):
        pass

    async def listen():
        return "hmm"

    decision, reason = resolve(PermissionPolicy(), manifest(builtin=False),
                               surface=FanOutPrompter([VoicePrompter(say, listen)], 5))
    assert decision is Decision.DENY and "nothing could ask you" in reason


# -- the exact action --------------------------------------------------------------------

def test_the_exact_action_hides_nothing():
    m = manifest(name="send_notes")
    text = describe_action(m, {"text": "ok\u202eexe.txt\nrm -rf ~", "to": "a@b.example"})
    assert text == ('Run "Send Notes" (send_notes) with\n'
                    '  text = "ok\\u202eexe.txt\\nrm -rf ~"\n'
                    '  to = "a@b.example"')
    assert describe_action(m, {}) == 'Run "Send Notes" (send_notes) with no arguments'
