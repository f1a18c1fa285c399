"""`heron wyoming`'s checks that need no model: where it may listen, and the client
audio it takes (any rate, width and channel count → Heron's 16 kHz mono frames)."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from wyoming.audio import AudioChunk, AudioStart

from assistant.wyoming.address import ServeOptions, parse_uri
from assistant.wyoming.audio_in import AudioIn
from assistant.wyoming.errors import RequestError, ServeError
from audio.frames import FRAME_SAMPLES


@pytest.mark.parametrize("uri, code", [
    ("http://127.0.0.1:10700", "wyoming.bad_uri"),
    ("tcp://127.0.0.1", "wyoming.bad_uri"),
    ("tcp://127.0.0.1:99999", "wyoming.bad_uri"),
    ("tcp://:10700", "wyoming.bad_uri"),
    ("unix://", "wyoming.bad_uri"),
])
def test_unusable_uris_are_refused_with_a_code(uri, code) -> None:
    with pytest.raises(ServeError) as err:
        parse_uri(uri)
    assert err.value.code == code and err.value.hint


def test_zeroconf_needs_an_address_the_lan_can_reach(tmp_path) -> None:
    for uri in ("tcp://127.0.0.1:10700", "tcp://localhost:10700", f"unix://{tmp_path}/s"):
        with pytest.raises(ServeError, match="reachable from this machine only"):
            ServeOptions.parse(uri, "")
    assert ServeOptions.parse("tcp://0.0.0.0:10700", "").zeroconf_name == ""
    assert ServeOptions.parse("tcp://127.0.0.1:10700", None).address.port == 10700


def test_a_unix_path_is_replaced_only_when_it_is_a_dead_socket(tmp_path) -> None:
    kept = tmp_path / "notes.txt"
    kept.write_text("mine")
    with pytest.raises(ServeError, match="not a socket"):
        parse_uri(f"unix://{kept}")
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(tmp_path / "live.sock"))
    live.listen()
    try:
        with pytest.raises(ServeError) as err:
            parse_uri(f"unix://{tmp_path}/live.sock")
        assert err.value.code == "wyoming.address_in_use"
    finally:
        live.close()
    assert parse_uri(f"unix://{tmp_path}/live.sock").path == tmp_path / "live.sock"


def test_8_bit_stereo_at_8_khz_becomes_16_khz_mono_frames() -> None:
    rate = 8000
    t = np.arange(rate) / rate  # one second of a 440 Hz tone, left and right alike
    tone = (np.sin(2 * np.pi * 440 * t) * 100 + 128).astype(np.uint8)
    stereo = np.repeat(tone, 2).tobytes()
    audio = AudioIn(AudioStart(rate=rate, width=1, channels=2), max_s=10)
    frames = []
    for i in range(0, len(stereo), 1000):
        frames += audio.push(AudioChunk(rate=rate, width=1, channels=2,
                                        audio=stereo[i:i + 1000]))
    frames += audio.flush()
    samples = np.concatenate([f.samples for f in frames])
    assert all(len(f.samples) == FRAME_SAMPLES for f in frames)
    assert 0.9 * 16000 <= len(samples) <= 1.1 * 16000
    spectrum = np.abs(np.fft.rfft(samples[1600:14400]))
    assert abs(np.argmax(spectrum) * 16000 / 12800 - 440) < 5  # the same tone


@pytest.mark.parametrize("rate, width, channels, data, code", [
    (16000, 7, 1, b"", "wyoming.audio_format"),
    (100, 2, 1, b"", "wyoming.audio_format"),
    (16000, 2, 1, b"\0\0\0", "wyoming.audio_torn"),
    (22050, 2, 1, b"\0\0", "wyoming.audio_format"),  # another rate than AudioStart's
])
def test_unusable_audio_is_a_request_error(rate, width, channels, data, code) -> None:
    audio = AudioIn(AudioStart(rate=16000, width=2, channels=1), max_s=10)
    with pytest.raises(RequestError) as err:
        audio.push(AudioChunk(rate=rate, width=width, channels=channels, audio=data))
    assert err.value.code == code


def test_a_stream_longer_than_the_cap_is_refused() -> None:
    audio = AudioIn(AudioStart(rate=16000, width=2, channels=1), max_s=1)
    audio.push(AudioChunk(rate=16000, width=2, channels=1, audio=bytes(32000)))
    with pytest.raises(RequestError) as err:
        audio.push(AudioChunk(rate=16000, width=2, channels=1, audio=bytes(320)))
    assert err.value.code == "wyoming.audio_too_long"
