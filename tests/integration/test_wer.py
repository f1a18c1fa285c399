"""Real human speech (moonshine-voice's recordings) transcribed with WER under 5 %."""

from __future__ import annotations

import json

import pytest
from helpers import run_heron, wer

from bench.text import BECKETT, TWO_CITIES
from models.store import package_dir

pytestmark = pytest.mark.slow



# The default English model on both recordings; the multilingual base on the long one
# (on the 10 s Beckett clip it hears "Never tried": 1 word in 12).
@pytest.mark.parametrize("model,name,reference", [
    ("whisper-tiny.en", "two_cities", TWO_CITIES),
    ("whisper-tiny.en", "beckett", BECKETT),
    ("whisper-base", "two_cities", TWO_CITIES),
])
def test_real_speech_word_error_rate_under_5_percent(tmp_path, model, name, reference):
    assets = package_dir("moonshine_voice")
    assert assets is not None, "moonshine-voice is a test dependency: `make test` installs it"
    proc = run_heron(tmp_path, "transcribe", str(assets / "assets" / f"{name}.wav"),
                     "--model", model, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert wer(reference, out["text"]) < 0.05, out["text"]
    assert out["language"] == "en"
