"""Wake words as a user meets them: enrol a made-up phrase with `heron wake enroll`
(from files and from a microphone in a virtual room), then it wakes on a new voice
and not on other speech; list, remove, several models at once, coded errors."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, espeak_wav, run_heron, write_wav

# Made-up phrase "hey heron": four voices/speeds to enrol, others to test with.
ENROL = [("en-us", 150), ("en-gb", 130), ("en+f3", 170), ("en+m7", 150)]
NEW_VOICES = [("en-sc", 150), ("en-gb+f2", 140)]
OTHER = ["what time is it", "hello there", "set a timer for five minutes"]


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("voices")
    out = {}
    for voice, speed in ENROL + NEW_VOICES:
        out[f"heron/{voice}/{speed}"] = espeak_wav(folder / f"heron_{voice}_{speed}.wav",
                                                   "hey heron", voice, speed)
    for i, text in enumerate(OTHER):
        for voice in ("en-us", "en+f3"):
            out[f"other{i}/{voice}"] = espeak_wav(folder / f"other{i}_{voice}.wav", text, voice)
    out["jarvis"] = espeak_wav(folder / "jarvis.wav", "hey jarvis", "en-us", 150)
    out["silence"] = write_wav(folder / "silence.wav", np.zeros(32000, np.int16))
    return out


def heron_json(home: Path, *args: str, code: int = 0):
    res = run_heron(home, *args, "--json")
    assert res.returncode == code, res.stdout + res.stderr
    return json.loads(res.stdout)


def detections(home: Path, files: list[Path], *models: str) -> list[list[str]]:
    flags = [a for m in models for a in ("--model", m)]
    rows = heron_json(home, "wake", "test", *flags, *map(str, files))
    return [[d["model"] for d in r["detections"]] for r in rows]


def enrol_files(voices: dict[str, Path]) -> list[str]:
    return [str(voices[f"heron/{v}/{s}"]) for v, s in ENROL]


@pytest.mark.slow
def test_enrolled_phrase_wakes_on_a_new_voice_and_not_on_other_speech(tmp_path, voices):
    made = heron_json(tmp_path, "wake", "enroll", "hey_heron", "--from-files",
                      *enrol_files(voices))
    assert made["samples"] == 4 and Path(made["path"]).is_file()
    assert (tmp_path / "data" / "wake" / "hey_heron.json").is_file()

    new = [voices[f"heron/{v}/{s}"] for v, s in NEW_VOICES]
    assert detections(tmp_path, new, "hey_heron") == [["hey_heron"]] * len(new)
    others = [p for k, p in voices.items() if k.startswith("other")] + [voices["jarvis"]]
    assert detections(tmp_path, others, "hey_heron") == [[]] * len(others)

    # usable at once from config.toml, next to a built-in word
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(
        '[wake]\nmodels = ["hey_jarvis", "hey_heron"]\n[wake.tuning.hey_heron]\npatience = 1\n')
    rows = heron_json(tmp_path, "wake", "test", str(new[0]), str(voices["jarvis"]),
                      str(voices["other0/en-us"]))
    assert [[d["model"] for d in r["detections"]] for r in rows] == [
        ["hey_heron"], ["hey_jarvis"], []]

    listed = {r["name"]: r for r in heron_json(tmp_path, "wake", "list")}
    assert listed["hey_heron"]["kind"] == "enrolled" and listed["hey_heron"]["active"]
    assert "CC BY-NC-SA 4.0" in listed["alexa"]["licence"] and not listed["alexa"]["active"]

    assert heron_json(tmp_path, "wake", "remove", "hey_heron")["was_in_use"] is True
    assert "hey_heron" not in {r["name"] for r in heron_json(tmp_path, "wake", "list")}
    gone = heron_json(tmp_path, "wake", "remove", "hey_heron", code=2)
    assert gone["error"]["code"] == "wake.not_found"
    # config still names it: a coded model error, not a traceback
    err = heron_json(tmp_path, "wake", "test", str(new[0]), code=4)["error"]
    assert err["code"] == "model.unknown" and "heron wake list" in err["hint"]


@pytest.mark.slow
def test_enrolment_errors_are_coded(tmp_path, voices):
    files = enrol_files(voices)
    cases = [
        (["hey_heron", "--from-files", *files[:2]], "enroll.too_few_samples"),
        (["hey_heron", "--from-files", *files[:2], str(voices["silence"])], "enroll.no_speech"),
        (["alexa", "--from-files", *files], "enroll.name_taken"),
        (["Hey Heron", "--from-files", *files], "enroll.bad_name"),
    ]
    for args, code in cases:
        err = heron_json(tmp_path, "wake", "enroll", *args, code=2)["error"]
        assert err["code"] == code and err["hint"], err
    heron_json(tmp_path, "wake", "enroll", "hey_heron", "--from-files", *files[:3])
    err = heron_json(tmp_path, "wake", "enroll", "hey_heron", "--from-files", *files,
                     code=2)["error"]
    assert err["code"] == "enroll.exists" and "--force" in err["hint"]
    heron_json(tmp_path, "wake", "enroll", "hey_heron", "--force", "--from-files", *files)
    err = heron_json(tmp_path, "wake", "remove", "hey_jarvis", code=1)["error"]
    assert err["code"] == "wake.builtin"


@pytest.mark.slow
def test_custom_model_files_are_checked(tmp_path, voices):
    from models.store import ModelStore

    store = ModelStore(tmp_path / "models")
    jarvis = store.path("hey_jarvis")
    assert detections(tmp_path, [voices["jarvis"]], str(jarvis)) == [[jarvis.stem]]
    wrong = store.path("oww-melspectrogram")  # an ONNX model, but not a wake word head
    err = heron_json(tmp_path, "wake", "test", "--model", str(wrong), str(voices["jarvis"]),
                     code=4)["error"]
    assert err["code"] == "model.bad_shape" and "enroll" in err["hint"]
    err = heron_json(tmp_path, "wake", "test", "--model", str(tmp_path / "mine.onnx"),
                     str(voices["jarvis"]), code=4)["error"]
    assert err["code"] == "model.missing" and err["hint"]


@pytest.mark.slow
@pytest.mark.audio
def test_enrolment_by_voice_through_the_microphone(tmp_path, voices, pulse):
    """Each prompt is answered by playing a sample into the virtual room."""
    import os

    env = {**pulse.env, "HERON_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "wake", "enroll", "hey_heron",
                             "--samples", "3"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(120, proc.kill)
    timer.start()
    prompts = []
    try:
        samples = iter(enrol_files(voices)[:3])
        for line in proc.stdout:
            if line.startswith("say "):
                prompts.append(line.strip())
                pulse.play(Path(next(samples)))
        proc.wait()
    finally:
        timer.cancel()
    assert proc.returncode == 0, proc.stderr.read()
    assert prompts == [f"say 'hey heron' now ({i}/3)" for i in (1, 2, 3)]
    assert os.path.isfile(tmp_path / "data" / "wake" / "hey_heron.npz")
    new = [voices[f"heron/{v}/{s}"] for v, s in NEW_VOICES]
    assert detections(tmp_path, new, "hey_heron") == [["hey_heron"]] * len(new)
    assert detections(tmp_path, [voices["other1/en-us"]], "hey_heron") == [[]]
