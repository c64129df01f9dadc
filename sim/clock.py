"""Per-node wall clocks derived from virtual time, with an offset and a rate faults can change.

WHY per node: real machines disagree about the time. The system reads `clock.now()` to
stamp signals and pick the UTC date of a partition, so the simulation gives each node its
own wall clock: it can run fast or slow (skew) or step (an NTP correction, a VM resume),
and every reading still follows from virtual time, hence from the seed.

The reading is piecewise linear in virtual time: reading(t) = anchor_wall_s + rate *
(t - anchor_time_s), re-anchored at every skew or jump, so a skew never makes the clock
step and a jump is the only discontinuity.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

__all__ = ["NodeClock"]

RATE_MAX = 1000.0
_timedelta = timedelta


class CalledTime:
    """A time source whose `_now_s` is `time_fn()`: what a node clock or a trace reads when it is given
    a function for the time rather than the loop itself.

    WHY an attribute: the simulation's clocks and trace read the loop's `_now_s` (what `loop.time()`
    returns) directly, a specialized attribute read, about 100 instructions less than calling
    `partial(getattr, loop, "_now_s")` at each of a signal's ten or so stamps; any other time
    function keeps working through this property.
    """

    __slots__ = ("_time_fn",)

    def __init__(self, time_fn: Callable[[], float]) -> None:
        if not callable(time_fn):
            raise TypeError("time_fn must be a zero-argument callable returning virtual seconds")
        self._time_fn = time_fn

    @property
    def _now_s(self) -> float:
        return self._time_fn()


class NodeClock:
    """A node's wall clock: `now()` is epoch + offset + rate * elapsed virtual time."""

    __slots__ = ("_time", "_epoch", "_anchor_time_s", "_anchor_wall_s", "_rate")

    def __init__(
        self,
        time_fn: Callable[[], float],
        epoch: datetime,
        *,
        offset_s: float = 0.0,
        rate: float = 1.0,
        time_source: Any = None,
    ) -> None:
        """`epoch` is the wall time that virtual time 0 corresponds to on a perfect clock.

        A clock created at virtual time t reads epoch + t + offset_s at creation, then
        advances at `rate` wall seconds per virtual second. `time_source`, when given, is an object
        whose `_now_s` attribute is always what `time_fn()` returns (the simulation's loop): the
        clock reads the attribute (see `CalledTime`).
        """
        if not callable(time_fn):
            raise TypeError("time_fn must be a zero-argument callable returning virtual seconds")
        if not isinstance(epoch, datetime) or epoch.tzinfo is None or epoch.utcoffset() is None:
            raise ValueError(f"epoch must be a tz-aware datetime, got {epoch!r}; e.g. datetime(2026, 1, 1, tzinfo=timezone.utc)")
        _check_offset(offset_s)
        _check_rate(rate)
        self._time = CalledTime(time_fn) if time_source is None else time_source
        self._epoch = epoch.astimezone(timezone.utc)
        self._anchor_time_s = float(time_fn())
        self._anchor_wall_s = self._anchor_time_s + float(offset_s)
        self._rate = float(rate)

    def wall_s(self) -> float:
        """The reading as float seconds since the epoch (what `now()` formats)."""
        return self._anchor_wall_s + self._rate * (self._time._now_s - self._anchor_time_s)

    def now(self) -> datetime:
        """The node's current wall time, tz-aware UTC."""
        # wall_s() inline: every timestamp the system takes reads this
        # timedelta(0, s) is timedelta(seconds=s) to the microsecond (the days argument adds an exact
        # 0 before the same float path; a property test holds the two equal), without parsing a keyword
        return self._epoch + _timedelta(0, self._anchor_wall_s + self._rate * (self._time._now_s - self._anchor_time_s))

    def skew(self, rate: float) -> None:
        """Run at `rate` wall seconds per virtual second from now on (no step at the change)."""
        _check_rate(rate)
        self._rebase()
        self._rate = float(rate)

    def jump(self, delta_s: float) -> None:
        """Step the clock by `delta_s` seconds (negative: backwards), as an NTP step would."""
        _check_offset(delta_s)
        self._rebase()
        self._anchor_wall_s += float(delta_s)

    def reset(self) -> None:
        """Back to a perfect clock: offset 0 and rate 1 from now on."""
        self._anchor_time_s = float(self._time._now_s)
        self._anchor_wall_s = self._anchor_time_s
        self._rate = 1.0

    @property
    def offset_s(self) -> float:
        """How far this clock reads ahead (+) or behind (-) true virtual time, right now."""
        return self.wall_s() - self._time._now_s

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def epoch(self) -> datetime:
        return self._epoch

    def _rebase(self) -> None:
        now_s = float(self._time._now_s)
        self._anchor_wall_s = self._anchor_wall_s + self._rate * (now_s - self._anchor_time_s)
        self._anchor_time_s = now_s

    def __repr__(self) -> str:
        return f"NodeClock(offset_s={self.offset_s:.6f}, rate={self._rate})"


def _check_rate(rate: float) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
        raise TypeError(f"rate must be a finite number, got {rate!r}")
    if not 0.0 <= rate <= RATE_MAX:
        raise ValueError(f"rate must be in [0, {RATE_MAX}] (0 freezes the clock; 1 is true time), got {rate}")


def _check_offset(offset_s: float) -> None:
    if isinstance(offset_s, bool) or not isinstance(offset_s, (int, float)) or not math.isfinite(offset_s):
        raise TypeError(f"an offset must be a finite number of seconds, got {offset_s!r}")
