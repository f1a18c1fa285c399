"""A voice turn as the events say it, in order, with scripted stages (tests/unit/
voice_fakes.py) around the real listener, agent, tools and speech output: frames in,
the ordered list of events out."""

from __future__ import annotations

import asyncio

import pytest
import voice_fakes as vf

from assistant.core import build_core
from assistant.events import Interrupted, SpeechOutFinished, SpeechOutStarted
from assistant.voice.pipeline import TurnFailed, VoicePipeline
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import StateOwner

COMMAND = (vf.silence(400), vf.wake_word(), vf.silence(240), vf.speech(1200),
           vf.silence(1500))


@pytest.fixture
def core(paths):
    c = build_core(paths, vf.config())
    yield c
    c.close()


def pipeline(core, tmp_path, text="what time is it", voice=None, fail=None,
             sink=None) -> tuple[VoicePipeline, SpeechOutput]:
    stack = vf.stack(tmp_path, vf.ScriptedTranscriber(text, fail), voice)
    output = SpeechOutput(stack, core.bus, StateOwner(core.bus), sink or vf.RecordingSink())
    return VoicePipeline(stack, core.agent, core.bus, output), output


def test_a_spoken_command_goes_wake_speech_transcript_tool_reply_speech(core, tmp_path):
    seen = vf.recorder(core.bus)
    turns, output = pipeline(core, tmp_path)
    result = asyncio.run(turns.run_turn(vf.frames(*COMMAND), use_wake=True))
    assert vf.kinds(seen) == [
        "state:idle", "WakeDetected", "state:listening", "SpeechStarted", "SpeechEnded",
        "state:thinking", "Transcript", "ToolCallStarted", "ToolCallFinished", "Reply",
        "state:speaking", "SpeechOutStarted", "SpeechOutFinished", "TurnFinished",
        "state:idle"]
    assert (result.status, result.transcript) == ("ok", "what time is it")
    assert [c.tool for c in result.reply.tool_calls] == ["get_time"]
    words = len(result.reply.text.split())
    assert result.reply_audio_ms == words * vf.WORD_MS == output.sink.played_ms


def test_speech_over_the_reply_cuts_it_and_is_kept_for_the_next_turn(core, tmp_path):
    seen = vf.recorder(core.bus)
    turns, output = pipeline(core, tmp_path, voice=vf.ScriptedVoice(word_ms=1000))
    feed = vf.frames(*COMMAND, vf.speech(800, seed=1), vf.silence(800))
    result = asyncio.run(turns.run_turn(feed, use_wake=True, barge_in_allowed=True))
    assert result.interrupted == "speech"
    assert result.reply_audio_ms < len(result.reply.text.split()) * 1000  # cut short
    assert "stop" in output.sink.calls  # silenced at once
    cut = [e for e in seen if isinstance(e, Interrupted)]
    assert [e.reason for e in cut] == ["speech"]
    assert vf.kinds(seen)[-4:] == ["SpeechOutFinished", "Interrupted", "TurnFinished",
                                   "state:idle"]


def test_saying_stop_ends_the_turn_without_a_tool_or_a_reply(core, tmp_path):
    seen = vf.recorder(core.bus)
    turns, _ = pipeline(core, tmp_path, text="stop")
    result = asyncio.run(turns.run_turn(vf.frames(*COMMAND), use_wake=True))
    assert result.status == "stopped" and result.reply is None
    assert vf.kinds(seen) == ["state:idle", "WakeDetected", "state:listening",
                              "SpeechStarted", "SpeechEnded", "state:thinking",
                              "Transcript", "state:idle"]


def test_a_stage_that_raises_is_named_and_the_turn_still_ends_idle(core, tmp_path):
    seen = vf.recorder(core.bus)
    turns, _ = pipeline(core, tmp_path, fail=RuntimeError("the decoder broke"))
    with pytest.raises(TurnFailed) as failed:
        asyncio.run(turns.run_turn(vf.frames(*COMMAND), use_wake=True))
    assert failed.value.stage == "asr" and "the decoder broke" in failed.value.message
    assert vf.kinds(seen)[-1] == "state:idle"
    assert "ToolCallStarted" not in vf.kinds(seen)


def test_an_announcement_during_a_reply_is_spoken_after_it(core, tmp_path):
    """The timer's announcement waits for the reply, in its own SpeechOut events, and
    Heron is "speaking" from the reply's start to the announcement's end."""
    seen = vf.recorder(core.bus)
    voice = vf.ScriptedVoice(word_ms=300)
    turns, output = pipeline(core, tmp_path, voice=voice)
    announced = []

    async def scenario():
        def on_start(event):
            if not announced:  # the reply began: a timer fires now
                announced.append(asyncio.get_running_loop().create_task(
                    output.say("Your pasta timer is done. It rang at noon.")))

        core.bus.subscribe(on_start, SpeechOutStarted)
        result = await turns.run_turn(vf.frames(*COMMAND), use_wake=True)
        await announced[0]
        return result

    result = asyncio.run(scenario())
    spoken = [(e.type, getattr(e, "text", "")) for e in seen
              if isinstance(e, (SpeechOutStarted, SpeechOutFinished))]
    assert spoken == [("SpeechOutStarted", result.reply.text), ("SpeechOutFinished", ""),
                      ("SpeechOutStarted", "Your pasta timer is done. It rang at noon."),
                      ("SpeechOutFinished", "")]
    states = [k for k in vf.kinds(seen) if k.startswith("state:")]
    assert states[-2:] == ["state:speaking", "state:idle"]  # no "idle" in between
    # split into sentences, each synthesized while the one before plays
    assert voice.pieces[-2:] == ["Your pasta timer is done.", "It rang at noon."]


def test_the_wake_word_over_an_announcement_silences_it_and_heron_listens(core, tmp_path):
    seen = vf.recorder(core.bus)
    turns, output = pipeline(core, tmp_path, voice=vf.ScriptedVoice(word_ms=1000))

    async def scenario():
        announcement = asyncio.create_task(output.say("Your pasta timer is done now."))
        await asyncio.sleep(0.3)  # it plays (5 s of it)
        result = await turns.run_turn(vf.frames(*COMMAND, realtime=True), use_wake=True)
        return result, await announcement

    result, spoken = asyncio.run(scenario())
    assert spoken.stopped and spoken.audio_ms < 5000
    assert result.status == "ok" and result.transcript == "what time is it"
    kinds = vf.kinds(seen)
    assert kinds.index("WakeDetected") < kinds.index("SpeechOutFinished") < \
        kinds.index("SpeechStarted")
