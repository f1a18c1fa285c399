"""What later `heron` invocations may ask the running one to do over the instance
socket (assistant/integration/instance.py): the same agent, the same permissioned
tools, and the terminal that asked as one more approval surface."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from models.errors import CodedError


class BadCommand(CodedError):
    exit_code = 2


class CommandRefused(CodedError):
    exit_code = 6  # a device (the microphone) is missing or muted

if TYPE_CHECKING:
    from assistant.integration.instance import Connection, Handler
    from assistant.service import HeronService

MAX_ASK_CHARS = 2000


def service_commands(service: HeronService) -> dict[str, Handler]:
    async def ping(_req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        return {"pid": os.getpid(), "state": service.state}

    async def toggle(_req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        done = service.toggle_listening()
        if done == "no_mic":
            raise CommandRefused("instance.no_mic", "the running Heron has no microphone open",
                             "connect one (or start Heron without --no-mic), then try again")
        if done == "muted":
            raise CommandRefused("instance.muted", "the microphone is muted",
                             "unmute it from the tray menu")
        return {"did": done}

    async def ask(req: dict[str, Any], conn: Connection) -> dict[str, Any]:
        text = req.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ASK_CHARS:
            raise BadCommand("instance.bad_request", "ask needs a text of 1 to "
                             f"{MAX_ASK_CHARS} characters", 'e.g. heron ask "what time is it"')
        prompter = service.core.prompter
        attach = getattr(prompter, "attach", None)
        if attach is not None:
            attach(conn)
        try:
            reply = await service.core.agent.handle(text.strip(), source="cli")
        finally:
            detach = getattr(prompter, "detach", None)
            if detach is not None:
                detach(conn)
        return {"request": text.strip(), "response": reply.text,
                "tool_calls": [o.to_dict() for o in reply.tool_calls]}

    async def mute(req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        muted = bool(req.get("muted", True))
        await service.set_muted(muted)
        return {"muted": muted}

    async def enrol(req: dict[str, Any], _conn: Connection) -> dict[str, Any]:
        from assistant.enrolment import enrol_wake_word

        name, samples = req.get("name"), req.get("samples", 3)
        if not isinstance(name, str) or not isinstance(samples, int) \
                or isinstance(samples, bool):
            raise BadCommand("instance.bad_request", "enrol needs a name and a number of "
                             "samples", '{"cmd": "enrol", "name": "hey_heron", "samples": 3}')
        return await enrol_wake_word(service, name, samples, bool(req.get("force", False)))

    return {"ping": ping, "toggle": toggle, "ask": ask, "mute": mute, "enrol": enrol}
