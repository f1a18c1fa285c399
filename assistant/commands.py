"""What later `heron` invocations may ask the running one to do over the instance
socket (assistant/desktop/instance.py): the same agent, the same permissioned
tools, and the terminal that asked as one more approval surface."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from assistant.events import CallSource
from assistant.languages import LANGUAGE_CODE
from assistant.voice.barge_in import is_stop_request
from models.errors import CodedError


class BadCommand(CodedError):
    exit_code = 2


class CommandRefused(CodedError):
    exit_code = 6  # a device (the microphone) is missing or muted


if TYPE_CHECKING:
    from assistant.desktop.instance import Connection, Handler
    from assistant.service import HeronService

MAX_ASK_CHARS = 2000
_MISSING = object()
_TYPE_WORDS = {bool: "true or false", int: "a whole number", str: "a string"}


def argument(req: dict[str, Any], name: str, kind: type, default: Any = _MISSING,
             example: str = "") -> Any:
    """`req[name]` if it is a JSON value of `kind` (no coercion: "no" is not false, and
    true is not 1); `default` when it is absent; else a BadCommand naming the field."""
    if name not in req:
        if default is _MISSING:
            raise BadCommand("instance.bad_request", f"{req.get('cmd')} needs '{name}' "
                             f"({_TYPE_WORDS[kind]})", example)
        return default
    value = req[name]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadCommand("instance.bad_request", f"'{name}' must be {_TYPE_WORDS[kind]}, "
                         f"not {_json_type(value)}", example)
    return value


def _json_type(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def service_commands(service: HeronService) -> dict[str, Handler]:
    async def ping(_req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        return {"pid": os.getpid(), "state": service.state}

    async def toggle(_req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        done = service.toggle_listening()
        if done == "no_mic":
            raise CommandRefused("instance.no_mic", "the running Heron has no microphone open",
                                 "connect one (or start Heron without --no-mic), then try "
                                 "again")
        if done == "muted":
            raise CommandRefused("instance.muted", "the microphone is muted",
                                 "unmute it from the tray menu")
        return {"did": done}

    async def ask(req: dict[str, Any], conn: Connection) -> dict[str, Any]:
        example = 'e.g. heron ask "what time is it"'
        text = argument(req, "text", str, example=example).strip()
        if not text or len(text) > MAX_ASK_CHARS:
            raise BadCommand("instance.bad_request", f"'text' must have 1 to {MAX_ASK_CHARS}"
                             " characters", example)
        language = argument(req, "language", str, "", '{"cmd": "ask", "text": "…", '
                            '"language": "de"}').strip() or None
        if language is not None and not LANGUAGE_CODE.fullmatch(language):
            raise BadCommand("instance.bad_request", f"'{language[:20]}' is not a language "
                             "code", 'use a code such as "en", "de", "fr", "es" or "ar"')
        if is_stop_request(text) and service.hush():  # a reading typed, stopped typed
            return {"request": text, "response": "", "tool_calls": [], "understanding": None}
        prompter = service.core.prompter
        attach = getattr(prompter, "attach", None)
        if attach is not None:
            attach(conn)
        try:
            reply = await service.core.agent.handle(text, source=CallSource.CLI, language=language)
        finally:
            detach = getattr(prompter, "detach", None)
            if detach is not None:
                detach(conn)
        if reply.reads_aloud:  # "read this to me", typed: the reading is spoken here
            service.announce_soon(reply.text)
        return {"request": text, "response": reply.text,
                "tool_calls": [o.to_dict() for o in reply.tool_calls],
                "understanding": reply.understanding}

    async def mute(req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        muted = argument(req, "muted", bool, True, '{"cmd": "mute", "muted": false}')
        await service.set_muted(muted)
        return {"muted": muted}

    async def enrol(req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        from assistant.voice.enrolment import enrol_wake_word

        example = '{"cmd": "enrol", "name": "hey_heron", "samples": 3, "force": false}'
        name = argument(req, "name", str, example=example)
        samples = argument(req, "samples", int, 3, example)
        force = argument(req, "force", bool, False, example)
        return await enrol_wake_word(service, name, samples, force)

    return {"ping": ping, "toggle": toggle, "ask": ask, "mute": mute, "enrol": enrol}
