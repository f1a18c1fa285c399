"""Endpointing beyond silence: a pure state machine over per-frame speech flags that
ends an utterance after a short silence when the transcript so far is already a
complete command; otherwise after a silence chosen by an end-of-turn verdict (the
speaker sounds finished → a medium silence; sounds mid-sentence → a longer one), and
after the long silence while there is no verdict.
Without `set_command_complete` it is a plain silence endpointer (enrolment uses it so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class EndpointOptions:
    """All durations in ms of audio (silence is counted in whole 80 ms frames, so 150
    means 160). Speech starts after `start_speech_ms` of voiced frames. It ends after:
    - `short_silence_ms` when a transcript covering all the speech so far is a
      complete command;
    - else, once the end-of-turn verdict for that speech is in (the turn model, or
      words that cannot end a request): `turn_end_silence_ms` when the speaker surely
      sounds finished (P(finished) >= `turn_finished_threshold`), `turn_hold_silence_ms`
      when they sound mid-sentence (P(finished) < `turn_threshold`: "remind me to ...
      call mom");
    - `long_silence_ms` when the verdict is in between, or there is none
      (`turn_model = false`, the model file missing, or the verdict not ready yet).
    `max_utterance_ms` cuts a long utterance; `no_speech_timeout_ms` without speech
    ends the turn empty (a limit <= 0 disables it). `pre_roll_ms` is the audio kept
    before the start (used by the caller's buffer)."""

    start_speech_ms: int = 160
    short_silence_ms: int = 200
    long_silence_ms: int = 700
    turn_model: bool = True  # ask the smart-turn model about incomplete commands
    turn_threshold: float = field(default=0.5, metadata={"range": (0.0, 1.0)})
    turn_finished_threshold: float = field(default=0.9, metadata={"range": (0.0, 1.0)})
    turn_end_silence_ms: int = 560
    turn_hold_silence_ms: int = 1200
    # A config file cannot turn the cut off (0): the utterance's audio is buffered until
    # it ends, so a noisy room could grow it without bound.
    max_utterance_ms: int = field(default=15000, metadata={"range": (1, None)})
    no_speech_timeout_ms: int = 8000
    pre_roll_ms: int = 320


class EndpointEvent(StrEnum):
    START = "start"  # speech began (at speech_start_ms)
    END = "end"  # speech ended (at speech_end_ms) after enough silence
    TIMEOUT = "timeout"  # no speech started within no_speech_timeout_ms
    MAX_LENGTH = "max_length"  # utterance cut after max_utterance_ms


class Endpointer:
    """Feed one `is_speech` flag per frame; get at most one event per frame.

    Call `set_command_complete(True, covers_ms)` when a (partial) transcript of the
    audio up to `covers_ms` (same clock as `elapsed_ms`) is a complete, confidently
    routed command, and `set_turn_finished(probability, covers_ms)` with the
    end-of-turn verdict for the same audio when it is not. Speech that ends after
    `covers_ms` invalidates either.
    One utterance per run: after END, TIMEOUT or MAX_LENGTH the endpointer is
    `finished` and ignores frames until `reset()`.
    """

    def __init__(self, options: EndpointOptions = EndpointOptions(), frame_ms: int = 80) -> None:
        if frame_ms <= 0:
            raise ValueError("frame_ms must be positive")
        self.options = options
        self.frame_ms = frame_ms
        self.reset()

    def reset(self) -> None:
        self._elapsed_ms = 0
        self._voiced_run_ms = 0
        self._run_start_ms = 0
        self._silence_ms = 0
        self._in_speech = False
        self._finished = False
        self._speech_start_ms: int | None = None
        self._speech_end_ms: int | None = None
        self._complete_covers_ms: int | None = None
        self._turn: tuple[float, int] | None = None  # (P(finished), covers_ms)

    # -- state, all in ms of audio since the endpointer began (or was reset) -------
    @property
    def elapsed_ms(self) -> int:
        return self._elapsed_ms

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def speech_start_ms(self) -> int | None:
        """Start of the first voiced frame of the run that triggered START."""
        return self._speech_start_ms

    @property
    def speech_end_ms(self) -> int | None:
        """End of the last voiced frame of the utterance so far."""
        return self._speech_end_ms

    @property
    def silence_ms(self) -> int:
        """Silence since the last voiced frame (0 before speech starts)."""
        return self._silence_ms

    @property
    def command_complete(self) -> bool:
        """A complete command covers all the speech so far."""
        covers = self._complete_covers_ms
        return (covers is not None and self._speech_end_ms is not None
                and self._speech_end_ms <= covers)

    @property
    def turn_finished(self) -> bool | None:
        """The end-of-turn verdict on all the speech so far: True (surely sounds
        finished), False (sounds mid-sentence) or None (unsure, or no verdict covers it)."""
        if self._turn is None or self._speech_end_ms is None:
            return None
        probability, covers = self._turn
        if self._speech_end_ms > covers:
            return None
        if probability >= self.options.turn_finished_threshold:
            return True
        return False if probability < self.options.turn_threshold else None

    @property
    def end_silence_ms(self) -> int:
        """The silence that ends the utterance now (see EndpointOptions)."""
        o = self.options
        if self.command_complete:
            return o.short_silence_ms
        finished = self.turn_finished
        if finished is None:
            return o.long_silence_ms
        return o.turn_end_silence_ms if finished else o.turn_hold_silence_ms

    def set_command_complete(self, complete: bool, covers_ms: int) -> EndpointEvent | None:
        """Record whether the transcript of the audio up to `covers_ms` is a complete
        command. Returns END when that ends the utterance at once (enough silence
        has already passed), else None."""
        if self._finished:
            return None
        self._complete_covers_ms = covers_ms if complete else None
        return self._end_if_silent_enough()

    def set_turn_finished(self, probability: float, covers_ms: int) -> EndpointEvent | None:
        """Record how likely the speaker has finished, judged on the audio up to
        `covers_ms`. Returns END when that ends the utterance at once, else None."""
        if self._finished:
            return None
        self._turn = (probability, covers_ms)
        return self._end_if_silent_enough()

    def _end_if_silent_enough(self) -> EndpointEvent | None:
        if self._in_speech and self._silence_ms > 0 and self._silence_ms >= self.end_silence_ms:
            return self._end()
        return None

    def process(self, is_speech: bool) -> EndpointEvent | None:
        """Advance by one frame."""
        if self._finished:
            return None
        frame_start = self._elapsed_ms
        self._elapsed_ms += self.frame_ms
        if self._in_speech:
            return self._process_in_speech(is_speech)
        return self._process_waiting(is_speech, frame_start)

    def _process_waiting(self, is_speech: bool, frame_start: int) -> EndpointEvent | None:
        opts = self.options
        if is_speech:
            if self._voiced_run_ms == 0:
                self._run_start_ms = frame_start
            self._voiced_run_ms += self.frame_ms
            if self._voiced_run_ms >= opts.start_speech_ms:
                self._in_speech = True
                self._speech_start_ms = self._run_start_ms
                self._speech_end_ms = self._elapsed_ms
                self._silence_ms = 0
                return EndpointEvent.START
            return None
        self._voiced_run_ms = 0  # a blip too short to count as speech
        # A run in progress at the deadline may still become speech: wait for it.
        if 0 < opts.no_speech_timeout_ms <= self._elapsed_ms:
            self._finished = True
            return EndpointEvent.TIMEOUT
        return None

    def _process_in_speech(self, is_speech: bool) -> EndpointEvent | None:
        if is_speech:
            self._silence_ms = 0
            self._speech_end_ms = self._elapsed_ms
        else:
            self._silence_ms += self.frame_ms
            if self._silence_ms >= self.end_silence_ms:
                return self._end()
        return self._cut_if_too_long()

    def _end(self) -> EndpointEvent:
        self._in_speech = False
        self._finished = True
        return EndpointEvent.END

    def _cut_if_too_long(self) -> EndpointEvent | None:
        limit = self.options.max_utterance_ms
        assert self._speech_start_ms is not None
        if 0 < limit <= self._elapsed_ms - self._speech_start_ms:
            self._in_speech = False
            self._finished = True
            return EndpointEvent.MAX_LENGTH
        return None
