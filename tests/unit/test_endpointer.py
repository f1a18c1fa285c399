"""The endpointer, fed plain booleans (no audio, no models)."""

from __future__ import annotations

import pytest

from audio.endpointer import Endpointer, EndpointEvent, EndpointOptions

OPTS = EndpointOptions(start_speech_ms=160, short_silence_ms=200, long_silence_ms=720,
                       max_utterance_ms=4000, no_speech_timeout_ms=1600)


def frames(pattern: str) -> list[bool]:
    """'-' = silence, 'S' = speech, one character per 80 ms frame (spaces ignored)."""
    return [c == "S" for c in pattern.replace(" ", "")]


def run(ep: Endpointer, pattern: str) -> list[tuple[int, EndpointEvent]]:
    """(frame index, event) for every event."""
    start = ep.elapsed_ms // ep.frame_ms
    out = []
    for i, flag in enumerate(frames(pattern)):
        event = ep.process(flag)
        if event is not None:
            out.append((start + i, event))
    return out


def test_without_a_complete_command_it_waits_for_the_long_silence() -> None:
    ep = Endpointer(OPTS)
    events = run(ep, "-- SSSSS ---------- --")
    # speech frames 2..6; long silence 720 ms = 9 frames → END on frame 15
    assert events == [(3, EndpointEvent.START), (15, EndpointEvent.END)]
    assert ep.speech_start_ms == 2 * 80 and ep.speech_end_ms == 7 * 80
    assert ep.finished and not ep.in_speech


def test_a_complete_command_ends_after_the_short_silence() -> None:
    ep = Endpointer(OPTS)
    assert run(ep, "-- SSSSS") == [(3, EndpointEvent.START)]
    assert ep.set_command_complete(True, covers_ms=ep.elapsed_ms) is None  # no silence yet
    assert ep.end_silence_ms == 200
    # 200 ms = 3 frames (rounded up to whole frames) → END on the 3rd silent frame
    assert run(ep, "------") == [(9, EndpointEvent.END)]
    assert ep.speech_end_ms == 7 * 80


def test_speech_after_the_covered_audio_invalidates_the_command() -> None:
    ep = Endpointer(OPTS)
    run(ep, "-- SSSSS")
    ep.set_command_complete(True, covers_ms=ep.elapsed_ms)
    run(ep, "- SS")  # the person went on talking: the transcript no longer covers it
    assert not ep.command_complete and ep.end_silence_ms == 720
    assert run(ep, "---------") == [(18, EndpointEvent.END)]


def test_a_transcript_covering_only_part_of_the_speech_does_not_shorten() -> None:
    ep = Endpointer(OPTS)
    run(ep, "-- SSSSS")
    ep.set_command_complete(True, covers_ms=ep.elapsed_ms - 160)  # decoded before the end
    assert not ep.command_complete
    assert run(ep, "-----") == []


def test_late_completion_ends_at_once_when_enough_silence_has_passed() -> None:
    ep = Endpointer(OPTS)
    run(ep, "-- SSSSS ----")  # 320 ms of silence, long endpoint not reached
    assert ep.silence_ms == 320
    assert ep.set_command_complete(True, covers_ms=7 * 80) == EndpointEvent.END
    assert ep.finished and ep.speech_end_ms == 7 * 80
    assert ep.process(False) is None  # finished: frames are ignored


def test_an_incomplete_verdict_restores_the_long_silence() -> None:
    ep = Endpointer(OPTS)
    run(ep, "-- SSSSS")
    ep.set_command_complete(True, covers_ms=ep.elapsed_ms)
    ep.set_command_complete(False, covers_ms=ep.elapsed_ms + 80)  # a newer partial
    assert run(ep, "----") == []
    assert ep.end_silence_ms == 720


def test_completion_before_speech_is_remembered_but_not_acted_on() -> None:
    ep = Endpointer(OPTS)
    assert ep.set_command_complete(True, covers_ms=0) is None
    assert run(ep, "-- SS ---") == [(3, EndpointEvent.START)]  # speech ended after 0 ms


def test_silence_counts_and_resets_on_speech() -> None:
    ep = Endpointer(OPTS)
    run(ep, "SS --")
    assert ep.silence_ms == 160
    run(ep, "S")
    assert ep.silence_ms == 0


def test_no_speech_times_out() -> None:
    ep = Endpointer(OPTS)
    events = run(ep, "-" * 25)
    assert events == [(19, EndpointEvent.TIMEOUT)]
    assert ep.speech_start_ms is None and ep.finished


def test_short_blips_do_not_start_speech() -> None:
    ep = Endpointer(OPTS)
    assert run(ep, "S-S-S-S-") == []
    assert not ep.in_speech


def test_a_long_utterance_is_cut() -> None:
    ep = Endpointer(OPTS)
    events = run(ep, "S" * 60)
    assert events == [(1, EndpointEvent.START), (49, EndpointEvent.MAX_LENGTH)]
    assert ep.finished


def test_completion_does_not_lift_the_length_cap() -> None:
    ep = Endpointer(OPTS)
    run(ep, "S" * 40)
    ep.set_command_complete(True, covers_ms=ep.elapsed_ms)
    assert run(ep, "S" * 20)[-1] == (49, EndpointEvent.MAX_LENGTH)


def test_reset_forgets_the_command_and_the_utterance() -> None:
    ep = Endpointer(OPTS)
    run(ep, "SSS")
    ep.set_command_complete(True, covers_ms=ep.elapsed_ms)
    run(ep, "---")
    assert ep.finished
    ep.reset()
    assert not ep.finished and ep.elapsed_ms == 0 and not ep.command_complete
    assert run(ep, "SSS ---------") == [(1, EndpointEvent.START), (11, EndpointEvent.END)]


def test_disabled_limits() -> None:
    ep = Endpointer(EndpointOptions(max_utterance_ms=0, no_speech_timeout_ms=0))
    assert run(ep, "-" * 200) == []
    assert run(ep, "S" * 300)[0][1] == EndpointEvent.START


def test_frame_ms_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Endpointer(OPTS, frame_ms=0)


# -- the end-of-turn verdict for speech that is not a complete command -------------------
TURN = EndpointOptions(start_speech_ms=160, short_silence_ms=150, long_silence_ms=700,
                       turn_threshold=0.5, turn_finished_threshold=0.9,
                       turn_end_silence_ms=480, turn_hold_silence_ms=1200,
                       max_utterance_ms=10000, no_speech_timeout_ms=1600)


def paused(verdict: float | None) -> tuple[Endpointer, int]:
    """Speech frames 2..6, then the verdict on that speech (None: no verdict)."""
    ep = Endpointer(TURN)
    run(ep, "-- SSSSS -")
    ep.set_command_complete(False, covers_ms=7 * 80)
    if verdict is not None:
        assert ep.set_turn_finished(verdict, covers_ms=7 * 80) is None
    return ep, 7 * 80


def test_a_surely_finished_sentence_ends_after_the_medium_silence() -> None:
    ep, _ = paused(0.95)
    assert ep.turn_finished is True and ep.end_silence_ms == 480
    # 480 ms = 6 silent frames: frames 7..12, END on frame 12
    assert run(ep, "-----") == [(12, EndpointEvent.END)]


def test_a_sentence_that_sounds_unfinished_waits_the_hold_silence() -> None:
    ep, _ = paused(0.2)
    assert ep.turn_finished is False and ep.end_silence_ms == 1200
    # a 600 ms pause (frames 7..13) does not end it; the rest of the sentence follows
    assert run(ep, "------") == []
    assert run(ep, "SSS") == []
    assert ep.in_speech and ep.turn_finished is None  # the verdict was on older speech


def test_an_unsure_verdict_or_none_waits_the_long_silence() -> None:
    for verdict in (0.7, None):
        ep, _ = paused(verdict)
        assert ep.turn_finished is None and ep.end_silence_ms == 700
        assert run(ep, "---------") == [(15, EndpointEvent.END)]


def test_a_late_finished_verdict_ends_at_once() -> None:
    ep, end = paused(None)
    run(ep, "------")  # 560 ms of silence: past the medium silence, not the long one
    assert not ep.finished
    assert ep.set_turn_finished(0.97, covers_ms=end) == EndpointEvent.END


def test_a_complete_command_still_wins_over_the_verdict() -> None:
    ep, end = paused(0.1)
    assert ep.set_command_complete(True, covers_ms=end) is None  # 80 ms of silence
    assert ep.end_silence_ms == 150
    assert run(ep, "-") == [(8, EndpointEvent.END)]


def test_a_verdict_on_part_of_the_speech_is_ignored() -> None:
    ep = Endpointer(TURN)
    run(ep, "-- SSSSS -")
    ep.set_turn_finished(0.99, covers_ms=5 * 80)  # judged before the speech ended
    assert ep.turn_finished is None and ep.end_silence_ms == 700


def test_reset_forgets_the_verdict() -> None:
    ep, _ = paused(0.99)
    ep.reset()
    run(ep, "SSS -")
    assert ep.turn_finished is None
