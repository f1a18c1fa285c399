"""Settings changed while Heron runs take effect without a restart.

`apply_config(service, new)` compares the running config with `new`, section by
section, and swaps in what changed: voice components are rebuilt off the loop and
replace the old ones between turns (the pipeline reads them at use time); the
microphone reopens on a new device; the LLM client is replaced; vision, permission
and hotkey options are updated in place. What cannot change live is reported."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from assistant.agent.llm_turn import LlmTurn, create_llm
from assistant.config import HeronConfig
from assistant.permissions.prompters import FanOutPrompter
from assistant.wyoming.satellite_options import with_satellite_words

if TYPE_CHECKING:
    from assistant.service import HeronService

log = logging.getLogger(__name__)

VOICE_PARTS = ("wake", "vad", "asr", "tts")  # config sections named as the stack's parts
NEEDS_RESTART = ("companion", "runtime", "mcp", "files", "voice", "satellite")


@dataclasses.dataclass
class Applied:
    changed: list[str] = dataclasses.field(default_factory=list)  # sections now in effect
    restart: list[str] = dataclasses.field(default_factory=list)  # sections for next start


async def apply_config(service: HeronService, new: HeronConfig) -> Applied:
    old = service.config
    new = with_satellite_words(new)  # the satellite's words are listened for too
    changed = [f.name for f in dataclasses.fields(HeronConfig)
               if getattr(old, f.name) != getattr(new, f.name)]
    done = Applied()
    if not changed:
        return done
    stack, core = service.stack, service.core
    stack.config = new
    for section in changed:
        if section in VOICE_PARTS:
            await _rebuild_voice(service, section)
        elif section == "vision":
            _vision(service, new)
        elif section == "permissions":
            core.registry.policy.denied_tools = frozenset(new.permissions.denied_tools)
            if isinstance(core.prompter, FanOutPrompter):
                core.prompter.reconfigure(new.permissions.approval_timeout_s)
        elif section == "llm":
            await _llm(service, new)
        elif section in ("streaming", "endpoint"):
            pass  # read from stack.config at the start of every turn
        elif section == "audio":
            await service.restart_voice_loop()
        elif section == "desktop":
            service.restart_hotkey(new.desktop.hotkey)
        if section in NEEDS_RESTART:
            done.restart.append(section)
        else:
            done.changed.append(section)
    service.config = core.config = new
    log.info("settings applied: %s; on next start: %s", done.changed, done.restart)
    return done


async def _rebuild_voice(service: HeronService, part: str) -> None:
    # the working one stays if the new one fails; the second pass is built from [asr] too
    for stage in (part, "second_asr") if part == "asr" else (part,):
        await service.stack.replace(stage)


def _vision(service: HeronService, new: HeronConfig) -> None:
    """Screen, camera and OCR take the new [vision] options (exclusions at once)."""
    core = service.core
    backends = core.registry.backends
    for part in (core.ocr, backends.screen, backends.input, backends.camera):
        if part is not None:  # None: nothing on this machine provides it
            part.reconfigure(new.vision)


async def _llm(service: HeronService, new: HeronConfig) -> None:
    core = service.core
    old_llm = core.llm
    core.llm = create_llm(new.llm, core.paths.data_dir, core.store)
    core.agent.llm = (LlmTurn(core.llm, core.registry, new.llm.max_tool_rounds,
                              new.llm.history_turns) if core.llm is not None else None)
    if old_llm is not None:
        await old_llm.aclose()
