"""The audio library on real models: wake word, VAD, whisper, piper, WAV output."""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.asr import AsrOptions, WhisperTranscriber
from audio.errors import AudioError
from audio.file_source import decode_file, iter_frames
from audio.sink import WavSink
from audio.tts import PiperSynthesizer, TtsOptions
from audio.vad import SileroVad, VadOptions
from audio.wake import OpenWakeWordDetector, WakeOptions, WakeWordDetector
from models.errors import ModelError
from models.store import ModelStore

COMMAND = "Set a timer for five minutes."


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("audio") / "models")


def scores(detector: OpenWakeWordDetector | SileroVad, audio: np.ndarray) -> np.ndarray:
    return np.array([detector.process(c.samples) for c in iter_frames(audio)])


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


# -- wake word ------------------------------------------------------------------------
@pytest.mark.slow
def test_hey_jarvis_wakes_and_matches_openwakeword(store: ModelStore, speak) -> None:
    from openwakeword.model import Model  # the reference implementation, for comparison only

    audio = speak("Hey Jarvis.", lead_ms=2000)
    detector = OpenWakeWordDetector(WakeOptions(model="hey_jarvis"), store)
    assert detector.name == "hey_jarvis" and detector.threshold == 0.5
    ours = scores(detector, audio)
    assert ours.max() >= detector.threshold

    reference = Model(wakeword_models=[str(store.path("hey_jarvis"))], inference_framework="onnx")
    ref = np.array([next(iter(reference.predict(c.samples).values()))
                    for c in iter_frames(audio)])
    assert ref.max() >= 0.5
    assert np.abs(ours - ref).max() < 0.05
    assert (ours[:5] == 0).all()  # the startup guard

    detector.reset()  # as new: the same audio scores the same again
    np.testing.assert_allclose(scores(detector, audio), ours, atol=1e-4)


@pytest.mark.slow
def test_other_speech_does_not_wake(store: ModelStore, speak) -> None:
    detector = OpenWakeWordDetector(WakeOptions(model="hey_jarvis"), store)
    audio = np.concatenate([speak("What is the weather like?"), speak(COMMAND)])
    assert scores(detector, audio).max() < detector.threshold


@pytest.mark.slow
def test_custom_wake_model_path(store: ModelStore, speak, tmp_path: Path) -> None:
    path = store.path("hey_jarvis")
    detector = OpenWakeWordDetector(WakeOptions(model=str(path)), store)
    assert detector.name == path.stem
    assert scores(detector, speak("Hey Jarvis.")).max() >= 0.5
    with pytest.raises(ModelError) as err:
        OpenWakeWordDetector(WakeOptions(model=str(tmp_path / "mine.onnx")), store)
    assert err.value.code == "model.missing" and err.value.hint
    with pytest.raises(ModelError) as err:
        OpenWakeWordDetector(WakeOptions(model="hey_computer"), store)
    assert err.value.code == "model.unknown"


@pytest.mark.slow
def test_wake_features_embed_a_clip(store: ModelStore, speak) -> None:
    detector = OpenWakeWordDetector(WakeOptions(model="hey_jarvis"), store)
    audio = speak("Hey Jarvis.", lead_ms=500, tail_ms=500)
    clip = detector.features.embed_clip(audio)
    rows = detector.features.melspectrogram(audio).shape[0]
    assert clip.shape == ((rows - 76) // 8 + 1, 96)  # one per 80 ms step over 76 mel rows
    assert len(clip) >= 8
    assert detector.features.embeddings().shape == (16, 96)


@pytest.mark.slow
@pytest.mark.parametrize("gain, noise", [(1.0, 0), (0.05, 30), (0.3, 600)])
def test_noise_gate_skips_the_quiet_room_and_wakes_as_before(store: ModelStore, speak,
                                                              gain, noise) -> None:
    """A quiet room is not scored (its CPU saved), yet "hey Jarvis" — loud, faint, or
    in steady noise — wakes on the same frame as with the gate off."""
    rng = np.random.default_rng(7)
    speech = speak("Hey Jarvis.", lead_ms=0, tail_ms=0).astype(np.float32) * gain
    room = rng.normal(0, noise, 16000 * 12).astype(np.float32) if noise else \
        np.zeros(16000 * 12, np.float32)
    at = 16000 * 8  # 8 s of only the room, then the phrase
    room[at:at + len(speech)] += speech
    audio = np.clip(room, -32768, 32767).astype(np.int16)

    def run(gate_db: float) -> tuple[list[int], int]:
        detector = WakeWordDetector(WakeOptions(model="hey_jarvis", noise_gate_db=gate_db),
                                    store)
        fired = [i for i, c in enumerate(iter_frames(audio))
                 if detector.step(c.samples).fired]
        return fired, detector.skipped_frames

    ungated, none_skipped = run(0.0)
    gated, skipped = run(WakeOptions().noise_gate_db)
    assert ungated and gated == ungated
    assert none_skipped == 0
    assert skipped >= 70  # of the ~95 frames of only the room before the phrase


# -- VAD ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_vad_speech_and_silence(store: ModelStore, speak) -> None:
    vad = SileroVad(VadOptions(), store)
    speech = speak(COMMAND, lead_ms=0, tail_ms=0)
    probs = scores(vad, speech)
    assert probs.max() > 0.9
    assert (probs > 0.5).mean() > 0.6  # most frames of a spoken sentence
    vad.reset()
    silence = scores(vad, np.zeros(16000 * 2, np.int16))
    assert silence.max() < 0.1
    vad.reset()
    np.testing.assert_allclose(scores(vad, speech), probs, atol=1e-5)


# -- ASR ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_whisper_tiny_en_transcribes_piper(store: ModelStore, speak) -> None:
    asr = WhisperTranscriber(AsrOptions(), store)
    result = asr.transcribe(speak(COMMAND, lead_ms=300, tail_ms=300))
    assert normalise(result.text) in {"set a timer for five minutes", "set a timer for 5 minutes"}
    assert result.language == "en"
    assert 2000 < result.audio_ms < 5000 and result.decode_ms > 0
    assert asr.transcribe(np.zeros(0, np.int16)).text == ""


@pytest.mark.slow
def test_whisper_base_assembled_in_models_dir(tmp_path: Path, speak) -> None:
    store = ModelStore(tmp_path / "models")
    asr = WhisperTranscriber(AsrOptions(model="whisper-base"), store)
    asr.warm_up()
    assert (tmp_path / "models" / "whisper-base" / "model.bin").is_file()
    result = asr.transcribe(speak(COMMAND, lead_ms=300, tail_ms=300))
    assert result.language == "en" and result.language_probability > 0.5
    assert "timer" in normalise(result.text) and "minute" in normalise(result.text)


def test_unknown_asr_model(store: ModelStore) -> None:
    asr = WhisperTranscriber(AsrOptions(model="silero-vad"), store)
    with pytest.raises(ModelError) as err:
        asr.warm_up()
    assert err.value.code == "model.unknown"


# -- TTS and WAV output ----------------------------------------------------------------------
@pytest.mark.slow
def test_piper_speaks(store: ModelStore) -> None:
    tts = PiperSynthesizer(TtsOptions(), store)
    assert tts.sample_rate_hz == 22050
    chunks = list(tts.synthesize("Hello there. How are you today?"))
    assert len(chunks) == 2  # one per sentence
    audio = np.concatenate(chunks)
    assert audio.dtype == np.int16 and 1.0 < len(audio) / 22050 < 5.0
    assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 500
    assert list(tts.synthesize("  ")) == []


def test_missing_custom_voice(store: ModelStore, tmp_path: Path) -> None:
    tts = PiperSynthesizer(TtsOptions(voice=str(tmp_path / "voice.onnx")), store)
    with pytest.raises(ModelError) as err:
        tts.warm_up()
    assert err.value.code == "model.missing"


@pytest.mark.slow
def test_wav_sink_writes_a_valid_wav(store: ModelStore, tmp_path: Path) -> None:
    tts = PiperSynthesizer(TtsOptions(), store)
    out = tmp_path / "replies" / "reply.wav"
    with WavSink(out, tts.sample_rate_hz) as sink:
        for chunk in tts.synthesize(COMMAND):
            sink.write(chunk)
    with wave.open(str(out), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() == sink.samples_written > 22050
    assert len(decode_file(out)) == pytest.approx(sink.samples_written * 16000 / 22050, abs=400)


_FULL_DISK = """
import resource, signal, sys
import numpy as np
from audio.sink import WavSink
from audio.errors import AudioError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
try:
    with WavSink(sys.argv[1], 16000) as sink:
        for _ in range(10):
            sink.write(np.ones(16000, np.int16))
except AudioError as err:
    print(err.code, err.hint)
"""


def test_wav_sink_write_failure_removes_the_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK, str(out)], capture_output=True,
                          text=True, cwd=Path(__file__).parents[2], timeout=60)
    assert proc.stdout.startswith("audio.write_failed"), proc.stderr
    assert not out.exists()


def test_wav_sink_unwritable_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AudioError) as err:
        WavSink(blocker / "reply.wav", 16000)
    assert err.value.code == "audio.write_failed"
