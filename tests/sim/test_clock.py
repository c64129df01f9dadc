"""Per-node wall clocks: derived from virtual time, skewable, steppable, always tz-aware UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sim.clock import NodeClock

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class FakeTime:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def test_a_perfect_clock_reads_epoch_plus_virtual_time_in_utc() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH)
    virtual.now_s = 90.0
    assert clock.now() == EPOCH + timedelta(seconds=90)
    assert clock.now().tzinfo is timezone.utc


def test_an_offset_and_a_rate_apply_from_creation() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH, offset_s=-5.0, rate=2.0)
    virtual.now_s = 10.0
    assert clock.now() == EPOCH + timedelta(seconds=-5 + 2 * 10)
    assert clock.offset_s == pytest.approx(5.0)
    assert clock.rate == 2.0


def test_a_clock_created_later_starts_on_true_time() -> None:
    virtual = FakeTime()
    virtual.now_s = 100.0
    clock = NodeClock(virtual, EPOCH, rate=3.0)
    assert clock.now() == EPOCH + timedelta(seconds=100)
    virtual.now_s = 101.0
    assert clock.now() == EPOCH + timedelta(seconds=103)


def test_skew_changes_the_rate_without_a_step() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH)
    virtual.now_s = 50.0
    before = clock.now()
    clock.skew(0.5)
    assert clock.now() == before
    virtual.now_s = 60.0
    assert clock.now() == before + timedelta(seconds=5)


def test_jump_steps_forwards_and_backwards() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH)
    virtual.now_s = 10.0
    clock.jump(-30.0)
    assert clock.now() == EPOCH - timedelta(seconds=20)
    assert clock.offset_s == -30.0
    clock.jump(3600.0)
    assert clock.now() == EPOCH + timedelta(seconds=3580)


def test_a_jump_across_midnight_changes_the_utc_date() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, datetime(2026, 1, 1, 23, 59, 50, tzinfo=timezone.utc))
    assert clock.now().date().isoformat() == "2026-01-01"
    clock.jump(15)
    assert clock.now().date().isoformat() == "2026-01-02"


def test_a_frozen_clock_does_not_advance() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH, rate=0.0)
    virtual.now_s = 1000.0
    assert clock.now() == EPOCH


def test_reset_returns_to_true_time() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH, offset_s=99, rate=7)
    virtual.now_s = 3.0
    clock.reset()
    virtual.now_s = 4.0
    assert clock.now() == EPOCH + timedelta(seconds=4)


def test_an_epoch_in_another_zone_is_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    clock = NodeClock(FakeTime(), datetime(2026, 1, 1, 2, 0, tzinfo=plus_two))
    assert clock.now() == EPOCH
    assert clock.now().tzinfo is timezone.utc


def test_bad_input_is_refused_with_typed_errors() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        NodeClock(FakeTime(), datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        NodeClock(FakeTime(), EPOCH, rate=-1.0)
    with pytest.raises(TypeError):
        NodeClock(FakeTime(), EPOCH).skew(float("nan"))
    with pytest.raises(TypeError):
        NodeClock(FakeTime(), EPOCH).jump("5")  # type: ignore[arg-type]


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=-86_400.0 * 365 * 50, max_value=86_400.0 * 365 * 50, allow_nan=False)
       | st.integers(-10**9, 10**9).map(lambda us: us / 1e6)            # exact microsecond ties
       | st.integers(-10**12, 10**12).map(lambda n: n / 2e6))          # half-microsecond ties
def test_the_positional_timedelta_now_builds_is_the_seconds_keyword_one(seconds: float) -> None:
    """`now()` builds `timedelta(0, s)`, not `timedelta(seconds=s)` (no keyword to parse): the days
    argument adds an exact 0 before the same float rounding, so the two agree to the microsecond,
    half-microsecond ties (rounded half to even) included."""
    assert timedelta(0, seconds) == timedelta(seconds=seconds)
    assert EPOCH + timedelta(0, seconds) == EPOCH + timedelta(seconds=seconds)


def test_now_reads_the_keyword_timedelta_of_its_wall_seconds() -> None:
    virtual = FakeTime()
    clock = NodeClock(virtual, EPOCH, offset_s=0.1234565, rate=1.0000003)
    for now_s in (0.0, 0.0000005, 1.5, 12345.6789015, 86_399.9999995):
        virtual.now_s = now_s
        assert clock.now() == EPOCH + timedelta(seconds=clock.wall_s())


def test_a_clock_reading_its_time_source_reads_what_its_time_function_would() -> None:
    """A node clock given the loop as `time_source` reads the loop's `_now_s` where it called
    `time_fn()`: through skews, jumps and resets, every reading equals a clock on the function alone,
    and a trace stamped from the source equals one stamped by the function."""
    from functools import partial

    from sim.loop import SimLoop
    from sim.trace import Trace

    loop = SimLoop(start_time_s=3.5)
    try:
        read = partial(getattr, loop, "_now_s")
        by_source = NodeClock(read, EPOCH, offset_s=0.25, rate=1.5, time_source=loop)
        by_function = NodeClock(read, EPOCH, offset_s=0.25, rate=1.5)
        traces = Trace(read, time_source=loop), Trace(read)
        for step in range(40):
            loop._now_s += 0.125 * (step % 7)
            for clock in (by_source, by_function):
                if step % 5 == 1:
                    clock.skew(0.5 + step / 40)
                elif step % 5 == 3:
                    clock.jump(-0.75 if step % 2 else 2.0)
                elif step == 20:
                    clock.reset()
            assert by_source.now() == by_function.now() and by_source.wall_s() == by_function.wall_s()
            assert by_source.offset_s == by_function.offset_s
            for trace in traces:
                trace.record("n", "tick", step=step)
        assert traces[0].events == traces[1].events
    finally:
        loop.close()
