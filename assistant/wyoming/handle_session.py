"""Intent handling for Wyoming clients: Transcript(text) → Heron's agent → Handled
(the reply) or NotHandled (nothing understood, or nothing it tried was done — the
reply says why). Calls go through the same registry, permissions and audit log as
every other surface. A Wyoming client cannot show an approval prompt, so a call that
needs one is denied and the reply gives the reason."""

from __future__ import annotations

import asyncio
import logging

from wyoming.asr import Transcript
from wyoming.handle import Handled, NotHandled

from assistant.agent.understanding import UnderstandingStage
from assistant.core import Core
from assistant.events import CallSource, CallStatus
from assistant.languages import LANGUAGE_CODE
from models.errors import CodedError

log = logging.getLogger(__name__)

# The transcript is text from a remote client, not Heron's own microphone: TEXT keeps
# the policy's voice-only allowances (reading the clipboard unasked) off.
SOURCE = CallSource.TEXT
NOTHING_HEARD = "I didn't get any words to act on."


class AgentDesk:
    """One agent turn at a time, whichever client asks (the agent keeps a single
    conversation: its memory and pending clarifying questions)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._turn = asyncio.Lock()

    async def answer(self, transcript: Transcript) -> Handled | NotHandled:
        text = transcript.text.strip()
        if not text:
            return NotHandled(text=NOTHING_HEARD, context=transcript.context)
        language = transcript.language
        if language is not None and not LANGUAGE_CODE.fullmatch(language):
            language = None  # the configured language, rather than no answer
        try:
            async with self._turn:
                reply = await self.core.agent.handle(text, source=SOURCE, language=language)
        except CodedError as err:
            return NotHandled(text=err.sentence(), context=transcript.context)
        understood = (reply.understanding or {}).get("stage") != UnderstandingStage.NONE
        done = not reply.tool_calls or any(o.status == CallStatus.OK
                                           for o in reply.tool_calls)
        result = Handled if understood and done else NotHandled
        return result(text=reply.text, context=transcript.context)
