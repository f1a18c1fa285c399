"""The voice loop (assistant/voice/loop.py) with scripted stages (tests/unit/
voice_fakes.py) around the real pipeline, agent, tools and speech output, on a
microphone that delivers what the test says when it says it: push-to-talk, the kill
switch in the middle of a command or a reply, and a stage that keeps failing — as the
ordered events tell them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
import pytest
import voice_fakes as vf

from assistant.core import Core, build_core
from assistant.events import Event, Stage
from assistant.voice.feed import FrameFeed
from assistant.voice.loop import VoiceLoop
from assistant.voice.pipeline import VoicePipeline
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import StateOwner
from audio.frames import FRAME_MS, FRAME_SAMPLES, AudioChunk

COMMAND = (vf.wake_word(), vf.silence(240), vf.speech(1200), vf.silence(1520))  # whole frames


class Microphone:
    """80 ms frames of what the test says, as soon as it says it. A muted MicSource
    closes its stream, so nothing comes while muted: the test says nothing then."""

    def __init__(self) -> None:
        self._frames: asyncio.Queue[AudioChunk] = asyncio.Queue()
        self._count = 0

    def say(self, *parts: np.ndarray) -> None:
        audio = np.concatenate(parts)
        for n in range(len(audio) // FRAME_SAMPLES):
            self._frames.put_nowait(AudioChunk(audio[n * FRAME_SAMPLES:(n + 1) * FRAME_SAMPLES],
                                               self._count * FRAME_MS, time.monotonic()))
            self._count += 1

    def __aiter__(self) -> Microphone:
        return self

    async def __anext__(self) -> AudioChunk:
        return await self._frames.get()


class Heron:
    """A voice loop running on the microphone, and what it reported."""

    def __init__(self, core: Core, tmp_path, fail: Exception | None = None,
                 word_ms: int = vf.WORD_MS) -> None:
        stack = vf.stack(tmp_path, vf.ScriptedTranscriber("what time is it", fail),
                         vf.ScriptedVoice(word_ms))
        self.status = StateOwner(core.bus)
        self.output = SpeechOutput(stack, core.bus, self.status, vf.RecordingSink())
        self.pipeline = VoicePipeline(stack, core.agent, core.bus, self.output)
        self.failures: list[tuple[Stage, str, int]] = []
        self.loop = VoiceLoop(self.status, self._failed)
        self.mic = Microphone()
        self.seen = vf.recorder(core.bus)

    async def _failed(self, stage: Stage, err: Exception, failures: int) -> None:
        self.failures.append((stage, str(err), failures))

    def start(self) -> asyncio.Task:
        return asyncio.create_task(self.loop.run(self.pipeline, FrameFeed(self.mic)))

    def kinds(self) -> list[str]:
        return vf.kinds(self.seen)

    async def until(self, done: Callable[[list[Event]], bool], what: str) -> None:
        for _ in range(1000):
            if done(self.seen):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {what} in 10 s; events: {self.kinds()} {self.failures}")

    async def until_seen(self, kind: str, count: int = 1) -> None:
        await self.until(lambda seen: vf.kinds(seen).count(kind) >= count, kind)


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def core(paths):
    c = build_core(paths, vf.config())
    yield c
    c.close()


def test_push_to_talk_hears_a_command_without_the_wake_word_and_stops_the_reply(
        core, tmp_path):
    heron = Heron(core, tmp_path, word_ms=1000)  # a reply of several seconds

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:idle")  # waiting for the wake word
        assert heron.loop.toggle() == "listening"
        heron.mic.say(vf.speech(1200), vf.silence(1500))  # no wake word
        await heron.until_seen("SpeechOutStarted")
        assert heron.loop.toggle() == "stopped"  # the reply is cut
        await heron.until(lambda seen: vf.kinds(seen)[-1] == "state:idle", "idle")
        heron.mic.say(*COMMAND)  # the next turn wants the wake word again
        await heron.until_seen("Transcript", 2)
        await stop(running)

    asyncio.run(scenario())
    kinds = heron.kinds()
    first = kinds[:kinds.index("SpeechOutFinished") + 2]
    assert first == ["state:idle", "state:listening", "SpeechStarted", "SpeechEnded",
                     "state:thinking", "Transcript", "ToolCallStarted", "ToolCallFinished",
                     "Reply", "state:speaking", "SpeechOutStarted", "SpeechOutFinished",
                     "state:idle"]  # no wake word, and no TurnFinished: it was stopped
    assert heron.output.sink.played_ms < 3000  # cut short, not played out
    assert "WakeDetected" in kinds[len(first):]


def test_muting_in_the_middle_of_a_command_drops_it_and_unmuting_waits_for_the_wake_word(
        core, tmp_path):
    heron = Heron(core, tmp_path)

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:idle")
        heron.mic.say(vf.wake_word(), vf.silence(240), vf.speech(800))  # and muted:
        await heron.until_seen("SpeechStarted")
        heron.loop.set_muted(True)
        await heron.until_seen("state:muted")
        assert heron.loop.toggle() == "muted"  # push-to-talk while muted does nothing
        muted_at = len(heron.seen)
        heron.loop.set_muted(False)
        await heron.until_seen("state:idle", 2)
        heron.mic.say(vf.silence(400), *COMMAND)
        await heron.until_seen("TurnFinished")
        await stop(running)
        return muted_at

    muted_at = asyncio.run(scenario())
    kinds = heron.kinds()
    assert kinds[:muted_at] == ["state:idle", "WakeDetected", "state:listening",
                                "SpeechStarted", "state:muted"]
    after = kinds[muted_at:]
    assert after[:2] == ["state:idle", "WakeDetected"]  # unmuted: the wake word first
    assert kinds.count("Transcript") == 1 and "ToolCallStarted" in after  # only the new one


def test_muting_while_heron_replies_lets_the_reply_finish_then_shows_muted(core, tmp_path):
    heron = Heron(core, tmp_path, word_ms=300)

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:idle")
        heron.mic.say(*COMMAND)
        await heron.until_seen("SpeechOutStarted")
        heron.loop.set_muted(True)
        await heron.until_seen("TurnFinished")
        await heron.until_seen("state:muted")
        await stop(running)

    asyncio.run(scenario())
    kinds = heron.kinds()
    assert kinds[kinds.index("SpeechOutStarted"):] == [
        "SpeechOutStarted", "SpeechOutFinished", "state:muted", "TurnFinished"]
    assert heron.output.sink.played_ms == heron.output.sink.played_ms // 300 * 300 > 0


def test_a_stage_that_keeps_failing_is_reported_each_turn_and_the_loop_goes_on(
        core, tmp_path):
    heron = Heron(core, tmp_path, fail=RuntimeError("the decoder broke"))

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:idle")
        heron.mic.say(*COMMAND, *COMMAND)
        await heron.until(lambda _: len(heron.failures) == 2, "second failure")
        await heron.until(lambda seen: vf.kinds(seen)[-1] == "state:idle", "idle")
        await stop(running)

    asyncio.run(scenario())
    assert [(stage, n) for stage, _, n in heron.failures] == [("asr", 1), ("asr", 2)]
    assert all("the decoder broke" in message for _, message, _ in heron.failures)
    assert heron.kinds().count("WakeDetected") == 2  # the second command was heard
    assert "ToolCallStarted" not in heron.kinds()
