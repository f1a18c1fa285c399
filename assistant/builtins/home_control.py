"""Built-in tool home_control: a sentence Heron cannot act on itself ("turn on the
kitchen light", "is the garage door open") goes to the user's Home Assistant through
its conversation API, and Home Assistant's answer is said. Registered only when
[home_assistant] url is set; the access token is read from the secret store at each
call, so `heron ha login` takes effect without a restart.

It asks for `home.control` and the one host in [home_assistant] url (net:<host>), and
is confirmed once: the first "always" covers later home commands
(assistant/permissions/policy.py, `_asked_once_service`); a sentence that came from
untrusted content (the screen, a file) is still confirmed every time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.builtins.home_assistant_client import (
    LOGIN_HINT,
    HomeAssistantClient,
    HomeAssistantError,
)
from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.tools.manifest import ToolManifest

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

HOME_CONTROL = "home_control"
HOME_SCOPE = "home.control"
HA_ERROR = "ha.error"  # Home Assistant's own error answer (its speech is the message)
# Home Assistant keeps a conversation's context ("turn it off" after "turn on the
# lamp") under its conversation_id: a follow-up within this many seconds continues it.
CONVERSATION_TTL_S = 300.0
MAX_TEXT_CHARS = 500

TokenSource = Callable[[], str | None]


class HomeControl:
    manifest = ToolManifest(
        name=HOME_CONTROL, title="Home control (Home Assistant)", builtin=True,
        effects="write", confirm="once", permissions=(HOME_SCOPE,),
        description="Controls lights, switches, covers and blinds, climate, fans, scenes "
                    "and other devices through the user's Home Assistant, and answers "
                    "questions about their state (\"is the garage door open\"). Give the "
                    "user's sentence as said; Home Assistant's answer is what to say.",
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
                         "description": "the user's request, e.g. \"turn on the kitchen "
                                        "light\""},
                "language": {"type": "string",
                             "pattern": "^[A-Za-z]{2,3}([-_][A-Za-z]{2,4})?$",
                             "description": "the request's language code (default: Home "
                                            "Assistant's)"},
            },
        },
        output_schema={"type": "object", "properties": {
            "speech": {"type": "string"}, "response_type": {"type": "string"},
            "success": {"type": "array", "items": {"type": "string"}},
            "failed": {"type": "array", "items": {"type": "string"}}}},
        # No examples: the intents stage (Home Assistant's own templates) hands device
        # control over; examples here would let the router take other tools' sentences.
        examples=(),
    )

    def __init__(self, options: HomeAssistantOptions, token: TokenSource,
                 client: HomeAssistantClient | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self._token = token
        self._client = client or HomeAssistantClient(options)
        self._clock = clock
        self._conversation: tuple[str, float] = ("", 0.0)  # (id, when it was given)
        # The instance manifest asks for exactly the configured host.
        self.manifest = replace(type(self).manifest,
                                permissions=(HOME_SCOPE, options.scope()),
                                timeout_s=max(2 * options.timeout_s, 10.0))

    async def preview(self, args: dict[str, Any], ctx: ToolContext
                      ) -> tuple[dict[str, Any], frozenset[str]]:
        """Before any question: without a token nothing could work, so say how to get one."""
        await self._read_token()
        return {}, frozenset()

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        text = str(args["text"]).strip()
        language = self.options.language or str(args.get("language") or "")
        ctx.caps.require(HOME_SCOPE, text)  # audited, with the sentence sent
        host, port = self.options.endpoint()
        ctx.caps.check_host(f"{host}:{port}")  # audited; raises when not granted
        token = await self._read_token()
        reply = await self._client.process(text, token, language, self._current())
        if reply.conversation_id:
            self._conversation = (reply.conversation_id, self._clock())
        if reply.response_type == "error":
            raise HomeAssistantError(
                HA_ERROR, reply.speech or "Home Assistant couldn't do that.",
                f"Home Assistant's reason: {reply.code or 'not given'}; name the device as "
                "Home Assistant knows it, and check it is exposed to Assist")
        return {"speech": reply.speech or "Done.", "response_type": reply.response_type,
                "success": list(reply.success), "failed": list(reply.failed),
                "language": reply.language}

    def _current(self) -> str:
        conversation_id, when = self._conversation
        return conversation_id if self._clock() - when <= CONVERSATION_TTL_S else ""

    async def _read_token(self) -> str:
        token = await asyncio.to_thread(self._token)  # a keyring may be slow
        if not token:
            raise HomeAssistantError(
                "ha.no_token", "Home Assistant has no access token yet: run heron ha "
                "login.", LOGIN_HINT)
        return token
