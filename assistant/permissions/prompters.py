"""Surfaces that put a permission question to the user, and the fan-out that asks all
of them at once.

Every surface implements `PermissionPrompter.ask(request) -> Answer` and may have an
`available()` method: a surface that is not available right now (a terminal prompter
whose stdin is a pipe) is skipped. `FanOutPrompter` is what the registry holds: it
asks every attached surface at the same time, the first real answer wins and the
other questions are cancelled; no answer by the timeout is TIMED_OUT, no surface at
all is UNAVAILABLE (the policy turns both into a deny that says why).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import TextIO

from assistant.permissions.policy import Answer, PermissionPrompter, PermissionRequest

log = logging.getLogger(__name__)

_NOBODY = (Answer.TIMED_OUT, Answer.UNAVAILABLE)


def is_available(surface: PermissionPrompter) -> bool:
    check = getattr(surface, "available", None)
    try:
        return bool(check()) if callable(check) else True
    except Exception:  # a surface that cannot tell is not there
        log.exception("permission surface %r failed its availability check", surface)
        return False


class FanOutPrompter:
    """Asks every attached surface at once; first answer wins."""

    def __init__(self, surfaces: Iterable[PermissionPrompter] = (),
                 timeout_s: float = 60.0) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.timeout_s = timeout_s
        self._surfaces: list[PermissionPrompter] = list(surfaces)
        self._pending: set[_Question] = set()

    @property
    def surfaces(self) -> tuple[PermissionPrompter, ...]:
        return tuple(self._surfaces)

    def reconfigure(self, timeout_s: float) -> None:
        """A new answer timeout ([permissions] approval_timeout_s), from the next
        question on."""
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.timeout_s = timeout_s

    def attach(self, surface: PermissionPrompter) -> None:
        """Add a surface; questions already waiting are put to it too."""
        if surface in self._surfaces:
            return
        self._surfaces.append(surface)
        if is_available(surface):
            for question in self._pending:
                question.put_to(surface)

    def detach(self, surface: PermissionPrompter) -> None:
        """Remove a surface and withdraw the questions it is showing."""
        if surface in self._surfaces:
            self._surfaces.remove(surface)
        for question in self._pending:
            question.withdraw(surface)

    def available(self) -> bool:
        return any(is_available(s) for s in self._surfaces)

    async def ask(self, request: PermissionRequest) -> Answer:
        question = _Question(request)
        for surface in self._surfaces:
            if is_available(surface):
                question.put_to(surface)
        if not question.asking:
            return Answer.UNAVAILABLE
        self._pending.add(question)
        try:
            done, _ = await asyncio.wait({question.answer}, timeout=self.timeout_s)
            return question.answer.result() if done else Answer.TIMED_OUT
        finally:
            self._pending.discard(question)
            await question.close()


class _Question:
    """One request put to several surfaces; `answer` resolves with the first real
    answer, or UNAVAILABLE once every surface has given up."""

    def __init__(self, request: PermissionRequest) -> None:
        self.request = request
        self.answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._tasks: dict[int, asyncio.Task[None]] = {}  # by id(surface)

    @property
    def asking(self) -> bool:
        return bool(self._tasks)

    def put_to(self, surface: PermissionPrompter) -> None:
        if id(surface) not in self._tasks and not self.answer.done():
            self._tasks[id(surface)] = asyncio.create_task(self._ask(surface))

    def withdraw(self, surface: PermissionPrompter) -> None:
        task = self._tasks.get(id(surface))
        if task is not None:
            task.cancel()

    async def _ask(self, surface: PermissionPrompter) -> None:
        try:
            answer = Answer(await surface.ask(self.request))
            if answer not in _NOBODY and not self.answer.done():
                self.answer.set_result(answer)
        except asyncio.CancelledError:
            raise
        except Exception:  # one broken surface must not silence the others
            log.exception("permission surface %r failed", surface)
        finally:
            me = asyncio.current_task()
            if not self.answer.done() and all(t.done() or t is me
                                              for t in self._tasks.values()):
                self.answer.set_result(Answer.UNAVAILABLE)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


class CallbackPrompter:
    """A surface made of a coroutine function: the tray or phone bridge, or a test."""

    def __init__(self, answer: Callable[[PermissionRequest], Awaitable[Answer]],
                 available: Callable[[], bool] | None = None) -> None:
        self._answer = answer
        self._available = available

    def available(self) -> bool:
        return self._available() if self._available is not None else True

    async def ask(self, request: PermissionRequest) -> Answer:
        return await self._answer(request)


_YES = {"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "allow", "confirm", "approve",
        "go", "affirmative", "correct", "please"}
_NO = {"no", "nope", "nah", "don't", "dont", "not", "stop", "cancel", "deny", "never",
       "negative", "wait"}


def yes_or_no(heard: str | None) -> bool | None:
    """True for a clear yes, False for anything with a no in it, None when unclear."""
    words = set(re.findall(r"[a-z']+", (heard or "").lower()))
    if words & _NO:
        return False
    if words & _YES or {"do", "it"} <= words:
        return True
    return None


class VoicePrompter:
    """The voice yes/no surface: `say` speaks the question (naming the exact action),
    `listen` returns what was recognized next. A clear yes is the request's plain
    allow; anything unclear twice leaves the question to the other surfaces."""

    def __init__(self, say: Callable[[str], Awaitable[None]],
                 listen: Callable[[], Awaitable[str | None]], attempts: int = 2,
                 available: Callable[[], bool] | None = None) -> None:
        self._say = say
        self._listen = listen
        self._attempts = attempts
        self._available = available

    def available(self) -> bool:
        return self._available() if self._available is not None else True

    async def ask(self, request: PermissionRequest) -> Answer:
        prompt = request.question()
        for _ in range(self._attempts):
            await self._say(prompt)
            verdict = yes_or_no(await self._listen())
            if verdict is not None:
                return request.yes if verdict else Answer.DENY
            prompt = "Sorry, I didn't catch that. " + request.question()
        return Answer.UNAVAILABLE


# -- the terminal, for `heron ask` ----------------------------------------------------

_KEYS = {"y": None, "yes": None, "s": Answer.SESSION, "session": Answer.SESSION,
         "a": Answer.ALWAYS, "always": Answer.ALWAYS, "n": Answer.DENY, "no": Answer.DENY,
         "d": Answer.DENY, "deny": Answer.DENY, "": Answer.DENY,
         "never": Answer.ALWAYS_DENY}  # None: the request's plain yes
_LABELS = {Answer.ONCE: "[y] yes, this once", Answer.SESSION: "[s] yes, for this session",
           Answer.ALWAYS: "[a] yes, always", Answer.DENY: "[n] no",
           Answer.ALWAYS_DENY: "[never] no, and never ask again"}


def parse_terminal_answer(text: str, request: PermissionRequest) -> Answer | None:
    """The answer typed at the terminal, or None when it is not one of those offered.
    An empty line is a no."""
    key = text.strip().lower()
    if key not in _KEYS:
        return None
    answer = _KEYS[key] or request.yes
    return answer if answer in request.offered else None


def render_request(request: PermissionRequest) -> str:
    """The question as the terminal shows it: the exact action, why, and the choices."""
    lines = ["", "Heron needs your permission:", *("  " + ln for ln in
                                                   request.action.splitlines()),
             f"  why: {request.reason}"]
    if request.origins:
        lines.append("  the arguments come from: "
                     + ", ".join(sorted(o.value for o in request.origins)))
    lines.extend("  " + ln for ln in grant_lines(request))
    labels = [_LABELS[a] for a in request.offered if a in _LABELS]
    if request.yes is Answer.ALWAYS:  # confirm=once: a yes is remembered
        labels[request.offered.index(Answer.ALWAYS)] = "[y] yes, and don't ask again"
    lines.append("  " + "  ".join(labels) + " ? ")
    return "\n".join(lines)


def grant_lines(request: PermissionRequest) -> list[str]:
    """What an allow lets the tool do, one scope a line in plain words (the terminal,
    the MCP client's prompt); the scopes an earlier "always" did not cover are marked."""
    if not request.scopes:
        return ["it needs no special permissions"]
    head = ("if you allow it, it may (NEW since you last allowed it: marked *):"
            if request.new_scopes else "if you allow it, it may:")
    return [head, *(f"  {'* ' if new else '- '}{words}"
                    for _, words, new in request.granted())]


class TerminalPrompter:
    """Asks on the terminal `heron ask` runs in: the question goes to `output`
    (stderr, so --json on stdout stays clean), the answer is read from `input`. When
    `input` is not a terminal (a pipe, a service) the surface is not available."""

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None,
                 attempts: int = 3) -> None:
        self._in = input if input is not None else sys.stdin
        self._out = output if output is not None else sys.stderr
        self._attempts = attempts

    def available(self) -> bool:
        try:
            return self._in is not None and self._in.isatty()
        except (ValueError, OSError):  # closed or detached
            return False

    async def ask(self, request: PermissionRequest) -> Answer:
        if not self.available():
            return Answer.UNAVAILABLE
        self._write(render_request(request))
        for _ in range(self._attempts):
            line = await self._readline()
            if line is None:  # Ctrl-D
                self._write("\n")
                return Answer.DENY
            answer = parse_terminal_answer(line, request)
            if answer is not None:
                return answer
            self._write("please type one of the letters in [ ] ? ")
        return Answer.DENY

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    async def _readline(self) -> str | None:
        """One line from the terminal without blocking the loop; cancelling stops
        the wait at once (no thread left reading)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()
        fd = self._in.fileno()
        chunks: list[bytes] = []

        def readable() -> None:
            data = os.read(fd, 4096)
            chunks.append(data)
            if (not data or b"\n" in data) and not done.done():
                text = b"".join(chunks).decode("utf-8", "replace")
                done.set_result(text.split("\n", 1)[0] if text else None)

        try:
            loop.add_reader(fd, readable)
        except NotImplementedError:  # a loop without add_reader (Windows)
            return await _readline_in_thread(self._in)
        try:
            return await done
        finally:
            loop.remove_reader(fd)


async def _readline_in_thread(stream: TextIO) -> str | None:
    """A daemon thread, so an unanswered prompt cannot keep the process alive."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        line = stream.readline()
        loop.call_soon_threadsafe(lambda: done.done() or done.set_result(line or None))

    threading.Thread(target=read, name="heron-prompt", daemon=True).start()
    return await done
