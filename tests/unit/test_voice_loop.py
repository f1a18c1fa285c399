"""The voice loop (assistant/voice/loop.py) with scripted stages (tests/unit/
voice_fakes.py) around the real pipeline, agent, tools and speech output, on a
microphone that delivers what the test says when it says it: push-to-talk, the kill
switch in the middle of a command or a reply, and a stage that keeps failing — as the
ordered events tell them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import voice_fakes as vf

from assistant.bus import EventBus
from assistant.commands import CommandRefused
from assistant.core import Core, build_core
from assistant.events import Event, Stage
from assistant.voice.feed import FrameFeed
from assistant.voice.loop import VoiceLoop
from assistant.voice.pipeline import VoicePipeline
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import StateOwner, TurnPhase
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

    def mute(self) -> None:
        """As MicSource.mute: frames captured but not yet read are dropped."""
        while not self._frames.empty():
            self._frames.get_nowait()

    def __aiter__(self) -> Microphone:
        return self

    async def __anext__(self) -> AudioChunk:
        return await self._frames.get()


class Heron:
    """A voice loop running on the microphone, and what it reported."""

    def __init__(self, core: Core, tmp_path, fail: Exception | None = None,
                 word_ms: int = vf.WORD_MS, wake: bool = True) -> None:
        self.ears = vf.ScriptedTranscriber("what time is it", fail)
        stack = vf.stack(tmp_path, self.ears, vf.ScriptedVoice(word_ms))
        if not wake:  # [wake] enabled = false: every turn listens at once
            stack.config = replace(stack.config, wake=replace(stack.config.wake,
                                                              enabled=False))
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


def test_muting_with_the_wake_word_off_never_glues_what_came_before_to_what_comes_after(
        core, tmp_path):
    heron = Heron(core, tmp_path, wake=False)

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:listening")  # no wake word: listening at once
        heron.mic.say(vf.speech(800))
        await heron.until_seen("SpeechStarted")
        heron.mic.say(vf.speech(400, seed=2))  # said as the mute is pressed, unread
        heron.mic.mute()
        heron.loop.set_muted(True)
        await heron.until_seen("state:muted")
        await asyncio.sleep(0.3)  # the next turn is waiting on the muted microphone
        muted = heron.kinds()
        heron.loop.set_muted(False)
        heron.mic.say(vf.silence(400), vf.speech(1200), vf.silence(1520))
        await heron.until_seen("TurnFinished")
        await stop(running)
        return muted

    muted = asyncio.run(scenario())
    assert muted[muted.index("state:muted"):] == ["state:muted"]  # nothing heard meanwhile
    assert heron.kinds().count("Transcript") == 1
    # the command after the unmute alone (1.2 s, with a little silence around it),
    # not 0.8 + 0.4 s of what came before the mute glued to it
    assert heron.kinds().count("SpeechStarted") == 2
    assert 1200 <= max(heron.ears.heard_ms) < 2000


def test_lending_the_microphone_parks_the_loop_for_one_borrower(core, tmp_path):
    heron = Heron(core, tmp_path)

    async def scenario():
        running = heron.start()
        await heron.until_seen("state:idle")
        async with heron.loop.lent():
            heron.mic.say(*COMMAND)  # the borrower's audio: the loop must not hear it
            await asyncio.sleep(0.3)
            with pytest.raises(CommandRefused) as busy:
                async with heron.loop.lent():
                    pass
            assert "WakeDetected" not in heron.kinds()
        heron.mic.say(*COMMAND)  # given back: the wake word is heard again
        await heron.until_seen("TurnFinished")
        heron.loop.set_muted(True)
        with pytest.raises(CommandRefused) as muted:
            async with heron.loop.lent():
                pass
        await stop(running)
        return busy.value.code, muted.value.code

    assert asyncio.run(scenario()) == ("instance.busy", "instance.muted")


class _WaitingTurns:
    """A pipeline whose turn waits in the listening phase, hearing the command or (not
    hearing it) waiting for a spoken yes/no to an approval."""

    def __init__(self, status: StateOwner, hearing_command: bool) -> None:
        self.stack = SimpleNamespace(config=vf.config())  # what the loop reads per turn
        self.output = None
        self.status, self.hearing_command = status, hearing_command
        self.cancelled = asyncio.Event()
        self.listening = asyncio.Event()

    async def run_turn(self, feed, use_wake, barge_in_allowed=False):
        self.status.set_phase(TurnPhase.LISTENING)
        self.listening.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


@pytest.mark.parametrize(("hearing_command", "dropped"), [(True, True), (False, False)])
def test_muting_drops_a_command_being_heard_but_not_an_approval_waiting_for_its_answer(
        hearing_command, dropped):
    """An approval asked aloud can still be answered on the phone or in the tray after
    the user mutes; the request it belongs to goes on."""

    async def scenario():
        status = StateOwner(EventBus())
        turns = _WaitingTurns(status, hearing_command)
        loop = VoiceLoop(status, on_failed=None)
        running = asyncio.create_task(loop.run(turns, FrameFeed(Microphone())))
        await turns.listening.wait()
        loop.set_muted(True)
        await asyncio.sleep(0.05)
        cancelled = turns.cancelled.is_set()
        await stop(running)
        return cancelled, status.state

    assert asyncio.run(scenario()) == (dropped, "muted")
