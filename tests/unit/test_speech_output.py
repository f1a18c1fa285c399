"""The one speech output: a cancelled utterance goes silent at once, the user talking
over a reply does not cost a waiting announcement, and "stop" drops what waits."""

from __future__ import annotations

import asyncio

import voice_fakes as vf

from assistant.bus import EventBus
from assistant.events import SpeechOutStarted
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.state import StateOwner


def output(tmp_path, word_ms=1000) -> tuple[SpeechOutput, list]:
    bus = EventBus()
    seen = vf.recorder(bus)
    stack = vf.stack(tmp_path, vf.ScriptedTranscriber(""), vf.ScriptedVoice(word_ms=word_ms))
    return SpeechOutput(stack, bus, StateOwner(bus), vf.RecordingSink()), seen


def started(seen) -> list[str]:
    return [e.text for e in seen if isinstance(e, SpeechOutStarted)]


def test_a_cancelled_utterance_is_silenced_and_the_speaker_released(tmp_path):
    out, seen = output(tmp_path)

    async def scenario():
        reply = asyncio.create_task(out.say("a long reply of many words here"))
        await asyncio.sleep(0.3)
        reply.cancel()  # push-to-talk "stop", the microphone lent out, shutdown
        await asyncio.gather(reply, return_exceptions=True)
        return await out.say("next")

    spoken = asyncio.run(scenario())
    calls = out.sink.calls
    assert calls.index("stop") < calls.index("close")  # silenced, then released
    assert spoken.audio_ms == 1000 and not spoken.stopped  # the next one plays whole
    assert started(seen) == ["a long reply of many words here", "next"]


def test_speech_over_a_reply_keeps_the_announcement_waiting_behind_it(tmp_path):
    out, seen = output(tmp_path)

    async def scenario():
        reply = asyncio.create_task(out.say("a long reply of many words"))
        await asyncio.sleep(0.2)
        timer = asyncio.create_task(out.say("Your timer is done."))
        await asyncio.sleep(0.2)
        out.stop()  # barge-in
        return await reply, await timer

    reply, timer = asyncio.run(scenario())
    assert reply.stopped and reply.audio_ms < 5000
    assert not timer.stopped and timer.audio_ms == 4000
    assert started(seen) == ["a long reply of many words", "Your timer is done."]


def test_stop_drops_what_is_waiting_too(tmp_path):
    out, seen = output(tmp_path)

    async def scenario():
        first = asyncio.create_task(out.say("Your pasta timer is done."))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(out.say("Your rice timer is done."))
        await asyncio.sleep(0.1)
        out.stop(drop_queued=True)  # "stop", "be quiet"
        return await first, await second

    first, second = asyncio.run(scenario())
    assert first.stopped and second.stopped and second.audio_ms == 0
    assert started(seen) == ["Your pasta timer is done."]
    assert not out.busy
