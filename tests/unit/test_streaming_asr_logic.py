"""The word-agreement logic of streaming recognition and the vocabulary prompt,
fed plain words (no audio, no models)."""

from __future__ import annotations

from audio.asr import AsrWord
from audio.streaming_asr import (
    PartialTranscript,
    agreed_prefix,
    cut_point_ms,
    drop_overlap,
    fresh_words,
    join_text,
    norm,
    words_text,
)
from audio.vocabulary import command_prompt


def ws(text: str, start_ms: int = 0, step_ms: int = 300, p: float = 0.9) -> list[AsrWord]:
    """Whisper-like words (leading spaces), one every step_ms from start_ms."""
    return [AsrWord(f" {w}", start_ms + i * step_ms, start_ms + (i + 1) * step_ms, p)
            for i, w in enumerate(text.split())]


def test_words_compare_without_case_or_punctuation() -> None:
    assert norm(" Timer,") == norm("timer") == "timer"
    assert norm(" what's") == "what's"
    assert norm(" ...") == ""


def test_two_passes_commit_the_words_they_agree_on() -> None:
    first = ws("set a tea time")
    second = ws("set a tea timer for")
    assert agreed_prefix(first, second) == 3
    assert agreed_prefix(second, ws("Set a tea timer, for five")) == 5


def test_nothing_is_committed_from_a_first_pass_or_a_changed_start() -> None:
    assert agreed_prefix([], ws("set a timer")) == 0
    assert agreed_prefix(ws("sit a timer"), ws("set a timer")) == 0


def test_a_word_whisper_is_unsure_of_is_never_committed() -> None:
    prev = ws("fail better") + ws("thank you", 600, p=0.01)
    cur = ws("fail better") + ws("thank you", 600, p=0.01)
    assert agreed_prefix(prev, cur, min_probability=0.2) == 2
    assert agreed_prefix(prev, cur) == 4


def test_empty_words_stop_agreement() -> None:
    assert agreed_prefix([AsrWord(" ...", 0, 10, 1.0)], [AsrWord(" ...", 0, 10, 1.0)]) == 0


def test_words_before_the_committed_audio_are_dropped() -> None:
    words = ws("set a tea timer")  # 0-300, 300-600, 600-900, 900-1200
    assert words_text(fresh_words(words, committed_end_ms=600)) == "tea timer"
    # a word starting within the tolerance before the committed end is kept
    assert words_text(fresh_words(words, committed_end_ms=650, tolerance_ms=100)) == (
        "tea timer")
    assert words_text(fresh_words(words, committed_end_ms=0)) == "set a tea timer"


def test_a_repeated_head_is_dropped_once() -> None:
    committed = ["set", "a", "tea"]
    assert drop_overlap(committed, ["Tea", "timer"], key=str) == ["timer"]
    assert drop_overlap(committed, ["a", "tea,", "timer"], key=str) == ["timer"]
    assert drop_overlap(committed, ["timer"], key=str) == ["timer"]
    assert drop_overlap([], ["timer"], key=str) == ["timer"]


def test_overlap_removal_prefers_the_longest_match() -> None:
    committed = ["it", "was", "the", "best", "of", "times", "it", "was"]
    new = ["it", "was", "the", "worst"]
    assert drop_overlap(committed, new, key=str) == ["the", "worst"]


def test_overlap_works_on_timed_words() -> None:
    committed = ws("list my")
    new = ws("my timers", 300)
    out = drop_overlap([w.text for w in committed], new, key=lambda w: w.text)
    assert words_text(out) == "timers"


def test_the_window_is_cut_after_the_last_committed_word_when_too_long() -> None:
    committed = ws("one two three four", step_ms=1000)  # last ends at 4000
    assert cut_point_ms(committed, 0, audio_ms=9000, max_window_ms=10000) == 0
    assert cut_point_ms(committed, 0, audio_ms=12000, max_window_ms=10000) == 4000
    assert cut_point_ms([], 0, audio_ms=12000, max_window_ms=10000) == 0  # nothing to cut at
    assert cut_point_ms(committed, 5000, audio_ms=16000, max_window_ms=10000) == 5000


def test_partial_text_joins_committed_and_tentative() -> None:
    p = PartialTranscript("Set a tea", "timer for", covers_ms=1200, decode_ms=300)
    assert p.text == "Set a tea timer for"
    assert PartialTranscript("", " list", 400, 0).text == "list"
    assert join_text("a ", "", " b") == "a b"


def test_command_prompt_lists_distinct_phrases_without_slots() -> None:
    prompt = command_prompt(["set a {label} timer for {seconds}", "Set a timer for {seconds}",
                             "list my timers", "List timers", "  ", "{label}"])
    assert prompt == "Set a timer for, list my timers, list timers."
    assert "{" not in prompt


def test_command_prompt_is_bounded_and_empty_for_nothing() -> None:
    phrases = [f"phrase number {i}" for i in range(200)]
    prompt = command_prompt(phrases, max_chars=100)
    assert len(prompt) <= 100 and prompt.endswith(".")
    assert command_prompt([]) == ""
