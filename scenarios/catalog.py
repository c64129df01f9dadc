"""The named scenarios: a workload, a family of fault plans, the world's parameters.

Each scenario's plan is drawn per seed, swarm style, from the fault kinds that scenario
is about (`chaos` draws from all of them), so a sweep explores calm runs and storms and
the combinations in between. Parameters are a pydantic model with defaults; a user
overrides any of them by name.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from faults import FAULT_KINDS, FaultPlan, swarm_plan
from scenarios.drivers import ConcurrentPosts, ExhaustiveCrashPoints, ScenarioDriver
from scenarios.invariants.model import Checker
from scenarios.workload import WorkloadSpec
from sim.errors import HarnessError


class ScenarioParams(BaseModel):
    """The knobs every scenario has. Durations are simulated seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    duration_s: float = Field(default=120.0, gt=0, le=30 * 24 * 3600)
    disk_profile: Literal["posix", "ext4-ordered"] = "posix"
    segment_max_records: int = Field(default=64, ge=1, le=10_000_000)
    segment_max_bytes: int = Field(default=64 * 1024, ge=1024, le=1 << 34)
    seal_grace_s: float = Field(default=10.0, ge=0)
    start_before_midnight_s: float = Field(default=30.0, ge=0, le=24 * 3600)
    push_timeout_s: float = Field(default=1.0, gt=0, le=600)
    group_commit_max_batch: int = Field(default=0, ge=0, le=100_000)
    store_commit_rows_max: int = Field(default=1, ge=1, le=10_000)  # RiskCast's group commit; 1: off


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    defaults: ScenarioParams
    fault_kinds: tuple[str, ...]
    probability_scale: float = 1.0  # multiplies the swarm's drawn intensities (capped at 1)
    # the scenario's own machinery, which the generic runner knows nothing of: drivers installed
    # at the start of the safety phase (in order), and checkers judged after `CHECKERS`
    drivers: tuple[ScenarioDriver, ...] = ()
    checkers: tuple[tuple[str, Checker], ...] = ()

    def params(self, overrides: dict | None = None) -> ScenarioParams:
        if not overrides:
            return self.defaults
        merged = self.defaults.model_dump()
        for key, value in overrides.items():
            if key == "workload" and isinstance(value, dict):
                merged["workload"] = {**merged["workload"], **value}
            else:
                merged[key] = value
        return ScenarioParams.model_validate(merged)

    def plan(self, params: ScenarioParams, rng: random.Random) -> FaultPlan:
        if not self.fault_kinds:
            return FaultPlan()
        plan = swarm_plan(rng, duration_s=params.duration_s, kinds=self.fault_kinds)
        if self.probability_scale == 1.0:
            return plan
        scaled = {
            name: spec.model_copy(update={"probability": min(1.0, spec.probability * self.probability_scale)})
            for name, spec in plan.kinds.items()
        }
        return plan.model_copy(update={"kinds": scaled})


def _kinds(prefix: str) -> tuple[str, ...]:
    return tuple(name for name in FAULT_KINDS if name.startswith(prefix))


_W = WorkloadSpec

# The writes a disk loses or stores twice are swept by their own scenario, `lost_writes`. Kept out of
# `chaos` so that every recorded chaos seed (the found seeds, open findings, the zoo's figures)
# replays the very run it names: a plan drawn over more kinds is another plan for every seed.
_OWN_SCENARIO_KINDS = ("disk.lost_write", "disk.duplicate_write")
_CHAOS_KINDS = tuple(name for name in FAULT_KINDS if name not in _OWN_SCENARIO_KINDS)

# a short history (few signals, rollover every 3 records, an early seal), every crash state of
# each metadata step checked: shared by the posix and the ext4-ordered variant
_POWER_LOSS = ScenarioParams(
    workload=_W(signal_count=24, rate_per_s=2.0, reemit_fraction=0.0),
    duration_s=30.0,
    segment_max_records=3,
    seal_grace_s=5.0,
    start_before_midnight_s=8.0,
)
_EVERY_CRASH_STATE = (ExhaustiveCrashPoints(states_max=64),)

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "ledger_crash_tail",
            "Power loss in the middle of ledger appends (the audit's crash-tail test, at every "
            "kind of op): torn tails are truncated on restart and never yielded.",
            ScenarioParams(workload=_W(signal_count=120, rate_per_s=2.0), duration_s=90.0),
            ("disk.crash_at_op", "disk.short_write", "proc.crash_omen"),
        ),
        Scenario(
            "rollover_sequence",
            "Tiny segments and OMEN restarts: ledger_sequence stays partition-wide monotonic "
            "across rollovers and restarts.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=3.0), duration_s=90.0, segment_max_records=4),
            ("proc.crash_omen", "disk.crash_at_op"),
        ),
        Scenario(
            "power_loss_metadata",
            "Crashes inside rollover and seal, with every crash state of a short history checked "
            "exhaustively: _CURRENT and the manifest are always sound.",
            _POWER_LOSS,
            ("disk.crash_at_op",),
            drivers=_EVERY_CRASH_STATE,
        ),
        Scenario(
            "power_loss_ext4_ordered",
            "power_loss_metadata on the ext4-ordered disk profile (a file's fsync also persists its new "
            "directory entry): the same exhaustive crash states, under the kinder persistence rules.",
            _POWER_LOSS.model_copy(update={"disk_profile": "ext4-ordered"}),
            ("disk.crash_at_op",),
            drivers=_EVERY_CRASH_STATE,
        ),
        Scenario(
            "hot_path_drops",
            "The hot path loses pushes every way HTTP can: dropped requests and responses, refused "
            "connections, 5xx, partitions. Reconcile delivers every lost signal exactly once.",
            ScenarioParams(workload=_W(signal_count=240, rate_per_s=2.0)),
            ("net.drop_request", "net.drop_response", "net.refused", "net.http_5xx", "net.partition",
             "net.delay_spike"),
        ),
        Scenario(
            "concurrent_duplicates",
            "Duplicate deliveries, retries racing reconcile replays, re-emitted signals and the "
            "audit's 20 concurrent POSTs of one signal: one 200, the rest 409 with its ack_id.",
            ScenarioParams(
                workload=_W(signal_count=200, rate_per_s=2.0, reemit_fraction=0.25, burst_probability=0.2),
                store_commit_rows_max=16,
            ),
            ("net.duplicate", "net.delay_spike", "net.drop_response"),
            drivers=(ConcurrentPosts(count=20),),
        ),
        Scenario(
            "late_arrivals",
            "Signals for a day whose partition is sealed, midnight crossings and skewed or jumping "
            "clocks: late partitions are written and reconciled again as they grow.",
            ScenarioParams(
                workload=_W(signal_count=200, rate_per_s=1.0, late_fraction=0.3, late_lag_s_max=600.0,
                            burst_probability=0.0),
                duration_s=240.0,
                seal_grace_s=5.0,
                start_before_midnight_s=20.0,
            ),
            ("clock.skew", "clock.jump", "net.drop_request"),
        ),
        Scenario(
            "disk_faults",
            "The disk fails writes, reads and fsyncs (ENOSPC, EIO, short writes, Linux fsync-EIO "
            "semantics): every failure is typed, nothing acknowledged is lost.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=2.0), segment_max_records=16),
            ("disk.short_write", "disk.enospc", "disk.write_eio", "disk.read_eio", "disk.fsync_eio"),
        ),
        Scenario(
            "fsync_errors",
            "fsync fails often, with Linux semantics (reported once, the pages dropped from the durable "
            "path): the writer must never trust a file or directory whose fsync failed. The run crosses "
            "midnight, so a sealed day's late partition, whose manifest follows every record, meets them too.",
            ScenarioParams(workload=_W(signal_count=120, rate_per_s=2.0, late_fraction=0.3, late_lag_s_max=120.0),
                           segment_max_records=8, seal_grace_s=5.0, start_before_midnight_s=20.0),
            ("disk.fsync_eio", "proc.crash_omen"),
            probability_scale=8.0,
        ),
        Scenario(
            "group_commit",
            "Bursts of concurrent emits share one fsync per group; power loss and fsync errors inside "
            "a group lose only records whose write had not returned, and nothing is pushed early.",
            ScenarioParams(
                workload=_W(signal_count=240, rate_per_s=2.0, burst_probability=0.3, burst_size_max=30),
                segment_max_records=32,
                group_commit_max_batch=16,
            ),
            ("disk.crash_at_op", "disk.fsync_eio", "disk.short_write", "proc.crash_omen"),
        ),
        Scenario(
            "riskcast_crash",
            "RiskCast and the reconcile job crash and restart at any time: acknowledged rows "
            "survive, uncommitted ones roll back, reconcile converges.",
            ScenarioParams(workload=_W(signal_count=240, rate_per_s=2.0, burst_probability=0.2, burst_size_max=30),
                           store_commit_rows_max=16),
            ("proc.crash_riskcast", "proc.crash_reconciler", "net.drop_response"),
        ),
        Scenario(
            "chaos",
            "Swarm plans over every fault kind at once (but the lost and duplicated writes of "
            "lost_writes), including the ones beyond the promise (lying fsync, bit rot), where loss "
            "is allowed but never silent.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=2.0, late_fraction=0.05, late_lag_s_max=120.0),
                           segment_max_records=16),
            _CHAOS_KINDS,
        ),
        Scenario(
            "bit_rot",
            "Bits of durable ledger data rot at rest and fsyncs lie: beyond the promise, loss is "
            "allowed, but the reader never yields a rotten record and reconcile reports the damage.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=2.0), segment_max_records=16),
            ("disk.bitflip", "disk.fsync_lie"),
            probability_scale=5.0,
        ),
        Scenario(
            "lost_writes",
            "The disk acknowledges writes it never stores and stores others twice (beyond the promise): "
            "a sealed segment short of its manifest's records, or a frame repeated, is reported as "
            "damage, never read as a whole ledger, and what it lost is named.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=2.0, late_fraction=0.05, late_lag_s_max=120.0),
                           segment_max_records=8),
            ("disk.lost_write", "disk.duplicate_write", "disk.crash_at_op", "proc.crash_omen"),
            probability_scale=2.5,
        ),
        Scenario(
            "calm",
            "No faults at all: the baseline every other scenario departs from.",
            ScenarioParams(workload=_W(signal_count=200, rate_per_s=2.0)),
            (),
        ),
    )
}


class UnknownScenarioError(HarnessError, KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown scenario {self.name!r}; known scenarios: {', '.join(SCENARIOS)} (see `omen-sim list`)"


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(name) from None


