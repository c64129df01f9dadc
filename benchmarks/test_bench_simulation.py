"""How fast the simulation runs: time dilation, signals per wall second, overhead over direct calls.

The simulated runs go through `scenarios.runner.run`, the same entry point as every sweep.
The direct baseline drives the same system code (LedgerWriter, SignalEmitter, IngestHandler,
SignalStore) on in-memory ports inside one plain `asyncio.run`: no scheduler, no faults, no
trace, no checkers. Same workload signals.
"""
from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import datetime, timedelta, timezone

from benchmarks.conftest import best_of, record, timed
from faults import FAULT_KINDS, FaultPlan, FaultSpec
from omen import FixedClock, LedgerWriter
from omen.emitter import BackpressureController, SignalEmitter
from riskcast import IngestHandler, IngestHandlerTransport, InlineSqlRunner, SignalStore, init_schema
from scenarios.runner import run
from scenarios.workload import WorkloadSpec, generate
from sim.disk import SimDisk

RATE_PER_S = 10.0
LOW_PROBABILITY = 0.0005


def overrides(signal_count: int) -> dict:
    duration_s = signal_count / RATE_PER_S + 20.0
    return {"workload": {"signal_count": signal_count, "rate_per_s": RATE_PER_S}, "duration_s": duration_s}


def all_faults_plan() -> FaultPlan:
    """Every fault kind on, each at a low probability per decision (bounded by its swarm range)."""
    kinds = {name: FaultSpec(probability=min(LOW_PROBABILITY, info.swarm_probability[1]))
             for name, info in sorted(FAULT_KINDS.items())}
    return FaultPlan(kinds=kinds)


def test_time_dilation_with_every_fault_kind_on(benchmark, full):
    signal_count = 2000 if full else 100
    seconds, result = timed(benchmark, lambda: run("calm", 0, plan=all_faults_plan(), overrides=overrides(signal_count)))
    workload_s = result.params.duration_s
    record(benchmark, "time dilation (workload s per wall s, all faults)", workload_s / seconds,
           target=">= 1000x", met=workload_s / seconds >= 1000)
    record(benchmark, "time dilation (total simulated s incl. liveness per wall s)", result.sim_seconds / seconds)
    benchmark.extra_info["faults_fired"] = sum(result.faults.values())


def test_simulated_signals_per_wall_second_fault_free(benchmark, full):
    signal_count = 2000 if full else 100
    seconds, result = timed(benchmark, lambda: run("calm", 0, plan=FaultPlan(), overrides=overrides(signal_count)))
    per_s = result.signals / seconds
    record(benchmark, "signals per wall s per core, fault-free", per_s, unit="signals/s",
           target=">= 10,000", met=per_s >= 10_000)


def test_simulated_signals_per_wall_second_with_faults(benchmark, full):
    signal_count = 2000 if full else 100
    seconds, result = timed(benchmark, lambda: run("calm", 0, plan=all_faults_plan(), overrides=overrides(signal_count)))
    per_s = result.signals / seconds
    record(benchmark, "signals per wall s per core, all faults", per_s, unit="signals/s",
           target=">= 10,000", met=per_s >= 10_000)


def direct_run(signal_count: int) -> int:
    """The same system code on in-memory ports, one plain asyncio loop, no scheduler. Returns rows stored."""
    planned = generate(WorkloadSpec(signal_count=signal_count, rate_per_s=RATE_PER_S), random.Random(0), start_s=1.0)
    epoch = datetime(2026, 1, 2, tzinfo=timezone.utc)
    clock = FixedClock(epoch)
    disk = SimDisk(random.Random(0))
    writer = LedgerWriter("/ledger", fs=disk, clock=clock, segment_max_records=64, segment_max_bytes=64 * 1024)
    conn = sqlite3.connect(":memory:")
    init_schema(conn)
    ids = iter(range(10 * signal_count + 10))
    store = SignalStore(InlineSqlRunner(conn), clock=clock, ack_ids=lambda: f"ack-{next(ids):016x}")
    emitter = SignalEmitter(writer, IngestHandlerTransport(IngestHandler(store)), "http://riskcast/ingest",
                            backpressure=BackpressureController())

    async def main() -> None:
        for signal in planned:
            await emitter.emit(signal.build(epoch + timedelta(seconds=signal.at_s)))

    asyncio.run(main())
    return conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]


def test_simulation_overhead_against_direct_calls_on_in_memory_ports(benchmark, full):
    signal_count = 2000 if full else 100
    seconds, result = timed(benchmark, lambda: run("calm", 0, plan=FaultPlan(), overrides=overrides(signal_count)))
    assert direct_run(signal_count) > 0
    direct_s = best_of(lambda: direct_run(signal_count), 3 if full else 1)
    ratio = seconds / direct_s
    record(benchmark, "simulation overhead (simulated run / direct run)", ratio, target="<= 2x", met=ratio <= 2)
