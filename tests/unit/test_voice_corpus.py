"""The voice corpus: noise mixed at the asked SNR, reverb that keeps the clip's timing, a
dev / held-out split that shares nothing, and the rule that says a tool call is right."""

from __future__ import annotations

import re

import numpy as np
import pytest

from audio.frames import SAMPLE_RATE_HZ
from bench import augment
from bench.voice_corpus import DEV, HELD_OUT, CorpusError, build, load_commands, matches, plan


def speechlike(seconds: float = 2.0, level: float = 6000.0, seed: int = 0) -> np.ndarray:
    """Lead silence, syllable-like bursts of harmonics, trailing silence (int16)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    voiced = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 8))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * rng.uniform(0.5, 1.0, len(t))
    speech = level * voiced * syllables / np.abs(voiced).max()
    pad = np.zeros(SAMPLE_RATE_HZ // 2)
    return np.concatenate([pad, speech, pad]).astype(np.int16)


def noises(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"fan": augment.fan(n, rng), "babble": augment.babble(n, rng, DEV.babble),
            "music": augment.music(n, rng), "held-out babble":
            augment.babble(n, rng, HELD_OUT.babble)}


@pytest.mark.parametrize("target_db", [5, 10, 15, 20])
def test_noise_is_mixed_at_the_asked_snr_over_the_spoken_part(target_db: int) -> None:
    clean = speechlike()
    for kind, noise in noises(len(clean), seed=target_db).items():
        out = augment.mix(clean, noise, target_db)
        measured = augment.snr_db(clean, out.astype(np.int32) - clean)
        assert abs(measured - target_db) < 0.5, (kind, measured)
        lead = out[: SAMPLE_RATE_HZ // 4].astype(np.float64)
        assert np.sqrt(np.mean(lead**2)) > 10, kind  # the noise is there before speech too


def test_a_loud_mix_is_scaled_down_not_clipped_and_keeps_its_snr() -> None:
    clean = speechlike(level=30000)
    noise = augment.fan(len(clean), np.random.default_rng(1))
    out = augment.mix(clean, noise, 5).astype(np.float64)
    assert np.abs(out).max() <= augment.HEADROOM * 32767 + 1
    x = clean.astype(np.float64)
    gain = float(out @ x / (x @ x))  # how much the whole mix was turned down
    assert gain < 0.95
    measured = augment.snr_db(clean, out / gain - x)
    assert abs(measured - 5) < 0.5


def test_mixing_into_silence_is_refused() -> None:
    with pytest.raises(ValueError, match="no speech"):
        augment.mix(np.zeros(16000, np.int16), np.ones(16000), 10)


@pytest.mark.parametrize("room", [*DEV.rooms, *HELD_OUT.rooms])
def test_reverb_keeps_length_onset_and_level_and_rings_after_the_speech(room: str) -> None:
    rng = np.random.default_rng(3)
    burst = rng.standard_normal(SAMPLE_RATE_HZ) * 4000  # a noisy sound: one clear lag
    clean = np.concatenate([np.zeros(8000), burst, np.zeros(8000)]).astype(np.int16)
    wet = augment.reverb(clean, room)
    assert wet.dtype == np.int16 and len(wet) == len(clean)
    _, last = augment.speech_span(clean)
    x, y = clean.astype(np.float64), wet.astype(np.float64)
    lags = range(-800, 801)  # ±50 ms: the direct sound arrives when the dry voice did
    best = max(lags, key=lambda k: float(np.dot(x[800:-800], y[800 + k: len(y) - 800 + k])))
    assert abs(best) <= 1
    assert abs(int(np.abs(wet).max()) - int(np.abs(clean).max())) <= 1
    tail = wet[last: last + SAMPLE_RATE_HZ // 20].astype(np.float64)
    assert np.sqrt(np.mean(tail**2)) > 1  # the room rings on after the voice stops
    assert not np.array_equal(wet, clean)


def test_rooms_are_heard_from_a_desk_not_across_a_hall() -> None:
    turned_down = 0
    for room in (*DEV.rooms, *HELD_OUT.rooms):
        shipped = augment.drr_db(augment.impulse(room, drr_db=-100.0))  # as in the package
        used = augment.drr_db(augment.impulse(room))
        assert used >= augment.DRR_DB - 0.1, room
        if shipped < augment.DRR_DB:
            assert abs(used - augment.DRR_DB) < 0.1, room
            turned_down += 1
    assert turned_down >= 4


def test_true_end_is_the_last_sample_above_minus_40_dbfs() -> None:
    x = np.zeros(SAMPLE_RATE_HZ, np.int16)
    x[1000:8000] = 5000
    x[8000:9000] = 300  # below -40 dBFS (327.7): breath, not speech
    assert augment.end_ms(x) == 500
    assert augment.speech_span(np.zeros(10, np.int16)) == (0, 0)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def test_dev_and_held_out_share_no_sentence_voice_room_recording_or_seed() -> None:
    dev_text = {_words(r["text"]) for r in load_commands(DEV)}
    held_text = {_words(r["text"]) for r in load_commands(HELD_OUT)}
    assert len(dev_text) >= 40 and len(held_text) >= 30
    assert not dev_text & held_text
    speaker = lambda v: v.partition("@")[0]  # noqa: E731  (the voice, any rate)
    assert not {speaker(v) for v in DEV.voices} & {speaker(v) for v in HELD_OUT.voices}
    assert not set(DEV.rooms) & set(HELD_OUT.rooms)
    assert not set(DEV.babble) & set(HELD_OUT.babble)
    dev_plan, held_plan = plan(DEV), plan(HELD_OUT)
    assert not {p[3] for p in dev_plan} & {p[3] for p in held_plan}
    assert not any(v.startswith("piper") for _, v, _, _ in held_plan)
    assert any(v.startswith("piper:joe") for _, v, _, _ in dev_plan)
    for spec, clips in ((DEV, dev_plan), (HELD_OUT, held_plan)):
        assert len(clips) == spec.size
        rooms = {c.partition(":")[2].partition("+")[0] for _, _, c, _ in clips if "reverb" in c}
        assert rooms <= set(spec.rooms)
        assert {v for _, v, _, _ in clips} == set(spec.voices)
        assert {_words(c["text"]) for c, _, _, _ in clips} == \
            {_words(r["text"]) for r in load_commands(spec)}  # every sentence is spoken


def test_the_plan_is_fixed() -> None:
    assert plan(HELD_OUT) == plan(HELD_OUT)
    first = plan(DEV)[0]
    assert (first[0]["text"], first[1], first[3]) == \
        ("set a timer for 2 minutes and 30 seconds", "kokoro:jf_alpha", 1501000)


def test_an_unknown_split_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(CorpusError, match="'test'") as err:
        build("test", tmp_path)
    assert err.value.code == "bench.corpus_split" and "dev" in err.value.hint


def test_matches_compares_what_the_tool_receives() -> None:
    assert matches("set_timer", {"seconds": 150}, "set_timer", {"seconds": 150.0})
    assert matches("set_timer", {"seconds": 720, "label": "pizza"}, "set_timer",
                   {"seconds": 720, "label": "Pizza.", "extra": 1})
    assert not matches("set_timer", {"seconds": 150}, "set_timer", {"seconds": 130})
    assert not matches("set_timer", {"seconds": 150}, "set_timer", {"seconds": "150"})
    assert not matches("set_timer", {"seconds": 150}, "cancel_timer", {})
    assert not matches("set_timer", {"seconds": 720, "label": "pizza"}, "set_timer",
                       {"seconds": 720})
    assert matches("open_app", {"name": "calculator"}, "open_app", {"name": "Calculator"})
    assert matches("read_list", {"list": "shopping list"}, "read_list", {})  # the default
    assert matches("convert", {"value": 5, "from_unit": "miles", "to_unit": "kilometers"},
                   "convert", {"value": 5.0, "from_unit": "mile", "to_unit": "kilometres"})
    assert matches("calculate", {"expression": "15 percent of 80"}, "calculate",
                   {"expression": "15% of 80"})
    assert not matches("calculate", {"expression": "17 times 23"}, "calculate",
                       {"expression": "17 times 13"})
    assert matches("get_time", {}, "get_time", {})
