"""BackpressureController: every limit of the hot-path push in one place.

WHY non-blocking admission: the emitter sits on the signal pipeline's hot path. When
`max_in_flight` pushes are already waiting on RiskCast, queueing more would grow memory without
bound and delay the pipeline; the signal is already durable in the ledger, so the right answer is
DEFERRED now and delivery by reconcile later. Retries are bounded by `max_attempts`, their
backoff by `backoff_max_s`; the breaker stops pushes altogether while RiskCast is failing.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from omen.emitter.breaker import CircuitBreaker, _loop_time_s


class BackpressureController:
    def __init__(
        self,
        *,
        max_in_flight: int = 64,
        max_attempts: int = 3,
        backoff_base_s: float = 0.05,
        backoff_max_s: float = 1.0,
        breaker_failure_threshold: int = 5,
        breaker_reset_s: float = 5.0,
        rng: random.Random | None = None,
        time_s: Callable[[], float] = _loop_time_s,
    ) -> None:
        if max_in_flight < 1 or max_attempts < 1:
            raise ValueError(
                f"max_in_flight ({max_in_flight}) and max_attempts ({max_attempts}) must be >= 1"
            )
        if not 0 <= backoff_base_s <= backoff_max_s:
            raise ValueError(
                f"need 0 <= backoff_base_s ({backoff_base_s}) <= backoff_max_s ({backoff_max_s})"
            )
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._rng = rng
        self.breaker = CircuitBreaker(
            failure_threshold=breaker_failure_threshold, reset_s=breaker_reset_s, time_s=time_s
        )
        self._in_flight = 0
        self.refused_count = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def try_acquire(self) -> bool:
        """Take a push slot if one is free; never waits."""
        assert 0 <= self._in_flight <= self.max_in_flight, self._in_flight
        if self._in_flight >= self.max_in_flight:
            self.refused_count += 1
            return False
        self._in_flight += 1
        return True

    def release(self) -> None:
        assert self._in_flight >= 1, "release() without a matching try_acquire()"
        self._in_flight -= 1

    def backoff_s(self, failed_attempts: int) -> float:
        """Exponential backoff, capped; with an rng, 'equal jitter' in [half, full] of the step."""
        assert 1 <= failed_attempts <= self.max_attempts, failed_attempts
        step_s = min(self.backoff_max_s, self.backoff_base_s * (2 ** (failed_attempts - 1)))
        if self._rng is None:
            return step_s
        return step_s * (0.5 + 0.5 * self._rng.random())
