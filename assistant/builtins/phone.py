"""Built-in tool notify_phone: queues a message for the user's phone in the companion's
durable outbox (assistant/companion/outbox.py), delivered with retries by the companion;
until then the message waits, queued, across restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.companion.outbox import NoticeKind, Outbox
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

MAX_TEXT_CHARS = 1000


class NotifyPhone:
    manifest = ToolManifest(
        name="notify_phone", title="Send to my phone", builtin=True, effects="write",
        description="Send a short message to the user's paired phone. The text leaves "
                    "this computer (it is delivered to the phone), so only send what the "
                    "user asked to send.",
        permissions=("notify",),
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1,
                                    "maxLength": MAX_TEXT_CHARS, "x-slot": "text",
                                    "x-message": True,
                                    "x-lead-words": ["the message", "a message", "the note",
                                                     "the text", "saying"]}},
        },
        output_schema={"type": "object", "properties": {
            "outbox_id": {"type": "integer"}, "state": {"type": "string"}}},
        examples=("ping my phone {text}", "send {text} to my phone", "notify my phone {text}",
                  "send a message to my phone {text}", "tell my phone {text}",
                  "push {text} to my phone", "send a note to my phone saying {text}",
                  "send a message to my phone saying {text}", "text my phone {text}",
                  "send my phone a message saying {text}", "ping my phone with {text}",
                  "ping my phone saying {text}", "buzz my phone saying {text}",
                  "notify my phone saying {text}", "tell my phone that {text}",
                  "message my phone {text}", "message my cell saying {text}",
                  "let my phone know {text}", "send {text} to my mobile",
                  "send my phone {text}", "send my phone a note {text}",
                  "send a notification to my phone {text}", "send a push notification {text}",
                  "push a notification to my phone {text}",
                  "send a notification to my phone saying {text}",
                  "notify me on my phone {text}", "send this to my phone {text}",
                  "send a message to my mobile {text}",
                  "send a message to my mobile saying {text}", "text me {text}",
                  "phone notification {text}", "put a message on my phone {text}",
                  "buzz my phone with {text}", "send to my phone {text}",
                  "send this to my mobile {text}"),
    )

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        text = args["text"].strip()
        if not text:
            raise ToolError("phone.empty", "What should I send to your phone?",
                            "say, for example: send buy milk to my phone")
        ctx.caps.require("notify", "phone")
        oid = self._outbox.enqueue(NoticeKind.PHONE_NOTIFY, {
            "text": text, "source": ctx.call.source, "untrusted": ctx.call.untrusted,
            "call_id": ctx.call.call_id})
        return {"outbox_id": oid, "state": "queued",
                "speech": "OK, it's queued for your phone. It goes out once your phone is "
                          "connected."}
