"""How `heron bench e2e` judges and times the voice corpus (bench/e2e_voices.py,
bench/voice_turns.py): the first tool call counts even when the bench home refused it,
a turn that answered before the speech ended is counted but not timed, and the true
end is where the clip's speech ended on the 1x schedule."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from assistant.config import HeronConfig
from audio.file_source import stream_frames
from bench import e2e_voices
from bench.voice_corpus import VoiceClip
from bench.voice_turns import _row, bench_core, clocked


def clip(tool: str, args: dict, voice: str = "kokoro:x", condition: str = "clean",
         end_ms: int = 2000) -> VoiceClip:
    return VoiceClip(path=Path(f"/c/{tool}-{voice}.wav"), text="t", tool=tool, args=args,
                     voice=voice, condition=condition, split="held_out", speech_end_ms=end_ms)


def raw(calls: list[tuple[str, dict, str]], status: str = "ok", v2v: float | None = 300.0,
        vad: float = 200.0, cut: bool = False) -> dict:
    return {"status": status, "transcript": "t", "timings_ms": {"voice_to_voice": vad},
            "tool_calls": [{"tool": t, "args": a, "status": s} for t, a, s in calls],
            "speech": {}, "cut_before_end": cut, "voice_to_voice_true_ms": v2v,
            "feed_lag_ms": 0.0}


def test_the_first_call_is_judged_even_when_the_bench_refused_it():
    clips = [clip("open_app", {"name": "calculator"}), clip("open_app", {"name": "calculator"}),
             clip("get_time", {})]
    rows = e2e_voices.score(clips, [
        raw([("open_app", {"name": "Calculator"}, "denied")]),
        raw([("get_time", {}, "ok"), ("open_app", {"name": "calculator"}, "denied")]),
        raw([], status="no_speech", v2v=None)])
    assert [r["right"] for r in rows] == [True, False, False]


def test_answers_over_the_user_are_counted_but_not_timed():
    clips = [clip("get_time", {}, voice=v) for v in ("a", "a", "b", "b", "b")]
    rows = e2e_voices.score(clips, [
        raw([("get_time", {}, "ok")], v2v=300.0), raw([("get_time", {}, "ok")], v2v=500.0),
        raw([("get_date", {}, "ok")], v2v=400.0),
        raw([("get_time", {}, "ok")], v2v=-700.0, cut=True),  # answered mid-sentence
        raw([("get_time", {}, "ok")], v2v=600.0, cut=True)])  # decided early, answered after
    s = e2e_voices.summarize(rows)
    assert (s["right"], s["clips"], s["right_pct"]) == (4, 5, 80.0)
    assert (s["cut_before_end"], s["answered_before_end"], s["timed"]) == (2, 1, 4)
    assert s["true_p50_ms"] == 450.0 and s["vad_p50_ms"] == 200.0
    assert s["by_voice"] == {"a": {"right_pct": 100.0, "clips": 2},
                             "b": {"right_pct": 66.7, "clips": 3}}
    assert not s["meets_target"]  # 80 % right


def test_conditions_are_grouped_by_kind():
    assert e2e_voices.condition_kind("reverb:Concrete Room+fan@10dB") == "reverb+fan"
    assert e2e_voices.condition_kind("babble@5dB") == "babble"
    assert e2e_voices.condition_kind("clean") == "clean"


def test_dev_clips_only_when_asked():
    assert e2e_voices.splits_to_run({}) == ("held_out",)
    assert e2e_voices.splits_to_run({e2e_voices.DEV_ENV: "1"}) == ("held_out", "dev")


async def _consume(samples: np.ndarray, end_ms: float, stop_after: int | None = None) -> dict:
    marks: dict[str, float] = {}
    n = 0
    async for _ in clocked(stream_frames(samples, realtime=False), end_ms, marks):
        n += 1
        if n == stop_after:
            break
    return marks


def test_the_clock_marks_the_frame_holding_the_end_unless_the_turn_stopped_before():
    samples = np.zeros(16 * 1000, np.int16)  # 1 s: frames end at 80, 160, ... ms
    marks = asyncio.run(_consume(samples, 500.0))
    assert "start" in marks and "handed" in marks
    assert "handed" not in asyncio.run(_consume(samples, 500.0, stop_after=6))  # up to 480 ms
    assert "handed" in asyncio.run(_consume(samples, 500.0, stop_after=7))  # 480–560 ms


class _Result:
    status, transcript, timings_ms, reply = "ok", "t", {}, None


def test_voice_to_voice_runs_from_the_end_on_the_capture_schedule():
    marks = {"start": 100.0, "handed": 102.0 + 0.010}  # taken 10 ms late by a busy loop
    row = _row(_Result(), marks, first_audio=102.4, end_ms=2000)
    assert row["voice_to_voice_true_ms"] == pytest.approx(400.0)
    assert row["feed_lag_ms"] == pytest.approx(10.0)
    assert not row["cut_before_end"]
    cut = _row(_Result(), {"start": 100.0}, first_audio=101.5, end_ms=2000)
    assert cut["cut_before_end"] and cut["voice_to_voice_true_ms"] == pytest.approx(-500.0)


def test_the_bench_home_refuses_tools_that_reach_outside_heron(tmp_path):
    core = bench_core(tmp_path, HeronConfig(), ["tea"], ["shopping list"])
    try:
        reply = asyncio.run(core.agent.handle("open the calculator", source="voice"))
        assert [(c.tool, c.args, c.status) for c in reply.tool_calls] == [
            ("open_app", {"name": "calculator"}, "denied")]
        reply = asyncio.run(core.agent.handle("cancel the tea timer", source="voice"))
        assert [(c.tool, c.status) for c in reply.tool_calls] == [("cancel_timer", "ok")]
    finally:
        core.close()
