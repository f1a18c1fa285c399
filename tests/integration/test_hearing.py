"""Hearing a command (assistant/voice/hearing.py) with the real whisper model: several
hypotheses from one decode, the one that is a command chosen over a top text that is
none, and the recognition bias naming what the user has right now."""

from __future__ import annotations

import io
import subprocess
import wave
from dataclasses import replace

import numpy as np
import pytest

from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths
from assistant.voice.hearing import CommandHearing
from assistant.voice.stack import VoiceStack
from audio.asr import AsrOptions, WhisperTranscriber
from audio.file_source import to_internal

# espeak-ng is a Debian package scripts/system-deps.sh installs: a missing one must fail
pytestmark = pytest.mark.slow

# Found on the dev corpus (tuning material, not held-out): espeak-ng voices whose
# "launch the terminal" whisper tiny.en's first text hears as no command. Which ones do
# depends on the CPU (the same audio decodes differently on an Intel Xeon and an AMD
# EPYC): en-gb at 260 wpm on the former, en-us+m5 at 260 or en-gb at 280 on the latter.
FAST_VOICE = ("en-gb", 260)
CHOICE_VOICES = (FAST_VOICE, ("en-us+m5", 260), ("en-gb", 280), ("en+m3", 240))


def espeak(text: str, voice: str, wpm: int) -> np.ndarray:
    """16 kHz int16 speech by espeak-ng with 0.25 s of silence either side."""
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(out)) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    pad = np.zeros(4000, np.int16)
    return np.concatenate([pad, to_internal(data, rate), pad])


@pytest.fixture()
def core(tmp_path):
    c = build_core(HeronPaths(tmp_path / "config", tmp_path / "data", tmp_path / "cache"),
                   HeronConfig())
    yield c
    c.close()


@pytest.fixture(scope="module")
def transcriber(speech_store):
    return WhisperTranscriber(AsrOptions(), speech_store)


def test_n_best_gives_several_distinct_hypotheses(transcriber):
    audio = espeak("cancel my timer", "en-us+m5", 230)
    result = transcriber.transcribe(audio, n_best=5, accept=lambda text: False)
    texts = [result.text, *result.alternatives]
    assert len(result.alternatives) >= 2, texts
    assert len({t.lower().strip(" .?!,") for t in texts}) == len(texts)
    assert len(result.scores) == len(texts)


def test_no_alternatives_when_the_first_text_is_accepted(transcriber):
    audio = espeak("cancel my timer", "en-us+m5", 230)
    result = transcriber.transcribe(audio, n_best=5, accept=lambda text: True)
    assert result.alternatives == ()
    assert result.text


@pytest.fixture()
def hearing(core, speech_store):
    config = HeronConfig()
    config = replace(config, asr=replace(config.asr, second_pass=""))
    stack = VoiceStack(config, speech_store)
    yield CommandHearing(stack, core.agent.understanding)
    stack.close()


def test_a_lower_hypothesis_that_is_a_command_is_chosen(hearing, core):
    # found at 5 hypotheses; with more, "launch in the terminal" (an app not installed
    # here, like "terminal") may come first: the choice is what is tested, not the count
    hearing.stack.config = replace(hearing.stack.config, asr=replace(
        hearing.stack.config.asr, n_best=5))
    understanding = core.agent.understanding
    tried = []
    for voice in CHOICE_VOICES:  # until one whose first text is not this command
        result = hearing.hear(espeak("launch the terminal", *voice))
        top = understanding.understand(result.heard) if result.heard else None
        if result.heard and (top is None or (top.tool, top.args.get("name")) !=
                             ("open_app", "terminal")):
            break
        tried.append(result)
    else:
        pytest.fail(f"whisper's first text was the command or nothing was chosen: {tried}")
    # whisper's own first text was not this command (none, or another app's name that
    # is not installed): the choice made the difference
    found = understanding.understand(result.text)
    assert found is not None and found.tool == "open_app", result
    assert found.args["name"] == "terminal", result


def test_without_n_best_the_top_text_is_all_there_is(hearing, core):
    hearing.stack.config = replace(hearing.stack.config, asr=replace(
        hearing.stack.config.asr, n_best=0))
    result = hearing.hear(espeak("launch the terminal", *FAST_VOICE))
    assert result.heard == "" and result.alternatives == ()
    top = core.agent.understanding.understand(result.text)
    assert top is None or top.tool != "open_app", result


def test_the_bias_names_the_current_timers_and_lists(core):
    understanding = core.agent.understanding
    assert "lasagne" not in understanding.recognition_hint("en").lower()
    core.timers.add(600, "lasagne")
    core.lists.add("camping gear", "tent")
    hint = understanding.recognition_hint("en").lower()
    assert "lasagne" in hint and "camping gear" in hint
    assert "set a timer" in hint  # and the commands' own words


def test_the_bias_does_not_put_its_own_words_over_a_timer_label(hearing, core, speak):
    # A prompt of command phrases once made whisper hear "pasta" as "pause the" (a
    # hint phrase): the first text stays unbiased, the hint steers only the n-best.
    result = hearing.hear(speak("Set a pasta timer for two minutes and thirty seconds."))
    found = core.agent.understanding.understand(result.text)
    assert found is not None and found.tool == "set_timer", result
    assert found.args.get("label") == "pasta" and found.args["seconds"] == 150, result
