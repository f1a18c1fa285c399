"""Built-in tool broadcast: Heron says the message aloud and queues it for the user's
phone (the same durable outbox as notify_phone, so it reaches the phone once the
companion delivers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.agent.intents.polite import COLON_HEAD_EN
from assistant.builtins.phone import MAX_TEXT_CHARS
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext


class Broadcast:
    manifest = ToolManifest(
        name="broadcast", title="Broadcast a message", builtin=True, effects="write",
        description="Announce a message: Heron speaks it aloud here and sends it to the "
                    "user's paired phone. The text leaves this computer, so only send "
                    "what the user asked to broadcast.",
        permissions=("notify",),
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["message"],
            "properties": {"message": {"type": "string", "minLength": 1,
                                       "maxLength": MAX_TEXT_CHARS, "x-slot": "text",
                                       "x-message": True,
                                       # "broadcast this: …", "announce to the shop: …"
                                       "x-colon-head": COLON_HEAD_EN,
                                       # "tell everyone in the house that tea is ready"
                                       "x-lead-words": ["in the house that", "in the house",
                                                        "at home that", "here that"]}},
        },
        output_schema={"type": "object", "properties": {
            "message": {"type": "string"}, "outbox_id": {"type": "integer"},
            "state": {"type": "string"}}},
        examples=("broadcast {message}", "announce {message}",
                  "broadcast that {message}", "announce that {message}",
                  "make an announcement {message}",
                  "tell everyone {message}", "tell everybody {message}",
                  "tell everyone that {message}",
                  "let everyone know {message}", "let everyone know that {message}",
                  "let the house know {message}", "announce to everyone {message}",
                  "announce to the house that {message}", "shout {message}",
                  "shout to the kids {message}", "let the whole house know {message}",
                  "tell the kids {message}", "tell the family {message}", "call out {message}",
                  "make an announcement that {message}", "say to everyone {message}",
                  "tell the whole house {message}", "let the kids know {message}",
                  "let the family know {message}"),
    )

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        message = args["message"].strip()
        if not message:
            raise ToolError("broadcast.empty", "What should I broadcast? Say, for example: "
                            "broadcast dinner is ready.")
        ctx.caps.require("notify", "phone")
        oid = self._outbox.enqueue(NoticeKind.PHONE_NOTIFY, {
            "text": message, "broadcast": True, "source": ctx.call.source,
            "untrusted": ctx.call.untrusted, "call_id": ctx.call.call_id})
        # The speech is the message itself: saying it aloud is the broadcast here.
        return {"message": message, "outbox_id": oid, "state": "queued", "speech": message}
