"""`heron bench barge-in` starts its own PulseAudio room, talks over a long reply and
writes its report. (It checks the report is complete and honest, never how fast this
machine is.)"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import run_heron

from bench.barge_in import KINDS, QUICK_RUNS

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def _room_servers() -> set[str]:
    """PulseAudio servers started by a benchmark room (their runtime dir says so)."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if (proc / "comm").read_text().strip() == "pulseaudio" and \
                    b"heron-room-" in (proc / "environ").read_bytes():
                found.add(proc.name)
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_bench_barge_in_interrupts_every_run_and_writes_json_and_png(tmp_path):
    before = _room_servers()
    out = tmp_path / "bench"
    proc = run_heron(tmp_path, "bench", "barge-in", "--quick", "--out", str(out), "--json",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((out / "barge_in.json").read_text())
    assert (out / "barge_in.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _room_servers() <= before  # its own server is gone again

    s = report["summary"]
    assert s["runs"] == len(KINDS) * QUICK_RUNS
    assert s["ok"] == s["runs"], [r for r in report["rows"] if r["status"] != "ok"]
    assert s["self_interrupted"] == 0 and s["not_interrupted"] == 0
    for row in report["rows"]:
        assert row["reason"] in ("wake", "speech")
        assert row["detection_ms"] > 0  # decided after the user began, not on Heron's echo
        assert row["stop_ms"] >= 0
        assert row["total_ms"] == pytest.approx(row["detection_ms"] + row["stop_ms"], abs=0.2)
        assert row["interrupted_event_after_stop_ms"] >= 0  # Interrupted was published
        assert row["cut_in_ms"] > 0  # the user spoke over a reply that was playing
    for kind, _said in KINDS:
        k = s["by_kind"][kind]
        assert k["ok"] == QUICK_RUNS and sum(k["reasons"].values()) == QUICK_RUNS
        assert 0 <= k["stop_ms"]["median"] <= k["stop_ms"]["p95"] <= k["stop_ms"]["max"]
    assert s["meets_stop_target"] == (s["stop_ms"]["p95"] <= s["target_stop_ms"])
    tail = s["stop_during_drain"]  # stop() while the last words drain out of the speaker
    assert tail["runs"] == tail["ok"] == QUICK_RUNS
    for row in tail["rows"]:
        assert row["sounding_at_stop"] and row["stop_ms"] >= 0

    clock = report["clock_check"]  # the taps were checked against the players
    for key in ("speaker_tap_minus_player_ms", "room_tap_minus_player_ms"):
        assert clock[key]["found"] == clock[key]["of"] == clock["clicks"]
    assert set(report["method"]) >= {"onset", "decision", "silent", "precision_ms"}
    assert report["microphone"]["dropped_frames"] == 0
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu"]


def test_bench_barge_in_without_pulseaudio_is_a_coded_error(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with espeak-ng but no pulseaudio
    bin_dir.mkdir()
    os.symlink(shutil.which("espeak-ng"), bin_dir / "espeak-ng")
    proc = run_heron(tmp_path, "bench", "barge-in", "--quick", "--out", str(tmp_path / "b"),
                     "--json", env={"PATH": str(bin_dir)})
    assert proc.returncode == 7, proc.stderr
    assert json.loads(proc.stdout)["error"]["code"] == "bench.pulseaudio_missing"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "b").exists()  # nothing half-written
