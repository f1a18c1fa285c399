"""Enrolling a wake word in the running Heron, as the tray's Settings does: the voice
loop lends its open microphone (a real PulseAudio null sink's monitor), each sample is
asked for with an EnrolmentProgress event and spoken into the room, and the new word
then wakes on a voice it never heard. Refusals are coded."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from headless import HeadlessHeron, of_type
from helpers import espeak_wav, run_heron

from assistant.desktop.instance import InstanceClient, socket_path
from assistant.paths import resolve_paths

pytestmark = [pytest.mark.slow, pytest.mark.audio]

ENROL = [("en-us", 150), ("en-gb", 130), ("en+f3", 170)]


def client(home) -> InstanceClient:
    return InstanceClient(socket_path(resolve_paths({"HERON_HOME": str(home)}).data_dir))


def test_a_word_enrolled_in_the_running_heron_then_wakes(tmp_path, pulse):
    clips = [espeak_wav(tmp_path / f"heron_{v}_{s}.wav", "hey heron", v, s)
             for v, s in ENROL]
    fresh = espeak_wav(tmp_path / "new_voice.wav", "hey heron", "en-sc", 150)
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "90")
    heron.wait_hearing()

    async def enrol():
        return await client(tmp_path).call({"cmd": "enrol", "name": "hey_heron",
                                            "samples": 3}, timeout_s=80)

    def speak_when_asked():
        for i, clip in enumerate(clips, start=1):
            heron.wait_for(f"sample {i} asked for", lambda e, i=i: e["type"] ==
                           "EnrolmentProgress" and e["step"] == "say" and e["sample"] == i, 30)
            pulse.play(clip)

    speaker = threading.Thread(target=speak_when_asked, daemon=True)
    speaker.start()
    done = asyncio.run(enrol())
    speaker.join(30)
    assert done.get("ok"), done
    heron.wait_for("the enrolment's end", lambda e: e["type"] == "EnrolmentProgress"
                   and e["step"] in ("done", "failed"), 20)
    steps = [e["step"] for e in of_type(heron.seen, "EnrolmentProgress")]
    assert steps == ["say", "heard"] * 3 + ["building", "done"]
    listed = json.loads(run_heron(tmp_path, "wake", "list", "--json").stdout)
    assert any(w["name"] == "hey_heron" and w["samples"] == 3 for w in listed)
    tested = json.loads(run_heron(tmp_path, "wake", "test", "--model", "hey_heron",
                                  str(fresh), "--json").stdout)
    assert [d["model"] for d in tested[0]["detections"]] == ["hey_heron"]

    # the voice loop has the microphone back: the built-in word still wakes it
    pulse.play(espeak_wav(tmp_path / "nabu.wav", "okay nabu", "en-us", 150))
    heron.wait_type("WakeDetected", 20)

    again = asyncio.run(client(tmp_path).call({"cmd": "enrol", "name": "hey_heron"},
                                              timeout_s=20))
    assert not again["ok"] and again["error"]["code"] == "enroll.exists"
    heron.stop()


def test_enrolling_without_a_microphone_is_refused_with_a_next_step(tmp_path):
    heron = HeadlessHeron(tmp_path, {}, "--no-mic", "--exit-after", "30")
    heron.wait_type("Ready", 60)
    reply = asyncio.run(client(tmp_path).call({"cmd": "enrol", "name": "hey_heron"},
                                              timeout_s=20, connect_wait_s=30))
    assert not reply["ok"] and reply["error"]["code"] == "instance.no_mic"
    assert reply["error"]["hint"]
    heron.stop()
