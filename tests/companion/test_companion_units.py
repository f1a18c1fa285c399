"""The pure parts: pairing codes expire after 5 minutes and work once, the rate
limiter's window, the retry backoff, and what the QR code holds."""

from __future__ import annotations

import pytest

from assistant.companion.delivery import BACKOFF_MAX_S, backoff_s
from assistant.companion.devices import CompanionError, DeviceStore, RateLimiter
from assistant.companion.pairing import pairing_payload, qr_png
from assistant.companion.server import Endpoint
from assistant.storage import Storage


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    clock = Clock()
    yield DeviceStore(storage, clock=clock), clock
    storage.close()


def test_a_code_is_valid_for_five_minutes_only(store):
    devices, clock = store
    code, expires = devices.new_pairing_code()
    assert expires == clock.now + 300
    clock.now += 301
    with pytest.raises(CompanionError) as err:
        devices.pair(code, "late phone")
    assert err.value.code == "companion.bad_code" and "heron companion pair" in err.value.hint


def test_a_code_works_once_and_is_not_case_sensitive(store):
    devices, clock = store
    code, _ = devices.new_pairing_code()
    clock.now += 299
    device, token = devices.pair(code.lower(), "phone")
    assert devices.authenticate(token).id == device.id
    with pytest.raises(CompanionError):
        devices.pair(code, "second phone")
    assert devices.authenticate(token + "x") is None and devices.authenticate("") is None


def test_rate_limiter_blocks_after_the_limit_until_the_window_passes():
    clock = Clock()
    limiter = RateLimiter(limit=3, window_s=60, clock=clock)
    for _ in range(3):
        assert not limiter.blocked("10.0.0.2")
        limiter.failed("10.0.0.2")
    assert limiter.blocked("10.0.0.2") and not limiter.blocked("10.0.0.3")
    clock.now += 61
    assert not limiter.blocked("10.0.0.2")


def test_backoff_doubles_up_to_five_minutes():
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_s(30) == BACKOFF_MAX_S == 300


def test_qr_payload_holds_url_code_and_fingerprint():
    fp = "AB:CD:" + ":".join(["00"] * 30)
    payload = pairing_payload(Endpoint("https://192.168.1.5:8765", fp), "K7M2P9QX")
    assert payload == ("https://192.168.1.5:8765/#pair=K7M2P9QX&fp="
                       + fp.replace(":", "%3A"))
    assert qr_png(payload).startswith(b"\x89PNG")
