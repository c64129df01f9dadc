"""BackpressureController: bounded slots, bounded retries, capped backoff, seeded jitter."""
from __future__ import annotations

import random

import pytest

from omen.emitter import BackpressureController


def test_slots_are_bounded_and_released() -> None:
    controller = BackpressureController(max_in_flight=2)
    assert controller.try_acquire() and controller.try_acquire()
    assert not controller.try_acquire()
    controller.release()
    assert controller.try_acquire()
    assert controller.in_flight == 2


def test_backoff_doubles_and_is_capped() -> None:
    controller = BackpressureController(max_attempts=5, backoff_base_s=0.1, backoff_max_s=0.3)
    assert [controller.backoff_s(n) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.3, 0.3]


def test_jitter_comes_from_the_given_rng_and_stays_within_half_to_full_step() -> None:
    one = BackpressureController(max_attempts=4, backoff_base_s=0.1, backoff_max_s=1.0, rng=random.Random(7))
    two = BackpressureController(max_attempts=4, backoff_base_s=0.1, backoff_max_s=1.0, rng=random.Random(7))
    drawn = [one.backoff_s(n) for n in (1, 2, 3)]
    assert drawn == [two.backoff_s(n) for n in (1, 2, 3)]
    for n, value in zip((1, 2, 3), drawn):
        step = 0.1 * 2 ** (n - 1)
        assert step / 2 <= value <= step


def test_nonsense_limits_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        BackpressureController(max_in_flight=0)
    with pytest.raises(ValueError, match="backoff_base_s"):
        BackpressureController(backoff_base_s=2.0, backoff_max_s=1.0)
