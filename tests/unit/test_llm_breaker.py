"""The LLM circuit breaker and retry delays: pure logic, time passed in."""

from __future__ import annotations

import pytest

from assistant.agent.llm_breaker import BreakerState, CircuitBreaker, backoff_s, parse_retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_n_consecutive_failures_and_fails_fast():
    clock = Clock()
    b = CircuitBreaker(failure_threshold=3, cooldown_s=30, clock=clock)
    for _ in range(2):
        assert b.allow()
        b.record_failure()
    assert b.state is BreakerState.CLOSED
    assert b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    assert not b.allow()
    clock.now += 10
    assert not b.allow()
    assert b.retry_in_s() == pytest.approx(20)


def test_a_success_resets_the_count():
    b = CircuitBreaker(failure_threshold=2, cooldown_s=30, clock=Clock())
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state is BreakerState.CLOSED
    assert b.allow()


def test_half_open_lets_one_trial_through_then_closes_on_success():
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, cooldown_s=5, clock=clock)
    b.record_failure()
    clock.now += 5
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the trial
    assert not b.allow()  # everyone else waits for its verdict
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert b.allow() and b.allow()


def test_failed_trial_reopens_for_a_full_cooldown():
    clock = Clock()
    b = CircuitBreaker(failure_threshold=3, cooldown_s=5, clock=clock)
    for _ in range(3):
        b.record_failure()
    clock.now += 6
    assert b.allow()
    b.record_failure()  # one failure is enough in half-open
    assert b.state is BreakerState.OPEN
    clock.now += 4
    assert not b.allow()
    clock.now += 1
    assert b.allow()


def test_a_cancelled_trial_does_not_keep_the_circuit_shut():
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, cooldown_s=5, clock=clock)
    b.record_failure()
    clock.now += 5
    assert b.allow()
    assert not b.allow()
    b.release()  # the turn was interrupted before the server answered
    assert b.allow()


def test_backoff_doubles_is_capped_and_jittered_within_half_to_full():
    assert backoff_s(0, 0.5, 8, rand=lambda: 0.0) == pytest.approx(0.25)
    assert backoff_s(0, 0.5, 8, rand=lambda: 1.0) == pytest.approx(0.5)
    assert backoff_s(3, 0.5, 8, rand=lambda: 1.0) == pytest.approx(4.0)
    assert backoff_s(10, 0.5, 8, rand=lambda: 1.0) == pytest.approx(8.0)
    assert backoff_s(10, 0.5, 8, rand=lambda: 0.0) == pytest.approx(4.0)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    # Wed, 21 Oct 2015 07:28:00 GMT is 1445412480
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490) == 0.0


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
