"""Utterance segmenter: a pure state machine over per-frame speech flags."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SegmenterOptions:
    """All durations in ms of audio. Speech starts after `start_speech_ms` of voiced
    frames and ends after `end_silence_ms` of silence; `pre_roll_ms` of audio before
    the start is kept; `no_speech_timeout_ms` without speech ends the turn empty.
    A limit <= 0 disables it (max_utterance_ms, no_speech_timeout_ms)."""

    start_speech_ms: int = 160
    end_silence_ms: int = 400
    max_utterance_ms: int = 15000
    no_speech_timeout_ms: int = 8000
    pre_roll_ms: int = 320


class SegmentEvent(StrEnum):
    START = "start"  # speech began (at speech_start_ms)
    END = "end"  # speech ended (at speech_end_ms) after enough silence
    TIMEOUT = "timeout"  # no speech started within no_speech_timeout_ms
    MAX_LENGTH = "max_length"  # utterance cut after max_utterance_ms


class UtteranceSegmenter:
    """Feed one `is_speech` flag per frame; get at most one event per frame.

    One utterance per run: after END, TIMEOUT or MAX_LENGTH the segmenter is
    `finished` and ignores frames until `reset()`.
    """

    def __init__(self, options: SegmenterOptions = SegmenterOptions(), frame_ms: int = 80) -> None:
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

    # -- state, all in ms of audio since the segmenter began (or was reset) --------
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

    def process(self, is_speech: bool) -> SegmentEvent | None:
        """Advance by one frame."""
        if self._finished:
            return None
        frame_start = self._elapsed_ms
        self._elapsed_ms += self.frame_ms
        if self._in_speech:
            return self._process_in_speech(is_speech)
        return self._process_waiting(is_speech, frame_start)

    def _process_waiting(self, is_speech: bool, frame_start: int) -> SegmentEvent | None:
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
                return SegmentEvent.START
            return None
        self._voiced_run_ms = 0  # a blip too short to count as speech
        # A run in progress at the deadline may still become speech: wait for it.
        if 0 < opts.no_speech_timeout_ms <= self._elapsed_ms:
            self._finished = True
            return SegmentEvent.TIMEOUT
        return None

    def _process_in_speech(self, is_speech: bool) -> SegmentEvent | None:
        if is_speech:
            self._silence_ms = 0
            self._speech_end_ms = self._elapsed_ms
        else:
            self._silence_ms += self.frame_ms
            if self._silence_ms >= self.options.end_silence_ms:
                self._in_speech = False
                self._finished = True
                return SegmentEvent.END
        return self._cut_if_too_long()

    def _cut_if_too_long(self) -> SegmentEvent | None:
        limit = self.options.max_utterance_ms
        assert self._speech_start_ms is not None
        if 0 < limit <= self._elapsed_ms - self._speech_start_ms:
            self._in_speech = False
            self._finished = True
            return SegmentEvent.MAX_LENGTH
        return None


class PreRollBuffer(Generic[T]):
    """The last `pre_roll_ms` of frames, so an utterance can include audio from before
    its START. Push every frame; on START, `drain()` the frames to prepend.

    Because START comes `start_speech_ms` after the speech began, size it as
    `pre_roll_ms + start_speech_ms` to keep `pre_roll_ms` before `speech_start_ms`.
    """

    def __init__(self, pre_roll_ms: int, frame_ms: int = 80) -> None:
        self.capacity_frames = max(0, math.ceil(pre_roll_ms / frame_ms))
        self._frames: deque[T] = deque(maxlen=self.capacity_frames or 1)

    def push(self, frame: T) -> None:
        if self.capacity_frames:
            self._frames.append(frame)

    def drain(self) -> list[T]:
        """The buffered frames, oldest first; the buffer is left empty."""
        frames = list(self._frames)
        self._frames.clear()
        return frames

    def clear(self) -> None:
        self._frames.clear()

    def __len__(self) -> int:
        return len(self._frames)
