"""Fault hooks: each fault does what its kind promises, and is recorded in the trace."""
from __future__ import annotations

import errno
import os
import random

import pytest

from sim.crash import SimulatedCrash
from sim.disk import DISK_OPS, DiskFault, DiskUsageError, SimDisk

W = os.O_WRONLY | os.O_CREAT


class OnNth:
    """Fire `fault` at the n-th call of `op` (1-based); record every call."""

    def __init__(self, op: str, n: int, fault: DiskFault) -> None:
        self.op, self.n, self.fault = op, n, fault
        self.calls: list[tuple[str, str, int]] = []
        self.seen = 0

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        self.calls.append((op, path, nbytes))
        if op == self.op:
            self.seen += 1
            if self.seen == self.n:
                return self.fault
        return None


def synced_file(disk: SimDisk, path: str, data: bytes) -> int:
    fd = disk.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    disk.write(fd, data)
    disk.fsync(fd)
    dir_fd = disk.open("/", os.O_RDONLY)
    disk.fsync(dir_fd)
    disk.close(dir_fd)
    return fd


def test_the_hook_is_asked_at_the_start_of_every_op_with_its_name_path_and_size(disk):
    hook = OnNth("none", 1, DiskFault("crash"))
    disk.fault_hook = hook
    fd = disk.open("/f", W)
    disk.write(fd, b"abc")
    disk.fsync(fd)
    disk.close(fd)
    disk.rename("/f", "/g")
    disk.listdir("/")
    assert hook.calls == [("open", "/f", 0), ("write", "/f", 3), ("fsync", "/f", 0), ("close", "/f", 0),
                          ("rename", "/f", 0), ("listdir", "/", 0)]
    assert {op for op, _, _ in hook.calls} <= set(DISK_OPS)


def test_a_short_write_writes_and_returns_only_the_kept_bytes(disk, trace):
    disk.fault_hook = OnNth("write", 1, DiskFault("short_write", keep=2))
    fd = disk.open("/f", W)
    assert disk.write(fd, b"abcdef") == 2
    assert disk.write(fd, b"cdef") == 4
    assert disk.visible_files() == {"/f": b"abcdef"}
    [event] = trace.of_kind("disk.fault")
    assert (event["fault"], event["kept"]) == ("short_write", 2)


def test_a_lost_write_returns_the_full_count_and_stores_nothing_so_the_next_write_takes_its_place(disk, trace):
    disk.fault_hook = OnNth("write", 2, DiskFault("lost_write"))
    fd = disk.open("/f", W)
    assert disk.write(fd, b"one|") == 4
    assert disk.write(fd, b"two|") == 4  # acknowledged in full ...
    assert disk.lseek(fd, 0, os.SEEK_CUR) == 4  # ... yet the offset did not move
    assert disk.write(fd, b"three|") == 6
    disk.fsync(fd)
    assert disk.visible_files() == {"/f": b"one|three|"}
    assert disk.fstat(fd).st_size == 10
    [event] = trace.of_kind("disk.fault")
    assert (event["fault"], event["offset"], event["nbytes"], event["written"]) == ("lost_write", 4, 4, 0)


def test_a_duplicate_write_stores_the_bytes_twice_back_to_back_and_returns_one_count(disk, trace):
    disk.fault_hook = OnNth("write", 2, DiskFault("duplicate_write"))
    fd = disk.open("/f", W)
    assert disk.write(fd, b"one|") == 4
    assert disk.write(fd, b"two|") == 4
    assert disk.lseek(fd, 0, os.SEEK_CUR) == 12  # the offset ends after the second copy
    assert disk.write(fd, b"three|") == 6
    disk.fsync(fd)
    dir_fd = disk.open("/", os.O_RDONLY)
    disk.fsync(dir_fd)
    assert disk.durable_files() == {"/f": b"one|two|two|three|"}
    [event] = trace.of_kind("disk.fault")
    assert (event["fault"], event["offset"], event["nbytes"], event["written"]) == ("duplicate_write", 4, 4, 8)


def test_a_duplicate_write_meets_the_capacity_like_any_write():
    disk = SimDisk(random.Random(1), capacity_bytes=10)
    disk.fault_hook = OnNth("write", 1, DiskFault("duplicate_write"))
    fd = disk.open("/f", W)
    assert disk.write(fd, b"abcdef") == 6  # the first copy fits whole, the second only in part
    assert disk.visible_files() == {"/f": b"abcdefabcd"}


@pytest.mark.parametrize("kind, expected", [("enospc", errno.ENOSPC), ("write_eio", errno.EIO)])
def test_write_faults_raise_their_errno_and_write_nothing(disk, trace, kind, expected):
    disk.fault_hook = OnNth("write", 1, DiskFault(kind))
    fd = disk.open("/f", W)
    with pytest.raises(OSError) as info:
        disk.write(fd, b"abc")
    assert info.value.errno == expected
    assert disk.visible_files() == {"/f": b""}
    assert trace.of_kind("disk.fault")[0]["fault"] == kind


def test_enospc_on_open_refuses_to_create_the_file(disk):
    disk.fault_hook = OnNth("open", 1, DiskFault("enospc"))
    with pytest.raises(OSError) as info:
        disk.open("/f", W)
    assert info.value.errno == errno.ENOSPC
    assert not disk.path.exists("/f")


def test_a_read_eio_raises_and_leaves_the_offset_alone(disk):
    fd = synced_file(disk, "/f", b"hello")
    disk.lseek(fd, 0, os.SEEK_SET)
    disk.fault_hook = OnNth("read", 1, DiskFault("read_eio"))
    with pytest.raises(OSError) as info:
        disk.read(fd, 5)
    assert info.value.errno == errno.EIO
    assert disk.read(fd, 5) == b"hello"


def test_capacity_allows_a_partial_write_then_enospc_as_linux_does():
    trace_events = []
    disk = SimDisk(random.Random(0), lambda node, kind, **f: trace_events.append(kind), capacity_bytes=10)
    fd = disk.open("/f", W)
    assert disk.write(fd, b"12345678") == 8
    assert disk.write(fd, b"abcd") == 2
    with pytest.raises(OSError) as info:
        disk.write(fd, b"x")
    assert info.value.errno == errno.ENOSPC
    assert disk.used_bytes == 10
    disk.lseek(fd, 0, os.SEEK_SET)
    assert disk.write(fd, b"over") == 4, "overwriting needs no new space"
    assert trace_events.count("disk.capacity") == 2


def test_unlinking_a_file_frees_its_capacity():
    disk = SimDisk(random.Random(0), capacity_bytes=4)
    fd = disk.open("/f", W)
    disk.write(fd, b"1234")
    disk.close(fd)
    disk.unlink("/f")
    fd = disk.open("/g", W)
    assert disk.write(fd, b"5678") == 4


def test_fsync_eio_is_reported_once_and_the_data_never_becomes_durable(disk, trace):
    fd = synced_file(disk, "/f", b"A" * 10)
    disk.write(fd, b"B" * 10)
    disk.fault_hook = OnNth("fsync", 1, DiskFault("fsync_eio"))
    with pytest.raises(OSError) as info:
        disk.fsync(fd)
    assert info.value.errno == errno.EIO
    disk.fsync(fd)  # succeeds: the pages were dropped from the durable path
    assert disk.visible_files() == {"/f": b"A" * 10 + b"B" * 10}
    assert disk.durable_files() == {"/f": b"A" * 10}
    assert trace.of_kind("disk.fault")[0]["dropped_ops"] == 1


def test_after_fsync_eio_a_later_durable_write_leaves_the_dropped_region_as_zeros_marked_torn(disk):
    fd = synced_file(disk, "/f", b"A" * 10)
    disk.write(fd, b"B" * 10)
    disk.fault_hook = OnNth("fsync", 1, DiskFault("fsync_eio"))
    with pytest.raises(OSError):
        disk.fsync(fd)
    disk.write(fd, b"C" * 10)
    disk.fsync(fd)
    report = disk.crash()
    assert disk.visible_files() == {"/f": b"A" * 10 + b"\0" * 10 + b"C" * 10}
    assert [(t.start, t.end, t.fill) for t in report.torn] == [(10, 20, "fsync_eio_zeros")]


def test_a_lying_fsync_returns_success_and_persists_nothing(disk, trace):
    fd = synced_file(disk, "/f", b"A")
    disk.write(fd, b"B")
    disk.fault_hook = OnNth("fsync", 1, DiskFault("fsync_lie"))
    assert disk.fsync(fd) is None
    assert disk.durable_files() == {"/f": b"A"}
    assert trace.of_kind("disk.fault")[0]["fault"] == "fsync_lie"
    lost = False
    for seed in range(50):
        copy = disk.clone()
        copy.rng = random.Random(seed)
        copy.crash()
        lost |= copy.visible_files()["/f"] == b"A"
    assert lost, "a crash may drop what the lying fsync claimed to persist"


def test_a_planned_crash_is_raised_from_inside_the_chosen_op(disk, trace):
    disk.fault_hook = OnNth("rename", 1, DiskFault("crash"))
    synced_file(disk, "/a", b"x")
    with pytest.raises(SimulatedCrash) as info:
        disk.rename("/a", "/b")
    assert info.value.node == "omen"
    assert disk.path.exists("/a") and not disk.path.exists("/b"), "the op did not happen"
    assert trace.of_kind("disk.fault")[-1]["fault"] == "crash"


def test_a_crash_inside_a_write_applies_a_strict_prefix_of_it_first():
    prefixes = set()
    for seed in range(30):
        disk = SimDisk(random.Random(seed))
        disk.fault_hook = OnNth("write", 1, DiskFault("crash"))
        fd = disk.open("/f", W)
        with pytest.raises(SimulatedCrash):
            disk.write(fd, b"0123456789")
        data = disk.visible_files()["/f"]
        assert b"0123456789".startswith(data) and len(data) < 10
        prefixes.add(len(data))
    assert len(prefixes) > 3


def test_a_simulated_crash_is_not_caught_by_except_exception(disk):
    disk.fault_hook = OnNth("open", 1, DiskFault("crash"))
    with pytest.raises(SimulatedCrash):
        try:
            disk.open("/f", W)
        except Exception:  # system code that swallows errors must not swallow a power cut
            pytest.fail("SimulatedCrash was caught as an Exception")


def test_the_disk_counts_ops_so_a_plan_can_crash_at_op_k(disk):
    class AtK:
        def __init__(self, k: int) -> None:
            self.k = k

        def decide(self, op, path, nbytes):
            return DiskFault("crash") if disk.op_count == self.k else None

    disk.fault_hook = AtK(3)
    fd = disk.open("/f", W)
    disk.write(fd, b"x")
    with pytest.raises(SimulatedCrash, match="#3"):
        disk.fsync(fd)


def test_a_fault_for_an_op_it_cannot_apply_to_is_a_usage_error(disk):
    disk.fault_hook = OnNth("open", 1, DiskFault("fsync_eio"))
    with pytest.raises(DiskUsageError, match="cannot apply"):
        disk.open("/f", W)


def test_bad_faults_are_refused_at_construction():
    with pytest.raises(DiskUsageError, match="unknown"):
        DiskFault("meteor")
    with pytest.raises(DiskUsageError, match="keep"):
        DiskFault("short_write")
    with pytest.raises(DiskUsageError, match="keep"):
        DiskFault("enospc", keep=3)


def test_a_bit_flip_changes_durable_and_cached_data_and_is_traced(disk, trace):
    synced_file(disk, "/f", b"\x00\x00")
    disk.flip_bit("/f", 9)
    assert disk.durable_files() == {"/f": b"\x00\x02"}
    assert disk.visible_files() == {"/f": b"\x00\x02"}
    assert trace.of_kind("disk.fault")[0]["fault"] == "bit_flip"
    disk.crash()
    assert disk.visible_files() == {"/f": b"\x00\x02"}


def test_a_bit_flip_outside_the_durable_data_is_a_usage_error(disk):
    synced_file(disk, "/f", b"\x00")
    with pytest.raises(DiskUsageError, match="outside"):
        disk.flip_bit("/f", 8)
    with pytest.raises(DiskUsageError, match="existing file"):
        disk.flip_bit("/nope", 0)


def test_every_op_is_traced_when_trace_ops_is_on(trace):
    disk = SimDisk(random.Random(0), trace, trace_ops=True)
    fd = disk.open("/f", W)
    disk.close(fd)
    assert [e["op"] for e in trace.of_kind("disk.op")] == ["open", "close"]
