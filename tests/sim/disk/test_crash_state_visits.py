"""`SimDisk.crash_state_visits` is `clone()` then `apply_crash_state` for every state, with each
clone made only when asked: whichever visits ask for their clone, the trace is the one cloning
every state records (each state's `disk.crash` event, with the same fields, before whatever its
clone then does), the clones asked for are those clones, and the original is untouched."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import fsync_dir
from sim.disk import SimDisk

from tests.sim.disk.test_disk_persistence import write_file


def _disk_with_pending_history(seed: int) -> tuple[SimDisk, int]:
    """A durable file, then a new file, a rename and a lost file left unsynced: states that lose files
    (so `lost_files` is not empty), traced op by op (so a clone's ops show in the trace); and the
    change mark before the unsynced part (the changes a clone must not reset in the original)."""
    disk = SimDisk(random.Random(seed), trace_ops=True)
    disk.mkdir("/d")
    write_file(disk, "/d/kept", b"durable", sync=True)
    fsync_dir(disk, "/d")
    fsync_dir(disk, "/")
    mark = disk.change_mark
    write_file(disk, "/d/new", b"y" * 700)
    disk.rename("/d/kept", "/d/moved")
    write_file(disk, "/gone", b"g")
    return disk, mark


def _use(clone: SimDisk) -> tuple:
    """Ops on a clone (traced), and what the clone holds."""
    write_file(clone, "/d/after", b"z", sync=True)
    return clone.visible_files(), clone.durable_files(), clone.rng.random(), clone.fault_hook, clone.change_mark


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=1000), asked=st.lists(st.booleans(), min_size=100, max_size=100))
def test_visits_record_the_trace_of_cloning_every_state_whichever_clones_are_asked(seed, asked) -> None:
    disk, mark = _disk_with_pending_history(seed)
    disk.fault_hook = object()  # any hook: a clone must not keep it
    states = disk.crash_states(limit=1000)
    assert 4 < len(states) <= len(asked)

    def original() -> tuple:
        return (disk.visible_files(), disk.durable_files(), disk.op_count, disk.rng.getstate(),
                disk.change_mark, disk.changes_since(mark))

    before = original()
    assert before[5], "the feed holds the pending history's changes"

    eager_events: list = []
    disk.record = lambda node, kind, **fields: eager_events.append((node, kind, fields))
    eager = []
    for state, ask in zip(states, asked):  # the two-step form clone_in_state is held to
        clone = disk.clone()
        clone.fault_hook = None
        clone.apply_crash_state(state)
        eager.append(_use(clone) if ask else None)

    lazy_events: list = []
    disk.record = lambda node, kind, **fields: lazy_events.append((node, kind, fields))
    lazy = []
    for visit, ask in zip(disk.crash_state_visits(states), asked):
        lazy.append(_use(visit.clone()) if ask else None)
    disk.record = None
    assert [visit.state for visit in disk.crash_state_visits(states)] == states

    assert lazy_events == eager_events
    assert sum(kind == "disk.crash" for _, kind, _ in lazy_events) == len(states)
    assert any(fields.get("lost_files") for _, _, fields in lazy_events)  # the listing before is used
    assert lazy == eager
    assert all(used is None or used[3] is None for used in lazy)
    assert original() == before


def test_a_visit_clones_once_and_only_before_the_next_visit() -> None:
    disk, _ = _disk_with_pending_history(1)
    visits = disk.crash_state_visits(disk.crash_states(limit=1000))
    first = next(visits)
    first.clone()
    with pytest.raises(AssertionError, match="made once"):
        first.clone()
    next(visits)
    with pytest.raises(AssertionError, match="before the next visit"):
        first.clone()


def test_visits_refuse_a_disk_that_changed_between_two_visits() -> None:
    disk, _ = _disk_with_pending_history(2)
    visits = disk.crash_state_visits(disk.crash_states(limit=1000))
    visit = next(visits)
    write_file(disk, "/other", b"y")  # a new entry: the listing taken before the first event is stale
    with pytest.raises(AssertionError, match="changed since its event"):
        visit.clone()
    with pytest.raises(AssertionError, match="changed between two of its visits"):
        next(visits)


def test_a_visit_refuses_to_clone_a_disk_that_ran_an_op_since_its_event() -> None:
    """A read changes no entry, but the clone would copy a later op count than its event says."""
    disk, _ = _disk_with_pending_history(3)
    visit = next(disk.crash_state_visits(disk.crash_states(limit=1000)))
    disk.listdir("/d")
    with pytest.raises(AssertionError, match="changed since its event"):
        visit.clone()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=1000), draws_between=st.integers(min_value=0, max_value=3),
       later=st.integers(min_value=0, max_value=2))
def test_a_twin_draws_from_where_the_stream_was_as_its_visits_began_whenever_it_draws(
        seed, draws_between, later) -> None:
    """The stream's state is taken only when needed (a twin's first draw, or the disk's stream about to
    move): a twin drawing after its parent drew, crashed or began other visits draws what a twin made
    with the state taken at once draws."""
    disk, _ = _disk_with_pending_history(seed)
    states = disk.crash_states(limit=1000)
    at_start = disk.rng.getstate()
    twins = [visit.clone() for visit in disk.crash_state_visits(states[:2])]
    for _ in range(draws_between):
        disk.rng.random()  # the parent's stream moves: the twins keep where it was
    if later:
        twins.extend(visit.clone() for visit in disk.crash_state_visits(states[2:2 + later]))
        at_later = disk.rng.getstate()
    expected = random.Random(0)
    expected.setstate(at_start)
    first = expected.random()
    assert [twin.rng.random() for twin in twins[:2]] == [first, first]
    if later:
        expected.setstate(at_later)
        assert [twin.rng.random() for twin in twins[2:]] == [expected.random()] * len(twins[2:])
    # the parent draws from its own stream as a disk that never visited a state does
    alone, _ = _disk_with_pending_history(seed)
    for _ in range(draws_between):
        alone.rng.random()
    assert disk.crash().state == alone.crash().state and disk.rng.getstate() == alone.rng.getstate()
