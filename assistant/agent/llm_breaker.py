"""Keeping a failing LLM endpoint from slowing every turn: a circuit breaker and
retry delays (exponential backoff with jitter, honouring Retry-After).

Both are pure: time and randomness come in as arguments, so they are tested
without a server or a sleep."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"  # requests flow
    OPEN = "open"  # requests fail at once until the cooldown is over
    HALF_OPEN = "half_open"  # one trial request is in flight


class CircuitBreaker:
    """closed → open after `failure_threshold` consecutive failures; open → half-open
    once `cooldown_s` has passed (one trial request); its success closes the circuit,
    its failure opens it for another cooldown."""

    def __init__(self, failure_threshold: int = 3, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1 or cooldown_s < 0:
            raise ValueError("failure_threshold must be ≥ 1 and cooldown_s ≥ 0")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        if (self._state is BreakerState.OPEN
                and self._clock() - self._opened_at >= self.cooldown_s):
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_in_s(self) -> float:
        """Seconds until a trial request is allowed (0 when requests may go now)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.cooldown_s - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """Whether a request may go out now. In half-open only the first caller gets
        through; the others fail fast until that trial has a result."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._state is BreakerState.OPEN:
            self._state = BreakerState.HALF_OPEN  # this caller is the trial
            return True
        return False

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0

    def release(self) -> None:
        """The request ended without a verdict (cancelled, e.g. by barge-in): a trial
        in half-open must not hold the circuit shut, so the next caller tries again."""
        if self._state is BreakerState.HALF_OPEN:
            self._state = BreakerState.OPEN  # cooldown already over: next allow() is a trial

    def record_failure(self) -> None:
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()


def backoff_s(attempt: int, base_s: float, max_s: float,
              rand: Callable[[], float] = random.random) -> float:
    """Delay before retry number `attempt` (0-based): base·2^attempt capped at max_s,
    with "equal jitter" (half fixed, half random) so clients that failed together do
    not come back together, yet never retry immediately."""
    ceiling = min(max_s, base_s * (2 ** attempt))
    return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
