"""The short-window decode's pure parts: how big a window, and what counts as whisper
looping (which sends the audio back to the standard 30 s decode)."""

import pytest

from audio.whisper_window import MAX_FRAMES, repeats_itself, window_frames


def test_window_is_the_speech_plus_padding_and_even():
    assert window_frames(2 * 16000 + 80, pad_s=10.0) == 200 + 1000  # 2.005 s of audio
    assert window_frames(2 * 16000 + 160, pad_s=10.0) == 202 + 1000  # 1201, made even


def test_long_audio_and_no_padding_use_the_30_s_window():
    assert window_frames(25 * 16000, pad_s=10.0) is None  # 25 s + 10 s > 30 s
    assert window_frames(2 * 16000, pad_s=0.0) is None
    assert window_frames(20 * 16000, pad_s=10.0) == MAX_FRAMES


@pytest.mark.parametrize("text", [
    "Start at 10 minutes timer Start at 10 minutes timer Start at",
    "set a timer, set a timer, set a timer",
])
def test_a_looping_decode_is_caught(text):
    assert repeats_itself(text)


@pytest.mark.parametrize("text", [
    "Set a timer for 2 minutes and 30 seconds.", "very very good", "what time is it",
    "Take a note buy milk and eggs.", "",
])
def test_ordinary_commands_are_not_loops(text):
    assert not repeats_itself(text)
