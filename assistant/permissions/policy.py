"""Permission policy: deny > ask > allow, with remembered answers.

Order of the rules (the first that applies wins):
1. the tool is denied in the user's settings → deny;
2. the user chose "always deny" for the tool (or a scope it asks for) → deny;
3. the call must be confirmed with the exact action shown, whatever was remembered,
   when its arguments derive from untrusted content, the tool is destructive, or it
   sends data off this machine (a `net:` or `notify` scope, or a web address that
   carries data: a query, fragment, user info or path) — only "once" and "deny" are
   offered, so no answer can skip the next such confirmation. Built-ins confirmed once
   that only reach the hosts configured for them (the weather, Home Assistant) are
   the exception: their first yes is remembered;
4. confirm=always → ask every time;
5. a call from an MCP client: allow when the user allowed the tool for MCP
   (`heron workers allow TOOL --mcp`); one that changes something or reads what can
   leak (files, the clipboard, the screen, camera, microphone) → allow when allowed for this
   session, else ask;
6. reading the clipboard, unless spoken → ask once per session;
7. allowed for this session, or (confirm never/once) always allowed → allow;
8. confirm=once → ask ("yes" is remembered as always); confirm=session → ask;
9. a built-in tool with confirm=never → allow; a third-party tool → ask.

Every question carries the scopes an allow grants (`PermissionRequest.scopes`), and
those an earlier "always" did not cover (`new_scopes`), for the surfaces to show in
plain words (assistant.permissions.scope_words).

An ASK is put to the prompter (every attached surface); no prompter, no surface, a
failure or no answer in time is a deny, and the reason says which.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from assistant.events import CallSource
from assistant.permissions.approvals import ANY_SCOPE, MCP_PREFIX, ApprovalStore
from assistant.permissions.provenance import Origin, as_origins, untrusted_origins
from assistant.permissions.scope_words import is_broad, scope_words, spoken_scope
from assistant.permissions.urls import data_urls
from assistant.tools.call import ToolCall
from assistant.tools.manifest import ToolManifest

log = logging.getLogger(__name__)

HOME_CONTROL_SCOPE = "home.control"  # commands to the user's own Home Assistant
OFF_MACHINE_SCOPES = ("net:", "notify")
"""Scopes (exact, or a prefix ending in ':') through which data leaves the machine."""
ASK_HINT = ("run `heron ask` from a terminal to answer the prompt, or answer it in the "
            "tray; `heron workers grants` lists what you have allowed or denied")
CONFIRM_HINT = ("run `heron ask` from a terminal, or use the tray, to confirm it (this "
                "kind of call is confirmed every time)")
MCP_CONFIRM_HINT = ("this kind of call is confirmed every time: use an MCP client that can "
                    "show approval prompts (elicitation), or ask Heron directly with "
                    "`heron ask`")
# Scopes whose reads can leak to whoever asked: over MCP such a read is confirmed.
# Every `fs.read:` scope is one too (LEAKY_READ_PREFIXES): a file's contents go back
# through the client exactly like the clipboard's.
LEAKY_READ_SCOPES = frozenset({"clipboard.read", "screen.read", "camera", "mic"})
LEAKY_READ_PREFIXES = ("fs.read:",)


class Decision(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


class Answer(StrEnum):
    """What a surface says to a prompt. The last two are not the user's: they mean
    nobody answered (both deny)."""

    ONCE = "once"  # allow this call only
    SESSION = "session"  # allow until Heron restarts
    ALWAYS = "always"  # allow, remembered
    DENY = "deny"  # deny this call
    ALWAYS_DENY = "always_deny"  # deny, remembered
    TIMED_OUT = "timed_out"
    UNAVAILABLE = "unavailable"  # no surface could ask

    @property
    def allows(self) -> bool:
        return self in (Answer.ONCE, Answer.SESSION, Answer.ALWAYS)


@dataclass(frozen=True)
class PermissionRequest:
    """One question to the user, with everything a surface needs to show it."""

    tool: str
    title: str
    args: Mapping[str, Any]
    action: str  # the exact action, several lines, for a human to read
    summary: str  # the exact action on one line: tool(arg="value", …)
    reason: str  # why Heron asks
    offered: tuple[Answer, ...]  # the answers a surface may give, most usual first
    origins: frozenset[Origin] = frozenset()  # untrusted origins of the arguments
    forced: bool = False  # a confirmation no remembered answer can skip
    source: CallSource = CallSource.TEXT
    call_id: str = ""
    scopes: tuple[str, ...] = ()  # what an allow grants (the manifest's permissions)
    new_scopes: tuple[str, ...] = ()  # those an earlier "always" did not cover

    @property
    def yes(self) -> Answer:
        """The answer a plain "yes" means (voice, a single button)."""
        if Answer.ONCE in self.offered:
            return Answer.ONCE
        return next(a for a in self.offered if a.allows)

    def accept(self, answer: Answer | str) -> Answer:
        """`answer` reduced to one this request offered: an allow that was not offered
        becomes the plainest allow, a deny becomes a plain deny."""
        answer = Answer(answer)
        if answer in self.offered or answer in (Answer.TIMED_OUT, Answer.UNAVAILABLE):
            return answer
        return self.yes if answer.allows else Answer.DENY

    def granted(self) -> list[tuple[str, str, bool]]:
        """(scope, plain words, new since the last "always") per scope an allow grants."""
        new = set(self.new_scopes)
        return [(s, scope_words(s), s in new) for s in dict.fromkeys(self.scopes)]

    def question(self) -> str:
        """A short spoken question that still names the exact action, and what a yes
        grants when that is lasting (a yes that means "always") or broad."""
        spoken = ", ".join(f"{k} {_spoken(v)}" for k, v in self.args.items())
        text = f"Allow {self.title}" + (f" with {spoken}" if spoken else "") + "?"
        lasting = self.yes is Answer.ALWAYS
        reach = [s for s in self.scopes if lasting or is_broad(s)]
        if reach:
            words = [spoken_scope(s) for s in reach[:3]] + (["more"] if reach[3:] else [])
            text += (" From now on it could " if lasting else " It could ") + \
                _and(words) + "."
        return text + " Say yes or no."


class PermissionPrompter(Protocol):
    async def ask(self, request: PermissionRequest) -> Answer:
        """The user's answer; TIMED_OUT or UNAVAILABLE when nobody answered."""


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    forced: bool = False
    offered: tuple[Answer, ...] = ()
    origins: frozenset[Origin] = frozenset()


_ALL = (Answer.ONCE, Answer.SESSION, Answer.ALWAYS, Answer.DENY, Answer.ALWAYS_DENY)
_FORCED = (Answer.ONCE, Answer.DENY)
_PER_SESSION = (Answer.ONCE, Answer.SESSION, Answer.DENY, Answer.ALWAYS_DENY)


class PermissionPolicy:
    """Decides each call from the manifest, the call, the user's settings and the
    remembered answers in `approvals` (in memory when none is given)."""

    def __init__(self, approvals: ApprovalStore | None = None,
                 denied_tools: Iterable[str] = ()) -> None:
        self.approvals = approvals if approvals is not None else ApprovalStore()
        self.denied_tools = frozenset(denied_tools)

    def decide(self, manifest: ToolManifest, call: ToolCall) -> tuple[Decision, str]:
        verdict = self.evaluate(manifest, call)
        return verdict.decision, verdict.reason

    def evaluate(self, m: ToolManifest, call: ToolCall) -> Verdict:
        if m.name in self.denied_tools:
            return Verdict(Decision.DENY, "denied by your settings")
        if self._remembered(m, "never"):
            return Verdict(Decision.DENY, "you chose to always deny it")
        forced, origins = forced_reasons(m, call)
        if forced:
            return Verdict(Decision.ASK, "; ".join(forced), True, _FORCED, origins)
        if m.confirm == "always":
            return Verdict(Decision.ASK, "it asks for confirmation every time",
                           offered=(Answer.ONCE, Answer.DENY, Answer.ALWAYS_DENY))
        if call.source == CallSource.MCP and self.approvals.allowed_for_mcp(m.name, m.permissions):
            return Verdict(Decision.ALLOW, "you allowed it for MCP clients")
        if self._for_session(m):
            return Verdict(Decision.ALLOW, "you allowed it for this session")
        if call.source == CallSource.MCP and (why := mcp_reason(m)):
            return Verdict(Decision.ASK, f"an MCP client asked for it and {why}",
                           offered=_PER_SESSION)
        if "clipboard.read" in m.permissions and call.source != CallSource.VOICE:
            return Verdict(Decision.ASK, "it reads your clipboard (asked once per session "
                                         "unless you ask by voice)", offered=_PER_SESSION)
        if m.confirm in ("never", "once") and self._remembered(m, "always"):
            return Verdict(Decision.ALLOW, "you always allow it")
        if m.confirm == "once":
            return Verdict(Decision.ASK, "it asks once, then remembers your answer",
                           offered=(Answer.ALWAYS, Answer.DENY, Answer.ALWAYS_DENY))
        if m.confirm == "session":
            return Verdict(Decision.ASK, "it asks once per session",
                           offered=(Answer.SESSION, Answer.ONCE, Answer.DENY,
                                    Answer.ALWAYS_DENY))
        if m.builtin:
            return Verdict(Decision.ALLOW, "built-in tool")
        return Verdict(Decision.ASK, "third-party tool you have not allowed yet", offered=_ALL)

    async def resolve(self, manifest: ToolManifest, call: ToolCall,
                      prompter: PermissionPrompter | None) -> tuple[Decision, str]:
        """The final answer for one call: ALLOW or DENY (an ASK is put to the user)."""
        verdict = self.evaluate(manifest, call)
        if verdict.decision is not Decision.ASK:
            return verdict.decision, verdict.reason
        hint = _hint(manifest, call, verdict)
        if prompter is None:
            return Decision.DENY, (f"needs your approval ({verdict.reason}) and nothing "
                                   f"could ask you: {hint}")
        request = build_request(manifest, call, verdict, self.new_scopes(manifest))
        try:
            answer = request.accept(await prompter.ask(request))
        except Exception as err:  # a broken surface must not allow anything
            log.exception("permission prompt for %s failed", manifest.name)
            return Decision.DENY, f"needs your approval ({verdict.reason}); the prompt " \
                                  f"failed ({err}), so it was denied"
        return self._apply(manifest, answer, verdict, hint, prompter)

    def _apply(self, m: ToolManifest, answer: Answer, verdict: Verdict, hint: str,
               prompter: PermissionPrompter) -> tuple[Decision, str]:
        asked = f" (asked because {verdict.reason})"
        if answer is Answer.ONCE:
            return Decision.ALLOW, "you allowed it this once" + asked
        if answer is Answer.SESSION:
            for scope in _scope_keys(m):
                self.approvals.allow_for_session(m.name, scope)
            return Decision.ALLOW, "you allowed it for this session" + asked
        if answer is Answer.ALWAYS:
            for scope in _scope_keys(m):
                self.approvals.remember(m.name, "always", scope)
            return Decision.ALLOW, "you allowed it always" + asked
        if answer is Answer.ALWAYS_DENY:
            self.approvals.remember(m.name, "never", ANY_SCOPE)
            return Decision.DENY, "you denied it always" + asked
        if answer is Answer.TIMED_OUT:
            waited = getattr(prompter, "timeout_s", None)
            within = f" within {waited:g} s" if isinstance(waited, int | float) else ""
            return Decision.DENY, (f"needs your approval ({verdict.reason}); no answer"
                                   f"{within} (timed out), so it was denied")
        if answer is Answer.UNAVAILABLE:
            return Decision.DENY, (f"needs your approval ({verdict.reason}) and nothing "
                                   f"could ask you: {hint}")
        return Decision.DENY, "you denied it" + asked

    def new_scopes(self, m: ToolManifest) -> tuple[str, ...]:
        """The scopes an earlier "always" for this tool did not cover (empty when it
        was never allowed always: then every scope is new, and shown as such)."""
        known = {g.scope for g in self.approvals.grants(m.name)
                 if g.answer == "always" and not g.scope.startswith(MCP_PREFIX)}
        if not known:
            return ()
        return tuple(s for s in m.permissions if s not in known)

    def _remembered(self, m: ToolManifest, answer: str) -> bool:
        """never: any key says never; always: every scope the tool asks for says always."""
        if answer == "never":
            keys = {ANY_SCOPE, *m.permissions}
            return any(self.approvals.answer_for(m.name, k) == "never" for k in keys)
        return all(self.approvals.answer_for(m.name, k) == "always" for k in _scope_keys(m))

    def _for_session(self, m: ToolManifest) -> bool:
        return all(self.approvals.allowed_for_session(m.name, k) for k in _scope_keys(m))


def _scope_keys(m: ToolManifest) -> tuple[str, ...]:
    """What an allow is remembered under: each scope, so a tool that later asks for
    more is asked again; `*` for a tool that needs none."""
    return tuple(m.permissions) or (ANY_SCOPE,)


def off_machine_scopes(m: ToolManifest) -> tuple[str, ...]:
    """The manifest's scopes through which data leaves this machine (`net:<host>`,
    `notify`: a notification goes to the phone, through a push service)."""
    return tuple(s for s in m.permissions
                 if any(s == p or (p.endswith(":") and s.startswith(p))
                        for p in OFF_MACHINE_SCOPES))


def mcp_reason(m: ToolManifest) -> str:
    """Why a call of `m` from an MCP client is asked about (empty: it is not): it
    changes something, or reads what can leak through the client."""
    if m.effects in ("write", "destructive"):
        return "it changes something" if m.effects == "write" else "it is destructive"
    leaky = sorted(s for s in m.permissions
                   if s in LEAKY_READ_SCOPES or s.startswith(LEAKY_READ_PREFIXES))
    if leaky:
        return "it reads what could leak: " + ", ".join(spoken_scope(s) for s in leaky)
    return ""


def _hint(m: ToolManifest, call: ToolCall, verdict: Verdict) -> str:
    if call.source == CallSource.MCP:
        if verdict.forced:
            return MCP_CONFIRM_HINT
        return (f"allow it for MCP clients with `heron workers allow {m.name} --mcp`, "
                "or use an MCP client that can show approval prompts (elicitation)")
    return CONFIRM_HINT if verdict.forced else ASK_HINT


def forced_reasons(m: ToolManifest, call: ToolCall) -> tuple[list[str], frozenset[Origin]]:
    """Why this call needs a confirmation no remembered answer can skip (empty: none),
    and the untrusted origins of its arguments."""
    named = frozenset(o for o in as_origins(call.origins) if not o.trusted)
    origins = named | untrusted_origins(call.args)
    reasons = []
    if origins:
        named = ", ".join(sorted(o.value for o in origins))
        reasons.append(f"its arguments come from untrusted content ({named})")
    elif call.untrusted:
        reasons.append("its arguments come from untrusted content")
    if m.effects == "destructive":
        reasons.append("it is destructive")
    off = off_machine_scopes(m)
    if off and not _asked_once_service(m, off):
        reasons.append(f"it sends data off this machine ({', '.join(off)})")
    elif getattr(m, "leaves_machine", False):  # for a manifest that says so outright
        reasons.append("it sends data off this machine")
    for url in data_urls(m, call.args):
        reasons.append(f"it sends data off this machine in a web address: {show_value(url)}")
    return reasons, origins


def _asked_once_service(m: ToolManifest, off: Sequence[str]) -> bool:
    """A built-in tool that says `confirm="once"` and only reaches the hosts the user
    configured for it: a lookup (the weather, Open-Meteo), or commands to the user's own
    Home Assistant (`home.control`: sending the sentence there is the whole point of the
    tool, and the user set up the server and its token). The user's first yes covers
    the later calls, as the user chose (untrusted arguments are still forced above).
    Third-party tools never qualify; nor does a built-in that writes anywhere else."""
    return (m.builtin and m.confirm == "once"
            and (m.effects == "read" or HOME_CONTROL_SCOPE in m.permissions)
            and all(scope.startswith("net:") for scope in off))


def build_request(m: ToolManifest, call: ToolCall, verdict: Verdict,
                  new_scopes: tuple[str, ...] = ()) -> PermissionRequest:
    return PermissionRequest(
        tool=m.name, title=m.title, args=dict(call.args), action=describe_action(m, call.args),
        summary=summarize_action(m.name, call.args), reason=verdict.reason,
        offered=verdict.offered, origins=verdict.origins, forced=verdict.forced,
        source=call.source, call_id=call.call_id, scopes=tuple(m.permissions),
        new_scopes=new_scopes)


def describe_action(m: ToolManifest, args: Mapping[str, Any]) -> str:
    """The exact action for a human: the tool and every argument in full, one per line,
    JSON-quoted with invisible and direction-changing characters escaped, so text
    cannot hide part of itself."""
    head = f'Run "{show_value(m.title)[1:-1]}" ({m.name})'
    if not args:
        return head + " with no arguments"
    lines = [f"  {show_value(k)[1:-1]} = {show_value(v)}" for k, v in args.items()]
    return "\n".join([head + " with", *lines])


def summarize_action(tool: str, args: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{show_value(k)[1:-1]}={show_value(v)}" for k, v in args.items())
    return f"{tool}({inner})"


def show_value(value: Any) -> str:
    """`value` as JSON, with characters a reader could not see escaped."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "".join(map(_visible, text))


def _visible(c: str) -> str:
    if unicodedata.category(c) not in _HIDDEN:
        return c
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _spoken(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
