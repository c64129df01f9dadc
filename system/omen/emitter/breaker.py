"""A circuit breaker on asyncio time: stop hot-path pushes after repeated failures, probe once.

WHY: when RiskCast is down, every push would wait out its timeout; the breaker turns those into an
immediate DEFERRED (the ledger already holds the signal, reconcile delivers it later). After
`reset_s` it lets exactly ONE probe through (half-open); the probe's outcome closes or reopens it.
Time is `asyncio.get_running_loop().time()`, so the simulation's virtual clock drives it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum, StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Admission(Enum):
    REFUSED = 0
    NORMAL = 1
    PROBE = 2


# The members, bound once: an enum class's attribute goes through `EnumType.__getattr__`'s hook (the
# type's lookup called as a Python-level slot, about 850 instructions a read), and a push reads
# three of them. Members are singletons and an enum's members cannot be rebound, so these are the
# very objects `BreakerState.CLOSED` and the rest name.
_CLOSED, _OPEN, _HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN
_REFUSED, _NORMAL, _PROBE = Admission.REFUSED, Admission.NORMAL, Admission.PROBE


def _loop_time_s() -> float:
    return asyncio.get_running_loop().time()


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_s: float = 5.0,
        time_s: Callable[[], float] = _loop_time_s,
    ) -> None:
        assert failure_threshold >= 1, failure_threshold
        assert reset_s > 0, reset_s
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self._time_s = time_s
        self._state = _CLOSED
        self._failures_consecutive = 0
        self._opened_at_s = 0.0
        self._probe_in_flight = False
        self.opened_count = 0

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def failures_consecutive(self) -> int:
        return self._failures_consecutive

    def admit(self) -> Admission:
        """May one push go now? Non-blocking; in half-open, only one probe at a time."""
        if self._state is _CLOSED:
            return _NORMAL
        if self._state is _OPEN:
            if self._time_s() - self._opened_at_s < self.reset_s:
                return _REFUSED
            self._state = _HALF_OPEN
        assert self._state is _HALF_OPEN
        if self._probe_in_flight:
            return _REFUSED
        self._probe_in_flight = True
        return _PROBE

    def record_success(self) -> None:
        """The service answered (200, 409, or a 4xx that no retry will fix): it is up."""
        self._state = _CLOSED
        self._failures_consecutive = 0
        self._probe_in_flight = False

    def record_failure(self) -> None:
        """Timeout, refused connection or 5xx."""
        if self._state is _HALF_OPEN:
            self._open()
            return
        if self._state is _OPEN:
            return  # a push admitted before the breaker opened; it is already open
        self._failures_consecutive += 1
        if self._failures_consecutive >= self.failure_threshold:
            self._open()

    def abandon(self, admission: Admission) -> None:
        """A push ended with no outcome (cancelled, crashed): free the probe slot if it held it."""
        if admission is _PROBE and self._state is _HALF_OPEN:
            self._probe_in_flight = False

    def _open(self) -> None:
        self._state = _OPEN
        self._opened_at_s = self._time_s()
        self._probe_in_flight = False
        self.opened_count += 1
