"""The Hypothesis face of crashcheck: a strategy over crash points and states that shrinks."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, find, given, settings

from sim.crashcheck import ack, assert_recovers, crash_states, crashcheck
from sim.crashcheck.strategies import recovery_message


def _save(root: str, value: int, *, fsync_temp: bool) -> None:
    temp = os.path.join(root, "s.tmp")
    with open(temp, "w") as f:
        json.dump({"v": value}, f)
        if fsync_temp:
            f.flush()
            os.fsync(f.fileno())
    os.replace(temp, os.path.join(root, "s.json"))
    fd = os.open(root, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    ack("v", str(value))


def good(root: str) -> None:
    for value in (1, 2, 3):
        _save(root, value, fsync_temp=True)


def bad(root: str) -> None:
    for value in (1, 2, 3):
        _save(root, value, fsync_temp=False)


def recover(root: str) -> None:
    return None


def check(root: str, acked: list[tuple[str, str]]) -> None:
    if acked:
        with open(os.path.join(root, "s.json")) as f:
            value = json.load(f)["v"]
        assert value >= int(acked[-1][1]), f"v={value} after v={acked[-1][1]} was acknowledged"


GOOD_PICKS = crash_states(good)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=GOOD_PICKS)
def test_correct_code_recovers_from_every_drawn_crash_state(pick):
    assert_recovers(pick, recover, check)


def test_a_failing_state_shrinks_to_the_earliest_crash_point_that_fails():
    earliest = min(v.crash_point for v in crashcheck(bad, recover, check).violations)
    minimal = find(crash_states(bad), lambda pick: recovery_message(pick, recover, check) is not None,
                   settings=settings(max_examples=300, deadline=None, database=None))
    assert minimal.crash_point == earliest
    assert minimal.acked == (("v", "1"),)


def test_a_failing_pick_raises_an_assertion_with_the_state_report():
    minimal = find(crash_states(bad), lambda pick: recovery_message(pick, recover, check) is not None,
                   settings=settings(max_examples=300, deadline=None, database=None))
    with pytest.raises(AssertionError, match="crash before op #"):
        assert_recovers(minimal, recover, check)
