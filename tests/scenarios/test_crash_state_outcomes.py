"""The exhaustive check's memo of crash-state outcomes (`scenarios.exhaustive.StateOutcomes`) and its
shared reads of recovered ledgers (`RecoveredReads`) find exactly what recovering and reading every
state finds: the same findings at every check (all of them, not only the few a point keeps), the
same trace, the same verdict; fault-free and under planted bugs whose findings the checks report."""
from __future__ import annotations

import functools
import random
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios.drivers.exhaustive_points as points
from scenarios.exhaustive import RecoveredReads, StateOutcomes, _RecoveredRead, _StateOutcome, _StateUnderCheck, crash_check_memos
from scenarios.runner import run
from sim.disk import SimDisk

# planted bugs whose findings the exhaustive checks of `power_loss_metadata` report (see the zoo)
BUGS_WITH_FINDINGS = ("sequence_in_unsynced_sidecar", "replace_without_fsync")


def _run_recording_checks(monkeypatch, scenario: str, seed: int, bug: str | None, *, reuse: bool):
    """The run, every check's (states, findings) in order, and the memo hits (0 when `reuse` is off)."""
    checks: list = []
    memos_made: list = []
    check = points.check_all_crash_states

    def recording_check(*args, **kwargs):
        result = check(*args, **kwargs)
        checks.append(result)
        return result

    def memos(root: str):
        made = crash_check_memos(root, reuse_outcomes=reuse)
        memos_made.append(made)
        return made

    with monkeypatch.context() as patch:
        patch.setattr(points, "check_all_crash_states", recording_check)
        patch.setattr(points, "crash_check_memos", memos)
        result = run(scenario, seed, bug=bug)
    hits = sum(made.outcomes.hits for made in memos_made if made.outcomes is not None)
    read_hits = sum(made.reads.hits for made in memos_made if made.reads is not None)
    return result, checks, (hits, read_hits)


def _assert_same_run(monkeypatch, scenario: str, seed: int, bug: str | None) -> tuple[int, int]:
    """(memo hits, findings) of the run, after holding it to the run that recovers every state."""
    fast, fast_checks, hits = _run_recording_checks(monkeypatch, scenario, seed, bug, reuse=True)
    slow, slow_checks, no_hits = _run_recording_checks(monkeypatch, scenario, seed, bug, reuse=False)
    assert no_hits == (0, 0)
    assert fast_checks == slow_checks
    assert fast.trace_hash == slow.trace_hash
    assert [v.to_json() for v in fast.violations] == [v.to_json() for v in slow.violations]
    return hits, sum(len(findings) for _, findings in fast_checks)


@pytest.mark.parametrize("bug", (None, *BUGS_WITH_FINDINGS))
def test_reused_outcomes_find_what_recovering_every_state_finds(monkeypatch, bug) -> None:
    (hits, read_hits), findings = _assert_same_run(monkeypatch, "power_loss_metadata", 1, bug)
    assert hits > 0, "the run must reuse some outcome, or this proves nothing"
    assert read_hits > 0, "the run must share some recovered ledger's read, or this proves nothing"
    assert findings > 0 if bug is not None else findings == 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.sampled_from(["power_loss_metadata", "power_loss_ext4_ordered"]),
       seed=st.integers(min_value=0, max_value=10_000),
       bug=st.sampled_from([None, *BUGS_WITH_FINDINGS]))
def test_reused_outcomes_hold_on_any_seed(monkeypatch, scenario, seed, bug) -> None:
    _assert_same_run(monkeypatch, scenario, seed, bug)


def test_an_outcome_applies_the_acknowledged_records_of_the_check_that_reuses_it() -> None:
    """Two checks of one state at one instant may know different acknowledged records: the loss
    message is made from the asking check's, the rest is the state's."""
    outcome = _StateOutcome(None, frozenset({"probe-a"}), frozenset({"s1", "probe-a"}), ("p: sequence not increasing",))
    assert outcome.messages({"s1"}) == ["p: sequence not increasing"]
    assert outcome.messages({"s1", "s2", "s3"}) == [
        "2 acknowledged or probe record(s) lost, e.g. ['s2', 's3']", "p: sequence not increasing"]
    failed = _StateOutcome("the writer does not recover partition 2026-01-01: boom", frozenset(), frozenset(), ())
    assert failed.messages({"s1"}) == ["the writer does not recover partition 2026-01-01: boom"]


def test_the_memo_is_bounded_in_bytes_and_forgets_only_speed() -> None:
    memo = StateOutcomes(bytes_max=10)
    outcome = _StateOutcome(None, frozenset(), frozenset(), ())
    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    memo.put(("a", now), outcome, 6)
    assert memo.get(("a", now)) is outcome and memo.hits == 1
    memo.put(("b", now), outcome, 6)  # over the bound: the memo starts over
    assert memo.get(("a", now)) is None and memo.get(("b", now)) is outcome
    memo.put(("huge", now), outcome, 11)  # never held
    assert memo.get(("huge", now)) is None


def test_reuse_is_on_in_the_runs_memos_by_default() -> None:
    assert crash_check_memos("/ledger").outcomes is not None
    assert crash_check_memos("/ledger").reads is not None
    slow = functools.partial(crash_check_memos, reuse_outcomes=False)("/ledger")
    assert slow.outcomes is None and slow.reads is None


def test_a_read_is_shared_by_visible_state_and_root_bounded_in_bytes() -> None:
    reads = RecoveredReads(bytes_max=10)
    found = _RecoveredRead(frozenset({"s1"}), (), frozenset())
    reads.put(("state-a",), "/ledger", found, 6)
    assert reads.get(("state-a",), "/ledger") is found and reads.hits == 1
    assert reads.get(("state-a",), "/other") is None
    reads.put(("state-b",), "/ledger", found, 6)  # over the bound: the memo starts over
    assert reads.get(("state-a",), "/ledger") is None and reads.get(("state-b",), "/ledger") is found
    reads.put(("huge",), "/ledger", found, 11)  # never held
    assert reads.get(("huge",), "/ledger") is None


def test_a_read_past_the_os_api_is_never_shared() -> None:
    """A reader handed a SimDisk name of its own (not the `os`-like API the key covers) is noted by
    the port, and its read is not kept for another state."""
    port = _StateUnderCheck()
    port.disk = SimDisk(random.Random(0))
    port.listdir("/")
    assert not port.other_names
    port.visible_version("/x")
    assert port.other_names
    reads = RecoveredReads()
    reads.put(("state",), "/ledger", _RecoveredRead(frozenset(), (), None), 1)
    assert reads.get(("state",), "/ledger") is None



def _traced_ledger_with_unsynced_temp(record) -> SimDisk:
    """A durable ledger of one record on a disk that traces every op, and a leftover temp file whose
    name is durable and whose bytes are not: crash states that differ only in what the temp holds
    (the states a temp-blind key shares), each recovered to the same ledger (a shared read)."""
    from omen import FixedClock, LedgerWriter, SignalEvent
    from omen.ledger.fs_ops import fsync_dir
    from omen.ledger.layout import TEMP_SUFFIX

    from tests.sim.disk.test_disk_persistence import write_file

    disk = SimDisk(random.Random(0), record, trace_ops=True)
    moment = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    writer = LedgerWriter("/ledger", fs=disk, clock=FixedClock(moment))
    writer.write(SignalEvent.create(event_id="e0", input_event={"n": 0}, ruleset_version="r1", category="test",
                                    observed_at=moment, emitted_at=moment))
    writer.close()
    write_file(disk, f"/ledger/2026-01-01/leftover{TEMP_SUFFIX}", b"t" * 300)
    fsync_dir(disk, "/ledger/2026-01-01")
    return disk


def test_a_disk_that_traces_its_ops_recovers_every_state_itself() -> None:
    """Each op of a traced disk's recovery is a trace event: a shared outcome or read would drop
    them, so a check on such a disk shares nothing, and traces what checking every state traces."""
    from scenarios.exhaustive import check_all_crash_states

    def traced_check(reuse: bool, *, trace_ops: bool = True) -> tuple[list, tuple, object]:
        events: list = []
        disk = _traced_ledger_with_unsynced_temp(lambda node, kind, **fields: events.append((kind, sorted(fields.items()))))
        disk.trace_ops = trace_ops
        memos = crash_check_memos("/ledger", reuse_outcomes=reuse)
        result = check_all_crash_states(disk, "/ledger", set(), now=datetime(2026, 1, 1, 13, tzinfo=timezone.utc),
                                        states_max=64, memos=memos)
        return events, result, memos

    untraced = traced_check(reuse=True, trace_ops=False)[2]
    assert untraced.outcomes.hits > 0 and untraced.reads.hits > 0, "the spec's states are ones the memos share"
    shared_events, shared_result, memos = traced_check(reuse=True)
    alone_events, alone_result, _ = traced_check(reuse=False)
    assert shared_result[0] > 1 and not shared_result[1]
    assert memos.outcomes.hits == 0 and memos.reads.hits == 0
    assert shared_events == alone_events and shared_result == alone_result
    assert any(kind == "disk.op" for kind, _ in shared_events)


def test_the_port_answers_from_the_state_under_check() -> None:
    """The port keeps the API names a read looked up, and drops them when another state is put
    under check: every call reaches the disk under check at that moment."""
    port = _StateUnderCheck()
    first, second = SimDisk(random.Random(0)), SimDisk(random.Random(0))
    first.mkdir("/only-first")
    port.disk = first
    assert port.listdir("/") == ["only-first"]
    port.disk = second
    assert port.listdir("/") == [] and port.open.__self__ is second
    assert not port.other_names


def test_the_checks_at_one_instant_share_their_probes_and_no_other() -> None:
    """A probe is a function of its day and the instant: the checks of a run at one instant hand
    every state the same probes; another instant gets its own, and the kept instants are bounded."""
    import scenarios.exhaustive as exhaustive

    memos = crash_check_memos("/ledger")
    now, later = datetime(2026, 1, 2, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, 2, tzinfo=timezone.utc)
    at_now = memos.probes_at(now)
    at_now["2026-01-01"] = exhaustive._probe("2026-01-01", now)
    assert memos.probes_at(now) is at_now and memos.probes_at(later) == {}
    assert exhaustive._probe("2026-01-01", now) == at_now["2026-01-01"], "the same record, made again"
    for minute in range(exhaustive.PROBE_INSTANTS_MAX + 1):
        memos.probes_at(datetime(2026, 1, 3, 0, minute % 60, minute // 60, tzinfo=timezone.utc))
    assert len(memos.probes) <= exhaustive.PROBE_INSTANTS_MAX
