"""Real human speech (moonshine-voice's recordings) transcribed with WER under 5 %."""

from __future__ import annotations

import json

import pytest
from helpers import run_heron, wer

from models.store import package_dir

pytestmark = pytest.mark.slow

TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it "
    "was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness, it was the "
    "spring of hope, it was the winter of despair, we had everything before us, we had "
    "nothing before us, we were all going direct to Heaven, we were all going direct the "
    "other way—in short, the period was so far like the present period, that some of its "
    "noisiest authorities insisted on its being received, for good or for evil, in the "
    "superlative degree of comparison only."
)
BECKETT = "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better."


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
