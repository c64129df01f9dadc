"""A Hypothesis strategy over crash points and crash states, so a failing state shrinks.

    picks = crash_states(workload)              # records the workload once

    @given(pick=picks)
    def test_recovery(pick):
        assert_recovers(pick, recover, check)   # AssertionError with the state's report

Shrinking goes toward the earliest crash point and, within it, toward the first state of the
exhaustive enumeration, which is the one that keeps nothing pending: the simplest story.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from sim.crashcheck.errors import CrashcheckUsageError
from sim.crashcheck.replay import Replay
from sim.crashcheck.run import STATES_MAX_DEFAULT, Check, Recover, Violation, Workload, check_tree, describe_point, record
from sim.crashcheck.session import FakeFsSession
from sim.crashcheck.tree import state_tree
from sim.disk import PROFILES, CrashState


@dataclass(frozen=True)
class CrashPick:
    """One crash state at one crash point, with the acknowledgements made before it."""

    crash_point: int
    op: str
    acked: tuple[tuple[str, str], ...]
    state: CrashState = field(repr=False)

    def __repr__(self) -> str:
        return (f"CrashPick(crash before op #{self.crash_point} {self.op!r}, {len(self.acked)} acked, "
                f"kept {list(self.state.kept_entry_ops)}, data {list(self.state.data_ops)})")


def crash_states(workload: Workload, *, profile: str = "posix",
                 states_max: int = STATES_MAX_DEFAULT) -> st.SearchStrategy[CrashPick]:
    """Every (crash point, crash state) of `workload`'s history, as a shrinking strategy."""
    if profile not in PROFILES:
        raise CrashcheckUsageError(f"unknown profile {profile!r}; use one of {list(PROFILES)}")
    with FakeFsSession() as session:
        recording = record(session, workload)
    replay = Replay(recording.initial, recording.initial_ids, profile)
    acks = recording.acks()
    picks_by_point: list[list[CrashPick]] = []
    cursor = acked_count = total = 0
    for point in recording.crash_points():
        for op in recording.ops[cursor:point]:
            replay.apply(op)
            acked_count += op.kind == "ack"
        cursor = point
        states = replay.disk.crash_states(limit=max(1, states_max - total))
        total += len(states)
        acked = tuple(acks[:acked_count])
        op = describe_point(recording, point)
        picks_by_point.append([CrashPick(point, op, acked, state) for state in states])
    return st.integers(0, len(picks_by_point) - 1).flatmap(
        lambda index: st.sampled_from(picks_by_point[index]))


def recovery_message(pick: CrashPick, recover: Recover, check: Check) -> str | None:
    """Install `pick`'s state, recover and check it: None when it passes, else the message."""
    with FakeFsSession() as session:
        return check_tree(session, state_tree(pick.state), list(pick.acked), recover, check)


def assert_recovers(pick: CrashPick, recover: Recover, check: Check) -> None:
    message = recovery_message(pick, recover, check)
    if message is not None:
        violation = Violation(pick.crash_point, pick.op, message, pick.acked, pick.state)
        raise AssertionError(violation.report())
