"""Languages by voice, end to end through `heron listen` (whisper base): commands
spoken by espeak-ng voices, the language detected per utterance, the agent asked in
that language, and the reply spoken by the voice for it (piper for English,
espeak-ng for the others).

espeak-ng's robotic speech is hard for whisper base: these commands are ones it hears
(docs in the report of issue 14: most espeak German/French and all espeak Arabic
commands are not recognised), so a failure here is a regression, not bad luck."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from helpers import espeak_wav, run_heron

from assistant.agent.intents.catalog import catalog

pytestmark = pytest.mark.slow


def listen(home: Path, wav: Path, *extra: str) -> dict:
    proc = run_heron(home, "listen", str(wav), "--json", "--no-wake", *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def tools(out: dict) -> list[tuple[str, dict]]:
    return [(c["tool"], c["args"]) for c in out["tool_calls"]]


def audio_ms(path: Path) -> int:
    with wave.open(str(path)) as w:
        return w.getnframes() * 1000 // w.getframerate()


def test_german_is_detected_answered_and_spoken_in_german(tmp_path):
    # at 130 words a minute whisper base hears "Starte im Timer, fütze in Minuten"
    wav = espeak_wav(tmp_path / "de.wav", "Starte einen Timer für zehn Minuten", voice="de",
                     speed=120)
    reply = tmp_path / "reply.wav"
    out = listen(tmp_path, wav, "--language", "auto", "--out", str(reply))
    assert out["language"] == "de"
    assert "Timer" in out["transcript"]
    assert out["understanding"] is not None and out["understanding"]["language"] == "de"
    assert out["understanding"]["stage"] == "intents"
    # the duration is what matters: whisper base hears espeak's "Starte" as "Start" on
    # some CPUs, and Home Assistant's German template then takes "Start einen" as the
    # timer's name ("Pizza Timer für …")
    (tool, args), = tools(out)
    assert tool == "set_timer" and args["seconds"] == 600, out
    assert out["reply_voice"] == "espeak-ng:de"
    assert audio_ms(reply) > 500 and out["reply_audio_ms"] == pytest.approx(audio_ms(reply),
                                                                              abs=5)


def test_spanish_is_detected_and_the_reply_spoken_by_espeak(tmp_path):
    wav = espeak_wav(tmp_path / "es.wav", "Añade leche a la lista de la compra", voice="es",
                     speed=130)
    out = listen(tmp_path, wav, "--language", "auto")
    assert out["language"] == "es"
    assert "lista de la compra" in out["transcript"].lower()
    assert out["understanding"]["language"] == "es"
    if out["tool_calls"]:
        assert tools(out)[0][0] == "add_to_list"
    else:  # whisper base hears "Ayame leche a la lista": no intent, and "not understood"
        # is the package's, in Spanish
        assert out["response"] == catalog("es").errors["no_intent"]
    # either way the reply is Spanish, read by the Spanish voice
    assert out["reply_voice"] == "espeak-ng:es"


def test_an_english_reply_to_german_is_spoken_by_the_english_voice(tmp_path):
    """Device control is answered in English ("connect Home Assistant"): the English
    voice reads it, not espeak's German."""
    # whisper base hears this one as "macht das Licht an" wherever the VAD starts it;
    # "Schalte das Licht ein" comes out "Schalternasslich ein" from some starts, 40 ms
    # apart, in this checkout and the one before
    wav = espeak_wav(tmp_path / "de.wav", "Mach das Licht an", voice="de", speed=140)
    out = listen(tmp_path, wav, "--language", "de")
    assert out["understanding"]["matched"] == "HassTurnOn", out["transcript"]
    assert "Home Assistant" in out["response"]
    assert out["reply_voice"] == "piper-joe-medium"


def test_english_still_goes_to_piper_with_auto(tmp_path):
    # detect_among, as the README advises: whisper base's own guess for this espeak clip
    # is Polish or Finnish on some CPUs (English 0.19–0.26, a coin toss between them)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[asr]\ndetect_among = ["en", "de", '
                                                     '"es"]\n')
    wav = espeak_wav(tmp_path / "en.wav", "Set a timer for five minutes.", speed=140)
    out = listen(tmp_path, wav, "--language", "auto")
    assert out["language"] == "en"
    assert tools(out) == [("set_timer", {"seconds": 300})]
    assert out["reply_voice"] == "piper-joe-medium"


def test_arabic_forced_is_heard_in_arabic_script(tmp_path):
    """espeak-ng's Arabic is not recognisable to whisper base (auto-detection picks
    en/ja/th/fi, and the forced transcript is not the sentence): this only checks the
    forced-language path reaches the agent as Arabic."""
    wav = espeak_wav(tmp_path / "ar.wav", "كم الساعة", voice="ar", speed=130)
    out = listen(tmp_path, wav, "--language", "ar")
    assert out["language"] == "ar"
    assert any("\u0600" <= ch <= "\u06ff" for ch in out["transcript"]), out["transcript"]
    assert out["understanding"]["language"] == "ar"


def test_an_unknown_language_is_refused_with_the_next_step(tmp_path):
    wav = espeak_wav(tmp_path / "en.wav", "What time is it?")
    proc = run_heron(tmp_path, "listen", str(wav), "--no-wake", "--language", "klingon")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "not a language whisper knows" in proc.stderr
    assert "--language auto" in proc.stderr
