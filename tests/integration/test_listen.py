"""`heron listen` end to end, as a user runs it: spoken commands made at test time
(piper and espeak-ng voices) through the real wake word, VAD, whisper, agent, tool
registry and piper; the reply WAV is transcribed back by whisper."""

from __future__ import annotations

import json
import wave

import pytest
from helpers import espeak_wav, run_heron, sounds_like, wer, words, write_wav

pytestmark = pytest.mark.slow


def listen(home, wav, *extra):
    config = home / "config" / "config.toml"
    if not config.exists():  # the same reply audio on every run, for transcribing back
        config.parent.mkdir(exist_ok=True)
        config.write_text("[tts]\nnoise_scale = 0.0\nnoise_w_scale = 0.0\n")
    proc = run_heron(home, "listen", str(wav), "--json", *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout)


def transcribe(home, wav) -> str:
    proc = run_heron(home, "transcribe", str(wav), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["text"]


def says_the_time(response: str, heard: str) -> bool:
    """Whether `heard` (whisper tiny on the reply) is "It's H:MM AM" said aloud. The
    time changes with every run and tiny garbles some minutes ("four" → "for",
    "six sixteen" → "660"): besides `sounds_like`, all but one of the time's digits
    in order will do."""
    said = words(heard)
    if not said or said[0] not in ("it's", "it", "its", "at"):
        return False
    if sounds_like(response, heard):
        return True
    want = "".join(c for c in response.replace(":00", "") if c.isdigit())  # "six A M"
    got = "".join(c for c in heard if c.isdigit())
    common = [[0] * (len(got) + 1) for _ in range(len(want) + 1)]
    for i, a in enumerate(want):
        for j, b in enumerate(got):
            common[i + 1][j + 1] = (common[i][j] + 1 if a == b
                                    else max(common[i][j + 1], common[i + 1][j]))
    return common[-1][-1] >= max(1, len(want) - 1)


def test_wake_word_then_command_answers_out_loud(tmp_path, speak):
    wav = write_wav(tmp_path / "cmd.wav", speak("Okay Nabu. What time is it?"))
    reply = tmp_path / "reply.wav"
    proc, out = listen(tmp_path, wav, "--out", str(reply), "--realtime")
    assert proc.returncode == 0, proc.stderr
    assert out["wake"]["detected"] and out["wake"]["model"] == "okay_nabu"
    assert out["wake"]["score"] >= 0.5
    assert wer("what time is it", out["transcript"]) == 0
    assert [(c["tool"], c["args"], c["status"]) for c in out["tool_calls"]] == [
        ("get_time", {}, "ok")]
    assert out["response"].startswith("It's ")
    for key in ("wake", "vad_end", "asr_final", "agent", "tts_first_audio", "voice_to_voice"):
        assert out["timings_ms"][key] >= 0, key
    # fed at 1x: the end of speech is at least the endpoint silence before the reply
    assert out["timings_ms"]["voice_to_voice"] >= out["timings_ms"]["vad_end"] > 0
    heard = transcribe(tmp_path, reply)
    assert says_the_time(out["response"], heard), heard
    with wave.open(str(reply)) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 22050 // 2


@pytest.mark.parametrize("voice", ["en-us", "en-gb+m3"])
def test_timer_with_slots_in_words_without_wake(tmp_path, voice):
    wav = espeak_wav(tmp_path / "timer.wav",
                     "Set a timer for two minutes and thirty seconds.", voice=voice, speed=140)
    reply = tmp_path / "reply.wav"
    proc, out = listen(tmp_path, wav, "--no-wake", "--out", str(reply))
    assert proc.returncode == 0, proc.stderr
    assert out["wake"] == {"detected": False, "enabled": False}
    assert [(c["tool"], c["args"]) for c in out["tool_calls"]] == [
        ("set_timer", {"seconds": 150})]
    assert out["response"] == "OK, timer set for 2 minutes and 30 seconds."
    heard = transcribe(tmp_path, reply)
    assert sounds_like(out["response"], heard, max_wer=0.25), heard
    # the timer is in SQLite: another process sees it
    listed = json.loads(run_heron(tmp_path, "ask", "list my timers", "--json").stdout)
    timers = listed["tool_calls"][0]["result"]["timers"]
    assert [t["duration_s"] for t in timers] == [150]


@pytest.mark.parametrize("text,tool,args", [
    ("Okay Nabu. Set a pasta timer for five minutes.", "set_timer",
     {"seconds": 300, "label": "pasta"}),
    ("Okay Nabu. What's the date today?", "get_date", {}),
    ("Okay Nabu. Start a timer for ninety seconds.", "set_timer", {"seconds": 90}),
])
def test_piper_commands_route_to_the_right_tool(tmp_path, speak, text, tool, args):
    wav = write_wav(tmp_path / "cmd.wav", speak(text))
    proc, out = listen(tmp_path, wav)
    assert proc.returncode == 0, proc.stderr
    assert out["wake"]["detected"]
    assert [(c["tool"], c["args"], c["status"]) for c in out["tool_calls"]] == [
        (tool, args, "ok")]


def test_command_without_the_wake_word_is_not_acted_on(tmp_path, speak):
    wav = write_wav(tmp_path / "cmd.wav", speak("Set a timer for five minutes."))
    proc, out = listen(tmp_path, wav)
    assert proc.returncode == 3
    assert out["status"] == "no_wake" and out["error"]["code"] == "wake.not_heard"
    assert out["tool_calls"] == []
    listed = json.loads(run_heron(tmp_path, "ask", "list my timers", "--json").stdout)
    assert listed["tool_calls"][0]["result"]["timers"] == []


def test_silent_file_says_no_speech_heard(tmp_path):
    import numpy as np

    wav = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 3, np.int16))
    reply = tmp_path / "reply.wav"
    proc, out = listen(tmp_path, wav, "--no-wake", "--out", str(reply))
    assert proc.returncode == 3
    assert out["status"] == "no_speech" and out["error"]["code"] == "audio.no_speech"
    assert not reply.exists()
    text = run_heron(tmp_path, "listen", str(wav), "--no-wake")
    assert text.returncode == 3
    assert "no speech heard" in text.stderr and "Traceback" not in text.stderr


def test_non_audio_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio\n" * 50)
    proc = run_heron(tmp_path, "listen", str(bad))
    assert proc.returncode == 2
    assert "[audio.unreadable]" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_heron(tmp_path, "listen", str(tmp_path / "missing.wav"), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "audio.not_found"


def test_missing_and_corrupt_model_files_name_the_fix(tmp_path, speak):
    wav = write_wav(tmp_path / "cmd.wav", speak("Okay Nabu. What time is it?"))
    proc = run_heron(tmp_path, "listen", str(wav), "--wake-model", str(tmp_path / "gone.onnx"))
    assert proc.returncode == 4
    assert "[model.missing]" in proc.stderr and "Traceback" not in proc.stderr
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x01" + b"\x00" * 4000)
    proc = run_heron(tmp_path, "listen", str(wav), "--wake-model", str(broken), "--json")
    assert proc.returncode == 4
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "model.corrupt" and err["hint"]


def test_malformed_config_is_an_error_naming_the_line(tmp_path, speak):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[wake]\nmodel = "hey_jarvis\n')
    wav = write_wav(tmp_path / "cmd.wav", speak("Okay Nabu. What time is it?"))
    proc = run_heron(tmp_path, "listen", str(wav))
    assert proc.returncode == 5
    assert "[config.malformed]" in proc.stderr and "line 2" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "config" / "config.toml").read_text().endswith('"hey_jarvis\n')


def test_partial_transcripts_while_speaking_when_enabled(tmp_path, speak):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[streaming]\nenabled = true\n")
    text = "Set a pasta timer for two minutes and thirty seconds."
    wav = write_wav(tmp_path / "cmd.wav", speak(text))
    proc, out = listen(tmp_path, wav, "--no-wake", "--realtime")
    assert proc.returncode == 0, proc.stderr
    assert out["partials"], "no partial transcript while the command was spoken"
    # partials grow towards what was said (how far the last one got before the speech
    # ended depends on the machine's speed): right as far as they go, at least 4 words;
    # the final text is the whole command
    last = words(out["partials"][-1])
    assert len(last) >= 4
    assert wer(" ".join(words(text)[:len(last)]), " ".join(last)) <= 0.25, out["partials"]
    assert wer(text, out["transcript"]) <= 0.1
    assert out["tool_calls"][0]["args"] == {"seconds": 150, "label": "pasta"}

