"""The clock port: where OMEN learns what time it is.

Time reaches the system only through an object with `now() -> datetime` (tz-aware UTC), handed
in by whoever builds the component. The simulation hands in a virtual, possibly skewed clock;
production hands in `SystemClock`. This module is the ONLY place in omen allowed to read the
wall clock, so a static check can keep every other module deterministic.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything with `now()` returning a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock (UTC). Use only in real mode; simulations pass their own clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that reads whatever it was last set to: for tests and direct (non-simulated) use.

    It never moves by itself, so a test decides exactly when a day ends.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        self._now = _require_aware_utc(value)

    def advance(self, **timedelta_kwargs: float) -> datetime:
        """Move forward by `timedelta(**kwargs)`; moving backwards is refused (use `set`)."""
        step = timedelta(**timedelta_kwargs)
        if step < timedelta(0):
            raise ValueError(f"FixedClock.advance refuses a negative step {step}; use set() to jump back")
        self._now = self._now + step
        return self._now


def _require_aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("clock times must be timezone-aware (use timezone.utc)")
    return value.astimezone(timezone.utc)


__all__ = ["Clock", "FixedClock", "SystemClock"]
