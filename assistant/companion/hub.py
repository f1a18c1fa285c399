"""What the phone sees and does, without HTTP: connected app sessions, live state,
the conversation, permission prompts (the phone `PermissionPrompter`) and the
bus events that become notifications."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.bus import EventBus
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.events import (
    Event,
    MicStateChanged,
    ReminderFired,
    Reply,
    StateChanged,
    TimerFired,
    Transcript,
)
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.provenance import origin_warning
from audio.mic_state import MicState

log = logging.getLogger(__name__)
HISTORY_LEN = 50
CLIENT_QUEUE_LEN = 256  # a phone this far behind is dropped; it reconnects and resyncs

AskFn = Callable[[str], Awaitable[dict[str, Any]]]
MuteFn = Callable[[bool], Awaitable[None]]


@dataclass(eq=False)  # a session is itself: hashable by identity
class Session:
    """One open web app (one WebSocket)."""

    device_id: int
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE_LEN))
    closed: bool = False

    def send(self, message: dict[str, Any]) -> bool:
        try:
            self.queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            self.closed = True
            return False


@dataclass
class _Prompt:
    id: str
    request: PermissionRequest
    answer: asyncio.Future

    def to_dict(self) -> dict[str, Any]:
        r = self.request
        return {"id": self.id, "tool": r.tool, "title": r.title, "action": r.action,
                "summary": r.summary, "reason": r.reason,
                "offered": [a.value for a in r.offered],
                "origins": sorted(o.value for o in r.origins),
                "warning": origin_warning(r.origins),
                # what an allow grants, in plain words; `new`: an earlier "always"
                # did not cover it
                "scopes": [{"scope": s, "words": w, "new": n} for s, w, n in r.granted()]}


class Hub:
    def __init__(self, bus: EventBus, outbox: Outbox, ask: AskFn,
                 set_muted: MuteFn | None = None, long_task_s: float = 30.0) -> None:
        self.bus = bus
        self.outbox = outbox
        self._ask = ask
        self._set_muted = set_muted
        self.long_task_s = long_task_s
        self.sessions: set[Session] = set()
        self.state = "idle"
        self.muted = False
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY_LEN)
        self.prompts: dict[str, _Prompt] = {}
        self._ids = itertools.count(1)
        self._unsubscribe: list[Callable[[], None]] = []
        self.on_enqueued: Callable[[], None] = lambda: None  # wakes the delivery engine

    # -- wiring ------------------------------------------------------------------------
    def attach(self) -> None:
        self._unsubscribe = [self.bus.subscribe(self._on_event)]

    def detach(self) -> None:
        for off in self._unsubscribe:
            off()
        self._unsubscribe = []
        for prompt in self.prompts.values():
            if not prompt.answer.done():
                prompt.answer.set_result(Answer.UNAVAILABLE)

    def snapshot(self) -> dict[str, Any]:
        return {"type": "snapshot", "state": self.state, "muted": self.muted,
                "history": list(self.history),
                "prompts": [p.to_dict() for p in self.prompts.values()]}

    def broadcast(self, message: dict[str, Any]) -> None:
        for session in list(self.sessions):
            if not session.send(message):
                log.warning("phone session of device %s too far behind: dropped",
                            session.device_id)
                self.sessions.discard(session)

    def notify(self, kind: NoticeKind, title: str, text: str, private: bool = True) -> int:
        """Queue a notification for every bridge (the outbox makes it durable)."""
        oid = self.outbox.enqueue(kind, {"title": title, "text": text, "private": private})
        self.on_enqueued()
        return oid

    # -- the bus -----------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self.state = event.state
            self.broadcast({"type": "state", "state": event.state})
        elif isinstance(event, MicStateChanged):
            self.broadcast({"type": "mic", "state": event.state})
            if (event.state == MicState.MUTED) != self.muted:  # muted from the tray or a hotkey
                self.muted = event.state == MicState.MUTED
                self.broadcast({"type": "muted", "muted": self.muted})
        elif isinstance(event, Transcript) and event.is_final:
            self._said("user", event.text)
        elif isinstance(event, Reply):
            self._said("assistant", event.text)
        elif isinstance(event, TimerFired):
            name = f"{event.label} timer" if event.label else "timer"
            self.notify(NoticeKind.TIMER_FIRED, "Timer done", f"Your {name} is done.")
        elif isinstance(event, ReminderFired):
            self.notify(NoticeKind.REMINDER_FIRED, "Reminder", event.text)

    def _said(self, who: str, text: str) -> None:
        entry = {"who": who, "text": text}
        self.history.append(entry)
        self.broadcast({"type": "said", **entry})

    # -- what the phone does -----------------------------------------------------------
    async def command(self, text: str) -> dict[str, Any]:
        """A text command from the phone, to the same agent; a long one notifies when
        it is done."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self._said("user", text)
        result = await self._ask(text)
        if loop.time() - started >= self.long_task_s:
            self.notify(NoticeKind.TASK_DONE, "Done", result.get("response", ""))
        return result

    async def mute(self, muted: bool) -> None:
        if self._set_muted is not None:
            await self._set_muted(muted)
        if self.muted != muted:  # not already announced by the mic's own event
            self.muted = muted
            self.broadcast({"type": "muted", "muted": muted})

    def answer(self, prompt_id: str, answer: str) -> bool:
        """The phone's answer to a prompt; False when it is already settled."""
        prompt = self.prompts.get(prompt_id)
        if prompt is None or prompt.answer.done():
            return False
        prompt.answer.set_result(prompt.request.accept(Answer(answer)))
        return True


class PhonePrompter:
    """The phone as a permission surface: available while a paired app is open (or a
    push bridge can reach the phone); the question is shown in the app and an
    "approval needed" notification goes out."""

    def __init__(self, hub: Hub, reachable: Callable[[], bool] = lambda: False) -> None:
        self._hub = hub
        self._reachable = reachable

    def available(self) -> bool:
        return bool(self._hub.sessions) or self._reachable()

    async def ask(self, request: PermissionRequest) -> Answer:
        hub = self._hub
        prompt = _Prompt(f"p{next(hub._ids)}", request,
                         asyncio.get_running_loop().create_future())
        hub.prompts[prompt.id] = prompt
        hub.broadcast({"type": "prompt", **prompt.to_dict()})
        hub.notify(NoticeKind.APPROVAL_NEEDED, "Approval needed", request.summary)
        try:
            return await prompt.answer
        finally:
            del hub.prompts[prompt.id]
            hub.broadcast({"type": "prompt_closed", "id": prompt.id})
