"""The state loop: crash points, deduplication, acknowledgements, verdicts, the self-check."""
from __future__ import annotations

import dataclasses
import json
import os
import struct
import time

import pytest

from sim.crashcheck import ack, crashcheck
from sim.crashcheck.errors import CrashcheckUsageError, RecordingMismatchError
from sim.crashcheck.replay import self_check
from sim.crashcheck.run import record
from sim.crashcheck.session import FakeFsSession
from sim.disk import CrashStateLimitError


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settings_workload(*, fsync_temp: bool, fsync_dir: bool, rounds: int = 3):
    def workload(root: str) -> None:
        for value in range(rounds):
            temp = os.path.join(root, "settings.json.tmp")
            with open(temp, "w") as f:
                json.dump({"v": value}, f)
                if fsync_temp:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(temp, os.path.join(root, "settings.json"))
            if fsync_dir:
                _fsync_dir(root)
            ack("settings", str(value))
    return workload


def no_recovery(root: str) -> None:
    return None


def settings_check(root: str, acked: list[tuple[str, str]]) -> None:
    if not acked:
        return
    with open(os.path.join(root, "settings.json")) as f:
        value = json.load(f)["v"]
    assert value >= int(acked[-1][1]), f"settings hold v={value}, but v={acked[-1][1]} was acknowledged"


@pytest.mark.parametrize("profile", ["posix", "ext4-ordered"])
def test_atomic_settings_done_right_pass_every_crash_state(profile):
    result = crashcheck(settings_workload(fsync_temp=True, fsync_dir=True), no_recovery, settings_check,
                        profile=profile)
    assert result.ok, [v.report() for v in result.violations]
    assert result.crash_points == 3 * 2 + 1  # a file fsync and a dir fsync per round, and the end
    assert result.states > result.crash_points


@pytest.mark.parametrize("profile", ["posix", "ext4-ordered"])
def test_a_rename_of_an_unsynced_temp_file_is_caught_with_the_state_that_shows_it(profile):
    result = crashcheck(settings_workload(fsync_temp=False, fsync_dir=True), no_recovery, settings_check,
                        profile=profile)
    assert not result.ok
    first = result.violations[0]
    assert first.op.startswith("fsync_dir") and first.acked == (("settings", "0"),)
    assert ("/crashcheck/root/settings.json", 0, 1) in first.state.data_ops
    report = first.report()
    assert "crash before op #" in report and "JSONDecodeError" in report and "data ops" in report


def test_a_missing_directory_fsync_is_caught_at_the_end_of_the_workload():
    result = crashcheck(settings_workload(fsync_temp=True, fsync_dir=False, rounds=1), no_recovery,
                        settings_check)
    assert result.violations and {v.op for v in result.violations} == {"end of workload"}
    assert "rename settings.json.tmp -> settings.json" in " ".join(result.violations[0].state.dropped_entry_ops)


def test_the_seeded_draw_is_deterministic_and_also_catches_the_bug():
    workload = settings_workload(fsync_temp=False, fsync_dir=True)
    first = crashcheck(workload, no_recovery, settings_check, exhaustive=False, samples=8, seed=5)
    second = crashcheck(workload, no_recovery, settings_check, exhaustive=False, samples=8, seed=5)
    assert first.to_json() == second.to_json()
    assert not first.ok and first.mode == "samples"
    assert first.states_seen == first.crash_points * 8 and first.states < first.states_seen


def test_equal_states_are_checked_once():
    calls = []

    def workload(root):
        path = os.path.join(root, "f")
        with open(path, "wb") as f:
            f.write(b"x")
            f.flush()
            os.fsync(f.fileno())
        for _ in range(5):  # fsyncs that change nothing: their crash points see the same states
            fd = os.open(path, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

    result = crashcheck(workload, lambda root: calls.append(1), lambda root, acked: None)
    assert result.crash_points == 7
    assert result.states == len(calls) < result.states_seen


def test_wall_clock_bytes_in_files_still_deduplicate_and_count_like_constant_bytes():
    def make(stamp):
        def workload(root):
            path = os.path.join(root, "log")
            with open(path, "ab") as f:
                for _ in range(3):
                    f.write(struct.pack("<d", stamp()))
                    f.flush()
                    os.fsync(f.fileno())
                    for _ in range(2):  # redundant fsyncs: same states again
                        os.fsync(f.fileno())
            _fsync_dir(root)
        return workload

    with_clock = crashcheck(make(time.time), no_recovery, lambda root, acked: None)
    constant = crashcheck(make(lambda: 1.5), no_recovery, lambda root, acked: None)
    assert (with_clock.crash_points, with_clock.states, with_clock.states_seen) == (
        constant.crash_points, constant.states, constant.states_seen)
    assert with_clock.states < with_clock.states_seen


def test_check_gets_exactly_the_acknowledgements_made_before_the_crash_point():
    seen: set[tuple] = set()

    def workload(root):
        for key in "abc":
            with open(os.path.join(root, key), "wb") as f:
                f.write(key.encode())
                f.flush()
                os.fsync(f.fileno())
            ack("record", key)
        _fsync_dir(root)

    def check(root, acked):
        seen.add(tuple(k for _, k in acked))

    crashcheck(workload, no_recovery, check)
    assert seen == {(), ("a",), ("a", "b"), ("a", "b", "c")}


def test_a_recovery_that_raises_is_a_violation_naming_the_exception():
    def recover(root):
        raise RuntimeError("cannot start")

    result = crashcheck(settings_workload(fsync_temp=True, fsync_dir=True, rounds=1), recover, settings_check)
    assert result.violations and all("recover raised RuntimeError: cannot start" in v.message
                                     for v in result.violations)


def test_the_states_bound_is_a_typed_error_that_says_what_to_do():
    with pytest.raises(CrashStateLimitError, match="states_max|limit"):
        crashcheck(settings_workload(fsync_temp=True, fsync_dir=True), no_recovery, settings_check, states_max=3)


@pytest.mark.parametrize("kwargs", [{"profile": "zfs"}, {"states_max": 0}, {"exhaustive": False, "samples": 0},
                                    {"seed": "x"}])
def test_bad_options_are_usage_errors(kwargs):
    with pytest.raises(CrashcheckUsageError):
        crashcheck(settings_workload(fsync_temp=True, fsync_dir=True), no_recovery, settings_check, **kwargs)


def test_a_callable_that_is_not_one_is_a_usage_error():
    with pytest.raises(CrashcheckUsageError, match="recover must be callable"):
        crashcheck(settings_workload(fsync_temp=True, fsync_dir=True), "recover", settings_check)


def test_replaying_the_whole_log_rebuilds_the_final_tree_and_a_lost_op_is_detected():
    with FakeFsSession() as session:
        recording = record(session, settings_workload(fsync_temp=True, fsync_dir=True))
    self_check(recording.initial, recording.initial_ids, list(recording.ops), recording.final, "posix")
    writes = [i for i, op in enumerate(recording.ops) if op.kind == "write"]
    damaged = list(recording.ops)
    damaged[writes[-1]] = dataclasses.replace(damaged[writes[-1]], data=b"{}")
    with pytest.raises(RecordingMismatchError, match="settings.json"):
        self_check(recording.initial, recording.initial_ids, damaged, recording.final, "posix")
    without_last_rename = [op for op in recording.ops if op.index != max(
        i for i, op in enumerate(recording.ops) if op.kind == "rename")]
    with pytest.raises(RecordingMismatchError):
        self_check(recording.initial, recording.initial_ids, without_last_rename, recording.final, "posix")
