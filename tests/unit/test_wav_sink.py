"""WavSink keeps one rate per file when the voice changes between utterances."""

from __future__ import annotations

import wave

import numpy as np

from audio.sink import WavSink


def _frames(path) -> tuple[int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnframes()


def test_a_file_takes_the_rate_of_the_first_voice_that_speaks(tmp_path):
    out = tmp_path / "reply.wav"
    with WavSink(out, 16000) as sink:
        sink.retune(22050)  # the reply is in another language's voice
        sink.write(np.zeros(22050, np.int16))
    assert _frames(out) == (22050, 22050)


def test_audio_at_another_rate_after_the_first_is_resampled_to_the_files(tmp_path):
    out = tmp_path / "reply.wav"
    with WavSink(out, 16000) as sink:
        sink.write(np.zeros(16000, np.int16))  # one second at 16 kHz
        sink.retune(24000)
        sink.write(np.zeros(24000, np.int16))  # one second at 24 kHz
    assert _frames(out) == (16000, 32000)  # two seconds, still at 16 kHz
    assert sink.samples_written == 32000
