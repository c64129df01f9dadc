"""crashcheck's speed, as ratios within one run.

- states checked per second against a direct run of the same recovery and check on the real
  OS (each crash state written to a real temp directory): what pyfakefs and the state loop cost;
- recording overhead: the same workload under crashcheck's recorder against plain pyfakefs;
- growth: recording cost per op, and states checked per second, at 1,000 and 10,000 ops
  (100 and 1,000 under --benchmark-disable). "No worse than linear" means the per-op and
  per-state figures stay flat (ratio ~1x) as the history grows.
"""
from __future__ import annotations

import os
import shutil
import struct
import tempfile
import zlib

import pytest
from pyfakefs.fake_filesystem_unittest import Patcher

from benchmarks.conftest import best_of, record, timed
from sim.crashcheck import ack, crashcheck
from sim.crashcheck.run import record as record_workload
from sim.crashcheck.session import ROOT, FakeFsSession
from sim.crashcheck.tree import state_tree

HEADER = struct.Struct("<II")
RECORD = b"r" * 100
RECORDS_PER_SEGMENT = 50
SEGMENTS_KEPT = 2


def frame_crc(payload: bytes) -> int:
    """Over the length too: a zero-filled torn tail must not read as empty frames."""
    return zlib.crc32(payload, zlib.crc32(struct.pack("<I", len(payload))))


def segmented_log(records: int):
    """Appends with an fsync each, in segments of 50 records, keeping the last two: bounded files."""
    def workload(root: str) -> None:
        for index in range(records):
            name = os.path.join(root, f"seg-{index // RECORDS_PER_SEGMENT:06d}")
            with open(name, "ab") as f:
                f.write(HEADER.pack(len(RECORD), frame_crc(RECORD)) + RECORD)
                f.flush()
                os.fsync(f.fileno())
            if index % RECORDS_PER_SEGMENT == 0:
                old = index // RECORDS_PER_SEGMENT - SEGMENTS_KEPT
                if old >= 0:
                    os.unlink(os.path.join(root, f"seg-{old:06d}"))
                fd = os.open(root, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
            ack("record", str(index))
    return workload


def recover(root: str) -> None:
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + HEADER.size <= len(data):
            length, crc = HEADER.unpack_from(data, pos)
            payload = data[pos + HEADER.size:pos + HEADER.size + length]
            if len(payload) != length or frame_crc(payload) != crc:
                break
            pos += HEADER.size + length
        if pos < len(data):
            os.truncate(path, pos)


def check(root: str, acked: list[tuple[str, str]]) -> None:
    for name in os.listdir(root):
        with open(os.path.join(root, name), "rb") as f:
            assert len(f.read()) % (HEADER.size + len(RECORD)) == 0, f"{name} holds a torn frame after recovery"


def _history_sizes(full: bool) -> tuple[int, int]:
    return (1_000, 10_000) if full else (100, 400)


def test_states_per_second_against_the_same_recovery_on_the_real_os(benchmark, full):
    records = 200 if full else 20
    trees: list[tuple] = []

    def observe(point, acked, state, message):
        trees.append((state_tree(state), list(acked)))

    seconds, result = timed(benchmark, lambda: crashcheck(segmented_log(records), recover, check), rounds=3)
    crashcheck(segmented_log(records), recover, check, observer=observe)
    assert result.ok and result.states == len(trees)

    def direct() -> None:
        base = tempfile.mkdtemp(prefix="crashcheck-bench-")
        try:
            for number, (tree, acked) in enumerate(trees):
                root = os.path.join(base, str(number))
                os.makedirs(root)
                for path, _, data in tree.files:
                    if path.startswith(ROOT + "/"):
                        with open(os.path.join(root, path[len(ROOT) + 1:]), "wb") as f:
                            f.write(data)
                recover(root)
                check(root, acked)
        finally:
            shutil.rmtree(base)

    direct_s = best_of(direct, 3)
    benchmark.extra_info["states"] = result.states
    record(benchmark, "crashcheck states/s", result.states / seconds, unit="states/s")
    record(benchmark, "crashcheck time per state / direct recovery on the real OS", seconds / direct_s,
           target="(pyfakefs + the state loop: measured, not gated)")


@pytest.mark.parametrize("size", ["small", "large"])
def test_recording_overhead_against_plain_pyfakefs(benchmark, full, size):
    sizes = _history_sizes(full)
    records = sizes[0 if size == "small" else 1] // 2  # an append and an fsync per record
    workload = segmented_log(records)

    def recorded() -> int:
        with FakeFsSession() as session:
            return len(record_workload(session, workload).ops)

    def plain() -> None:
        with Patcher(allow_root_user=False) as patcher:
            patcher.fs.create_dir(ROOT)
            workload(ROOT)

    seconds, ops = timed(benchmark, recorded, rounds=3)
    plain_s = best_of(plain, 3)
    benchmark.extra_info["ops"] = ops
    benchmark.extra_info["recording_us_per_op"] = round(seconds / ops * 1e6, 2)
    record(benchmark, f"recording / plain pyfakefs at {ops} ops", seconds / plain_s, target="small constant")


def test_recording_and_checking_grow_no_worse_than_linearly(benchmark, full):
    small, large = _history_sizes(full)

    def per_op(ops_wanted: int) -> float:
        workload = segmented_log(ops_wanted // 2)

        def run() -> int:
            with FakeFsSession() as session:
                return len(record_workload(session, workload).ops)

        return best_of(run, 2) / (ops_wanted)

    def per_state(ops_wanted: int) -> tuple[float, int]:
        holder: dict[str, int] = {}

        def run() -> None:
            holder["states"] = crashcheck(segmented_log(ops_wanted // 2), recover, check,
                                          exhaustive=False, samples=1, seed=0).states

        return best_of(run, 1) / max(1, holder.get("states", 1) or 1), holder["states"]

    seconds, _ = timed(benchmark, lambda: per_op(small), rounds=1)
    record_small = per_op(small)
    record_large = per_op(large)
    state_small, states_small = per_state(small)
    state_large, states_large = per_state(large)
    benchmark.extra_info.update(states_small=states_small, states_large=states_large)
    record(benchmark, f"recording cost per op at {large} / at {small} ops", record_large / record_small,
           target="~1x (linear)", met=record_large / record_small < 2.0)
    record(benchmark, f"time per checked state at {large} / at {small} ops", state_large / state_small,
           target="~1x (linear)", met=state_large / state_small < 2.0)


def one_growing_file(appends: int):
    def workload(root: str) -> None:
        with open(os.path.join(root, "log"), "ab") as f:
            for _ in range(appends):
                f.write(RECORD)
                f.flush()
                os.fsync(f.fileno())
    return workload


def test_appends_to_one_file_pay_pyfakefs_flush_cost_not_the_recorders(benchmark, full):
    """pyfakefs rewrites a file's whole content on every flush: appends to one file are O(size)
    each there. The figure that matters for crashcheck is recorded / plain at the same size."""
    small, large = _history_sizes(full)

    def recorded(appends: int) -> float:
        def run() -> None:
            with FakeFsSession() as session:
                record_workload(session, one_growing_file(appends))
        return best_of(run, 1)

    def plain(appends: int) -> float:
        def run() -> None:
            with Patcher(allow_root_user=False) as patcher:
                patcher.fs.create_dir(ROOT)
                one_growing_file(appends)(ROOT)
        return best_of(run, 1)

    seconds, _ = timed(benchmark, lambda: recorded(small // 2), rounds=1)
    recorded_small, recorded_large = recorded(small // 2), recorded(large // 2)
    plain_small, plain_large = plain(small // 2), plain(large // 2)
    record(benchmark, f"one file: recording / plain pyfakefs at {large} ops", recorded_large / plain_large,
           target="small constant")
    record(benchmark, f"one file: plain pyfakefs cost per op at {large} / at {small} ops",
           (plain_large / large) / (plain_small / small), target="(pyfakefs: O(file size) per flush)")
    record(benchmark, f"one file: recording cost per op at {large} / at {small} ops",
           (recorded_large / large) / (recorded_small / small), target="as plain pyfakefs")
