"""The utterance segmenter, fed plain booleans (no audio, no models)."""

from __future__ import annotations

import pytest

from audio.segmenter import PreRollBuffer, SegmenterOptions, SegmentEvent, UtteranceSegmenter

OPTS = SegmenterOptions(start_speech_ms=160, end_silence_ms=400, max_utterance_ms=2000,
                        no_speech_timeout_ms=1600)


def frames(pattern: str) -> list[bool]:
    """'-' = silence, 'S' = speech, one character per 80 ms frame (spaces ignored)."""
    return [c == "S" for c in pattern.replace(" ", "")]


def run(seg: UtteranceSegmenter, pattern: str) -> list[tuple[int, SegmentEvent]]:
    """(frame index, event) for every event."""
    start = seg.elapsed_ms // seg.frame_ms
    out = []
    for i, flag in enumerate(frames(pattern)):
        event = seg.process(flag)
        if event is not None:
            out.append((start + i, event))
    return out


def test_speech_starts_after_start_speech_ms_and_ends_after_silence() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "--- SSSSSS -----")
    # speech frames 3..8; START on the 2nd voiced frame; END on the 5th silent one
    assert events == [(4, SegmentEvent.START), (13, SegmentEvent.END)]
    assert seg.speech_start_ms == 3 * 80
    assert seg.speech_end_ms == 9 * 80
    assert seg.finished and not seg.in_speech


def test_events_compare_equal_to_their_names() -> None:
    assert SegmentEvent.START == "start" and SegmentEvent.MAX_LENGTH == "max_length"


def test_short_blips_do_not_start() -> None:
    seg = UtteranceSegmenter(OPTS)
    assert run(seg, "-S-S--S-S-") == []
    assert not seg.in_speech and seg.speech_start_ms is None


def test_start_is_dated_to_the_first_frame_of_the_triggering_run() -> None:
    seg = UtteranceSegmenter(SegmenterOptions(start_speech_ms=240, no_speech_timeout_ms=0))
    events = run(seg, "S-SS-SSS")
    assert events == [(7, SegmentEvent.START)]
    assert seg.speech_start_ms == 5 * 80  # not 0 or 2*80: those runs were blips


def test_short_pause_inside_speech_does_not_end() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "SSSS ---- SSS")  # 320 ms pause < 400 ms
    assert events == [(1, SegmentEvent.START)]
    assert seg.in_speech
    assert seg.speech_end_ms == 11 * 80
    events = run(seg, "-----")
    assert events == [(15, SegmentEvent.END)]
    assert seg.speech_end_ms == 11 * 80


def test_end_needs_exactly_end_silence_ms() -> None:
    seg = UtteranceSegmenter(OPTS)
    run(seg, "SS")
    assert run(seg, "----") == []
    assert run(seg, "-") == [(6, SegmentEvent.END)]


def test_timeout_when_no_speech() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "-" * 30)
    assert events == [(19, SegmentEvent.TIMEOUT)]  # 20 frames = 1600 ms
    assert seg.speech_start_ms is None and seg.speech_end_ms is None


def test_blips_do_not_postpone_the_timeout() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "S-" * 15)
    assert events == [(19, SegmentEvent.TIMEOUT)]


def test_speech_under_way_at_the_deadline_may_still_start() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "-" * 19 + "SSS---------")
    assert events == [(20, SegmentEvent.START), (26, SegmentEvent.END)]


def test_no_timeout_once_speech_started() -> None:
    seg = UtteranceSegmenter(SegmenterOptions(no_speech_timeout_ms=400, max_utterance_ms=0,
                                              end_silence_ms=10_000))
    events = run(seg, "SS" + "-" * 50)
    assert events == [(1, SegmentEvent.START)]


def test_max_length_cuts_a_long_utterance() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "--" + "S" * 40)
    # speech starts at frame 2 (160 ms); 2000 ms later is the end of frame 26
    assert events == [(3, SegmentEvent.START), (26, SegmentEvent.MAX_LENGTH)]
    assert seg.speech_start_ms == 160
    assert seg.speech_end_ms == 27 * 80
    assert seg.finished


def test_max_length_counts_pauses_too() -> None:
    seg = UtteranceSegmenter(OPTS)
    events = run(seg, "SS---SS---" * 4)
    assert events[-1] == (24, SegmentEvent.MAX_LENGTH)


def test_disabled_limits() -> None:
    seg = UtteranceSegmenter(SegmenterOptions(max_utterance_ms=0, no_speech_timeout_ms=0))
    assert run(seg, "-" * 500 + "S" * 500) == [(501, SegmentEvent.START)]


def test_finished_segmenter_ignores_frames_until_reset() -> None:
    seg = UtteranceSegmenter(OPTS)
    run(seg, "SS-----")
    assert run(seg, "SSSS") == []
    seg.reset()
    assert seg.elapsed_ms == 0 and seg.speech_start_ms is None and not seg.finished
    assert run(seg, "-SS") == [(2, SegmentEvent.START)]
    assert seg.speech_start_ms == 80


@pytest.mark.parametrize("frame_ms", [20, 30, 80])
def test_other_frame_sizes_use_ms_not_frames(frame_ms: int) -> None:
    seg = UtteranceSegmenter(SegmenterOptions(start_speech_ms=160, end_silence_ms=400),
                             frame_ms=frame_ms)
    n_start = -(-160 // frame_ms)
    n_end = -(-400 // frame_ms)
    flags = [True] * 50 + [False] * n_end
    events = [(i, e) for i, f in enumerate(flags) if (e := seg.process(f))]
    assert events == [(n_start - 1, SegmentEvent.START), (50 + n_end - 1, SegmentEvent.END)]
    assert seg.speech_end_ms == 50 * frame_ms


def test_elapsed_ms_counts_every_frame() -> None:
    seg = UtteranceSegmenter(OPTS)
    run(seg, "-S-S")
    assert seg.elapsed_ms == 320


def test_pre_roll_keeps_the_last_frames() -> None:
    buf: PreRollBuffer[int] = PreRollBuffer(320)
    for i in range(10):
        buf.push(i)
    assert len(buf) == 4
    assert buf.drain() == [6, 7, 8, 9]
    assert len(buf) == 0 and buf.drain() == []


def test_pre_roll_rounds_up_and_zero_keeps_nothing() -> None:
    buf: PreRollBuffer[str] = PreRollBuffer(100)  # 1.25 frames -> 2
    for s in "abc":
        buf.push(s)
    assert buf.drain() == ["b", "c"]
    empty: PreRollBuffer[str] = PreRollBuffer(0)
    empty.push("a")
    assert empty.drain() == []


def test_pre_roll_with_segmenter_includes_audio_before_start() -> None:
    opts = SegmenterOptions(start_speech_ms=160, pre_roll_ms=160)
    seg = UtteranceSegmenter(opts)
    buf: PreRollBuffer[int] = PreRollBuffer(opts.pre_roll_ms + opts.start_speech_ms)
    pattern = frames("-----SSS")
    for i, flag in enumerate(pattern):
        buf.push(i)
        if seg.process(flag) == SegmentEvent.START:
            kept = buf.drain()
            break
    # START on frame 6; speech began at frame 5; 160 ms (2 frames) before that kept
    assert kept == [3, 4, 5, 6]
    assert seg.speech_start_ms == 5 * 80
