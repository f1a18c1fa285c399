"""A stage broken for good must not make the voice loop spin: turns failing in a row,
with a coded error or a bug alike, are spaced 2, 4, 8 … s apart, and a turn that
succeeds resets that."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

import assistant.service as service_module
import assistant.voice.loop as loop_module
from assistant.config import HeronConfig
from assistant.events import Reply
from assistant.service import HeronService
from assistant.voice.stack import VoiceStages
from models.errors import CodedError
from models.store import ModelStore


class _NoMic:
    """No microphone exists here; the scripted turns below never read it."""

    def __init__(self, options, on_state=None) -> None:
        pass

    async def open(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


class _Speaker:
    def __init__(self, *args) -> None:
        pass

    def close(self) -> None:
        pass


class _NoTurnModel:
    """The pipeline's listener as the voice loop uses it: load() the end-of-turn model."""

    async def load(self) -> None:
        return None


class _ScriptedTurns:
    """Each turn follows the script: "coded" fails at once with a coded error, as a stage
    broken for good does; "ok" is answered. After the script, `done` is set."""

    def __init__(self, script: list[str], done: asyncio.Event, sleep=asyncio.sleep) -> None:
        self.listener = _NoTurnModel()
        self.stack = SimpleNamespace(config=HeronConfig())  # what the loop reads per turn
        self.output = None
        self.script = list(script)
        self.done = done
        self.sleep = sleep

    async def run_turn(self, feed, use_wake, sink=None, barge_in_allowed=False):
        if not self.script:
            self.done.set()
            await asyncio.Event().wait()
        step = self.script.pop(0)
        if step == "slow":  # the user said the wake word and spoke; then it failed
            await self.sleep(0.2)
        if step in ("coded", "slow"):
            raise CodedError("audio.output_failed", "the speaker failed", "plug one in")
        return SimpleNamespace(interrupted=False)


@pytest.fixture
def heron(paths, tmp_path, monkeypatch):
    service = HeronService(paths, HeronConfig(), ModelStore(tmp_path / "models"),
                           stages=VoiceStages(tts=SimpleNamespace(sample_rate_hz=22050)))
    monkeypatch.setattr(service_module, "MicSource", _NoMic)
    monkeypatch.setattr(service_module, "ReplySpeaker", _Speaker)
    yield service
    service.stack.close()
    service.core.close()


def run_script(heron, monkeypatch, script: list[str]) -> list[float]:
    """Run the real voice loop over scripted turns; the back-off waits it asked for
    (recorded instead of waited out)."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay, *args):
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)

    async def scenario():
        done = asyncio.Event()
        turns = _ScriptedTurns(script, done, sleep=real_sleep)
        monkeypatch.setattr(service_module, "VoicePipeline", lambda *args, **kwargs: turns)
        loop = asyncio.create_task(heron._voice_loop())
        await done.wait()
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    asyncio.run(scenario())
    return waits


def test_coded_failures_in_a_row_back_off_and_a_success_resets_it(heron, monkeypatch):
    replies = []
    heron.bus.subscribe(replies.append, Reply)
    waits = run_script(heron, monkeypatch, ["coded"] * 4 + ["ok"] + ["coded"] * 2)
    assert waits == [2.0, 4.0, 8.0, 2.0]  # none after the first failure of each run
    assert replies == []  # a coded failure already said what is wrong: no apology


def test_failures_after_the_user_spoke_never_delay_the_next_turn(heron, monkeypatch):
    """A speaker that fails on every reply: each turn still ran its course (wake word,
    speech), so nothing spins and the next command is heard at once."""
    monkeypatch.setattr(loop_module, "SPIN_S", 0.1)
    assert run_script(heron, monkeypatch, ["slow"] * 4) == []
