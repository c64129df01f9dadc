"""Disk faults end to end: plan -> injector -> DiskFaultInjector -> SimDisk."""
from __future__ import annotations

import os
import random

import pytest

from faults import DiskFaultInjector, FaultInjector, FaultPlan, FaultSpec, disk_faults, kinds_of_layer
from sim.crash import SimulatedCrash
from sim.disk import DiskFault, SimDisk
from sim.trace import Trace

FILES = ("a.log", "b.log", "c.log")


def workload(disk: SimDisk, rounds: int = 150) -> list[str]:
    """Appends, fsyncs and reads back; every error is noted, a crash crashes the disk."""
    outcomes: list[str] = []
    for step in range(rounds):
        name = "/data/" + FILES[step % len(FILES)]
        try:
            if not disk.path.exists("/data"):
                disk.mkdir("/data")
            fd = disk.open(name, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            written = disk.write(fd, b"record-%04d\n" % step)
            disk.fsync(fd)
            disk.close(fd)
            for directory in ("/", "/data"):
                dir_fd = disk.open(directory, os.O_RDONLY)
                disk.fsync(dir_fd)
                disk.close(dir_fd)
            fd = disk.open(name, os.O_RDONLY)
            disk.read(fd, 64)
            disk.close(fd)
            outcomes.append(f"ok:{written}")
        except OSError as error:
            outcomes.append(f"errno:{error.errno}")
        except SimulatedCrash:
            disk.crash()
            outcomes.append("crash")
    return outcomes


def make(plan: FaultPlan, seed: int = 3, schedule=None):
    trace = Trace()
    injector = FaultInjector(plan, random.Random(seed), trace.record, lambda: 0.0, schedule=schedule)
    disk = SimDisk(random.Random(seed + 1), trace.record, node="omen")
    disk.fault_hook = DiskFaultInjector(injector, "omen", disk=disk)
    return trace, injector, disk


@pytest.mark.parametrize("kind", kinds_of_layer("disk"))
def test_each_disk_kind_fires_under_a_plan_that_enables_it_and_never_otherwise(kind: str) -> None:
    trace, injector, disk = make(FaultPlan(kinds={kind: FaultSpec(probability=0.1)}))
    workload(disk)
    assert injector.counters[kind] > 0
    assert {e.fields["fault"] for e in trace.events if e.kind == "fault"} == {kind}
    others = FaultPlan(kinds={name: FaultSpec(probability=0.05) for name in kinds_of_layer("disk") if name != kind})
    trace, injector, disk = make(others)
    workload(disk)
    assert kind not in {e.fields["fault"] for e in trace.events if e.kind == "fault"}


def test_a_short_write_keeps_a_strict_prefix() -> None:
    _, _, disk = make(FaultPlan(kinds={"disk.short_write": FaultSpec(probability=1.0)}))
    assert all(o in ("ok:%d" % n for n in range(12)) for o in workload(disk, 10))


def test_a_bitflip_changes_exactly_one_durable_bit() -> None:
    _, injector, disk = make(FaultPlan())
    workload(disk, 12)
    before = disk.durable_files()
    hook = DiskFaultInjector(injector, "omen", disk=disk)
    hook._flip({"file_fraction": 0.5, "bit_fraction": 0.25})
    after = disk.durable_files()
    flipped = [sum(bin(x ^ y).count("1") for x, y in zip(before[p], after[p])) for p in sorted(before)]
    assert len(flipped) == 3 and sorted(flipped) == [0, 0, 1]


def test_decisions_map_to_the_disk_fault_of_the_op() -> None:
    plan = FaultPlan(kinds={"disk.fsync_lie": FaultSpec(probability=1.0), "disk.read_eio": FaultSpec(probability=1.0)})
    _, _, disk = make(plan)
    hook = disk.fault_hook
    assert hook.decide("fsync", "/x", 0) == DiskFault("fsync_lie")
    assert hook.decide("pread", "/x", 10) == DiskFault("read_eio")
    assert hook.decide("write", "/x", 10) is None
    assert hook.decide("rename", "/x", 0) is None


@pytest.mark.parametrize("kind, fault", [("disk.lost_write", "lost_write"), ("disk.duplicate_write", "duplicate_write")])
def test_a_lost_or_duplicated_write_strikes_writes_with_bytes_only(kind: str, fault: str) -> None:
    _, _, disk = make(FaultPlan(kinds={kind: FaultSpec(probability=1.0)}))
    hook = disk.fault_hook
    assert hook.decide("write", "/x", 10) == DiskFault(fault)
    assert hook.decide("write", "/x", 0) is None  # an empty write has nothing to lose or repeat
    assert hook.decide("fsync", "/x", 0) is None
    assert hook.decide("pread", "/x", 10) is None


def test_a_disk_run_replayed_from_its_schedule_has_the_same_trace_hash() -> None:
    plan = FaultPlan(kinds={name: FaultSpec(probability=0.02) for name in kinds_of_layer("disk")})
    trace, injector, disk = make(plan, seed=9)
    outcomes = workload(disk, 300)
    assert len(injector.schedule) > 10
    replay_trace, _, replay_disk = make(plan, seed=9, schedule=injector.schedule)
    assert workload(replay_disk, 300) == outcomes
    assert replay_trace.hash() == trace.hash()


def test_nothing_fires_on_the_disk_after_heal() -> None:
    trace, injector, disk = make(FaultPlan(kinds={"disk.write_eio": FaultSpec(probability=1.0)}))
    injector.heal()
    assert set(workload(disk, 20)) == {"ok:12"}


def asked_kinds(injector: FaultInjector) -> list[str]:
    """Wrap the injector's decide: the kinds a hook asks about, in order."""
    asked: list[str] = []
    decide_first = injector.decide_first

    def spy(point: str, kind: str, node: str):
        asked.append(kind)
        found = decide_first(point, (kind,), node)
        return None if found is None else found[1]

    def spy_first(point: str, kinds: tuple[str, ...], node: str):
        # one kind at a time, up to the first that fires: what decide_first promises to be
        for kind in kinds:
            params = spy(point, kind, node)
            if params is not None:
                return kind, params
        return None

    injector.decide = spy  # type: ignore[method-assign]
    injector.decide_first = spy_first  # type: ignore[method-assign]
    return asked


def test_the_disk_hook_asks_only_about_the_kinds_that_are_on_and_decides_the_same() -> None:
    plan = FaultPlan(kinds={"disk.fsync_eio": FaultSpec(probability=0.2), "disk.bitflip": FaultSpec(probability=0.05)})
    trace, injector, disk = make(plan)
    asked = asked_kinds(injector)
    outcomes = workload(disk)
    assert asked and set(asked) == {"disk.fsync_eio", "disk.bitflip"}
    assert injector.counters["disk.fsync_eio"] > 0
    # the same plan, the same seed, asked the old way (every kind of the op): the same run
    trace_all, injector_all, disk_all = make(plan)
    hook = disk_all.fault_hook
    hook._kinds_by_op = {op: kinds for op, kinds in disk_faults._KINDS_BY_OP.items()}
    hook._kinds_by_op_empty = {op: tuple(kind for kind in kinds if kind != "disk.short_write"
                                         and kind not in disk_faults._DATA_KINDS)
                               for op, kinds in disk_faults._KINDS_BY_OP.items()}
    hook._any_op_kinds = disk_faults._ANY_OP_KINDS
    hook._bitflip_on = True
    hook._index_asks()
    assert hook._asks["write"][1] == disk_faults._KINDS_BY_OP["write"], "the old tables are the ones asked"
    assert workload(disk_all) == outcomes
    assert [tuple(e[2:]) for e in trace_all.events] == [tuple(e[2:]) for e in trace.events]


def test_a_fault_free_plan_asks_the_injector_nothing_at_any_disk_op() -> None:
    _, injector, disk = make(FaultPlan())
    asked = asked_kinds(injector)
    workload(disk, rounds=20)
    assert disk.op_count > 100 and asked == []


def test_a_hook_asks_something_exactly_when_some_disk_kind_is_on_and_the_world_drops_one_that_asks_nothing() -> None:
    from scenarios.world import World, WorldConfig

    _, _, calm_disk = make(FaultPlan())
    assert not calm_disk.fault_hook.asks_anything
    assert all(calm_disk.fault_hook.decide(op, "/x", size) is None
               for op in disk_faults.DISK_OPS for size in (0, 10))
    for kind in kinds_of_layer("disk"):
        _, _, disk = make(FaultPlan(kinds={kind: FaultSpec(probability=0.5)}))
        assert disk.fault_hook.asks_anything, kind
    calm = World(WorldConfig(seed=0), FaultPlan())
    assert calm.disk.fault_hook is None
    calm.sim.close()
    noisy = World(WorldConfig(seed=0), FaultPlan(kinds={"disk.bitflip": FaultSpec(probability=0.5)}))
    assert isinstance(noisy.disk.fault_hook, DiskFaultInjector) and noisy.disk.fault_hook.asks_anything
    noisy.sim.close()
