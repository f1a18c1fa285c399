"""`heron bench e2e` runs the whole pipeline at real-time pace and writes its report:
the piper commands and a few held-out clips of the voice corpus. (It checks the report
is complete and honest, never how fast this machine is.)"""

from __future__ import annotations

import json

import pytest
from helpers import run_heron

from bench.e2e import COMMANDS
from bench.e2e_voices import QUICK_CLIPS

pytestmark = pytest.mark.slow


def test_bench_e2e_writes_json_and_png(tmp_path):
    out = tmp_path / "bench"
    proc = run_heron(tmp_path, "bench", "e2e", "--quick", "--out", str(out), "--json",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "e2e.json").read_text())
    assert (out / "e2e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    s = report["summary"]
    assert s["runs"] == len(COMMANDS) and s["ok"] == len(COMMANDS)
    assert s["routed_ok"] == len(COMMANDS)
    assert report["config"]["realtime"] is True
    for row in report["rows"]:
        t = row["timings_ms"]
        # voice-to-voice covers the silence waited for, decoding, the tool and first audio
        assert t["voice_to_voice"] >= t["vad_end"] >= 0
        # and from the true end of speech (the last sample above -40 dBFS), which the
        # VAD's whole frames put later
        assert t["voice_to_voice_true"] >= t["voice_to_voice"]
    assert 0 < s["voice_to_voice_p50_ms"] <= s["voice_to_voice_p95_ms"]
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu"]
    voices = report["voices"]
    assert list(voices["splits"]) == ["held_out"]  # dev only when asked for
    held = voices["splits"]["held_out"]
    assert held["clips"] == len(voices["rows"]) == QUICK_CLIPS
    assert held["right"] == sum(r["right"] for r in voices["rows"])
    assert {r["voice"].split(":")[0] for r in voices["rows"]} <= {"kokoro", "espeak"}  # no joe
    for row in voices["rows"]:
        if row["status"] == "ok" and not row["cut_before_end"]:
            assert row["voice_to_voice_true_ms"] > 0
    assert (out / "e2e_voices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_wyoming_races_three_contestants_on_the_same_clips(tmp_path):
    from bench.wyoming import CONTESTANTS, HA_SILENCE_MS, QUICK_CLIPS

    out = tmp_path / "bench"
    proc = run_heron(tmp_path, "bench", "wyoming", "--quick", "--out", str(out), "--json",
                     timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "wyoming.json").read_text())
    assert (out / "wyoming.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = report["rows"]
    assert report["split"] == "held_out" and report["clips"] == QUICK_CLIPS
    assert len(rows) == 3 * QUICK_CLIPS
    # every clip by every contestant, one after another, and not always in one order
    per_clip = [rows[i:i + 3] for i in range(0, len(rows), 3)]
    assert all({r["contestant"] for r in group} == set(CONTESTANTS) for group in per_clip)
    assert all(len({r["clip"] for r in group}) == 1 for group in per_clip)
    assert len({group[0]["contestant"] for group in per_clip}) > 1
    for r in rows:
        if r["contestant"] == "ha-style" and r["stages_ms"]["vad_end"]:
            # the end of speech is heard after Home Assistant's 0.7 s of silence
            assert r["stages_ms"]["vad_end"] >= HA_SILENCE_MS - 2 * 80
    for name in CONTESTANTS:
        s = report["contestants"][name]
        assert s["clips"] == QUICK_CLIPS and 0 <= s["right_pct"] <= 100
    assert set(report["verdict"]) == {"local_vs_ha_p50", "remote_vs_ha_p50"}
    assert report["machine"]["cores"] >= 1


def test_bench_read_times_each_way_of_asking_and_reads_every_time(tmp_path):
    out = tmp_path / "bench"
    proc = run_heron(tmp_path, "bench", "read", "--quick", "--out", str(out), "--json",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "read.json").read_text())
    assert (out / "read.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = report["rows"]
    # each run read the text through read_aloud, from where it was asked to
    assert [r["source"] for r in rows["typed_selection"]] == ["selection"] * 3
    assert [r["source"] for r in rows["typed_window"]] == ["window"]
    assert [(r["tool"], r["transcript"].lower().rstrip(".!? "))
            for r in rows["spoken_selection"]] == [
        ("read_aloud", "read this to me")]
    for name in rows:
        for row in rows[name]:
            # the first audio comes after the request was understood and the text read
            assert row["first_audio_ms"] >= row["agent_ms"] > 0
    assert set(report["judged"]) == {"typed_selection_p50_ms", "typed_selection_p95_ms"}
    assert report["judged"]["typed_selection_p50_ms"]["target"] == 400


def test_bench_screen_grounds_find_and_click_on_a_real_qt_form(tmp_path):
    """One held-out Qt form on its own Xvfb: "find" and "click" for two of its labels
    through the real registry, each point judged against the rectangles Qt reported."""
    from bench.screen import QUICK_LABELS

    out = tmp_path / "bench"
    proc = run_heron(tmp_path, "bench", "screen", "--quick", "--out", str(out), "--json",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "screen.json").read_text())
    assert (out / "screen.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["toolkits"]["qt"] == "ok"
    (screen,) = report["screens"]
    assert screen["screen"] == "qt/checkout/dark/100" and screen["split"] == "held_out"
    wx, wy, ww, wh = screen["window"]
    rows = report["rows"]
    assert [r["request"].split(" ")[0] for r in rows] == ["find", "click"] * QUICK_LABELS
    assert rows[0]["request"] == "find Full name" and rows[1]["request"] == "click Full name"
    for r in rows:
        # a field label's rectangles: the label's and its input's, both inside the window
        assert len(r["rects"]) == (2 if r["kind"] == "field" else 1)
        for x, y, w, h in r["rects"]:
            assert w > 0 and h > 0 and wx <= x and x + w <= wx + ww and y + h <= wy + wh
        if r["point"] is not None:
            px, py = r["point"]
            assert r["inside"] == any(x <= px < x + w and y <= py < y + h
                                      for x, y, w, h in r["rects"])
        else:
            assert not r["inside"]
        assert r["ms"] > 0
    held = report["results"]["held_out"]["all"]
    assert held["requests"] == len(rows) and held["inside"] == sum(r["inside"] for r in rows)
    assert len(report["failures"]["held_out"]) == len(rows) - held["inside"]
    assert report["results"]["dev"]["all"]["requests"] == 0
    assert report["timing"]["find"]["requests"] == QUICK_LABELS
    assert report["error_explanation"]["status"] in ("measured", "not filled")
    assert report["machine"]["cores"] >= 1
