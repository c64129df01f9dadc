"""One real run: the phases of a simulated run, on real processes, judged by the same checkers.

start (RiskCast, the reconciler, OMEN, the proxy) -> workload with the nemesis -> heal (nemesis off,
every process up) -> end of input -> the last day sealed -> convergence -> stop -> check.

OMEN's clock is shifted so its UTC day ends half-way through the workload: the run crosses midnight,
the sealer seals a day and the reconciler reconciles it while the nemesis is at work, as in the
simulation's runs that start before midnight. A run with a violation keeps its directory (ledger,
database, process logs, history) and says where.
"""
from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scenarios.invariants import Violation
from scenarios.real.context import final_context, judge
from scenarios.real.harness import Harness, HarnessConfig, HarnessError
from scenarios.real.nemesis import FAMILIES, NemesisAction, plan
from scenarios.workload import WorkloadSpec, generate

SECONDS_MIN, SECONDS_MAX = 5.0, 3600.0
RATE_MAX_PER_S = 2_000.0
FEED_DRAIN_S_MAX = 30.0
LIVENESS_LIMIT_S = 90.0


class RealRunSpecError(ValueError):
    """A bad parameter of a real run (range, unknown bug): exit 2 with this message."""


@dataclass(frozen=True)
class RealRunConfig:
    seconds: float = 30.0
    seed: int = 0
    rate_per_s: float = 20.0
    nemesis: frozenset[str] = frozenset(FAMILIES)
    run_dir: Path | None = None
    bug: str | None = None
    group_commit: int = 0
    keep_dir: bool = False
    liveness_limit_s: float = LIVENESS_LIMIT_S

    def validate(self) -> None:
        if not SECONDS_MIN <= self.seconds <= SECONDS_MAX:
            raise RealRunSpecError(f"--seconds must be within {SECONDS_MIN:g}..{SECONDS_MAX:g}, got {self.seconds}")
        if not 0 < self.rate_per_s <= RATE_MAX_PER_S:
            raise RealRunSpecError(f"--rate must be within (0, {RATE_MAX_PER_S:g}] signals/s, got {self.rate_per_s}")
        if self.seed < 0:
            raise RealRunSpecError(f"--seed must be a non-negative integer, got {self.seed}")
        if self.group_commit < 0:
            raise RealRunSpecError(f"--group-commit must be >= 0, got {self.group_commit}")
        unknown = sorted(self.nemesis - set(FAMILIES))
        if unknown:
            raise RealRunSpecError(f"unknown nemesis {unknown}; known: {', '.join(FAMILIES)}")
        if self.bug is not None:
            from scenarios.bugzoo import get_bug

            get_bug(self.bug)  # UnknownBugError names the known ones


@dataclass
class RealRunResult:
    config: RealRunConfig
    run_dir: Path
    kept: bool
    violations: list[Violation]
    invariants: dict[str, dict[str, int]]
    faults: dict[str, int]
    signals: int
    emits: dict[str, int]
    converged: bool
    wall_seconds: float
    recovery_s: dict[str, list[float]]
    actions: list[NemesisAction]
    history_events: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, Any]:
        """The fields of `omen-sim run --json`, and what only a real run has."""
        return {
            "scenario": "real",
            "runs": 1,
            "seed": self.config.seed,
            "bug": self.config.bug,
            "violations": [v.to_json() for v in self.violations],
            "invariants": self.invariants,
            "faults": self.faults,
            "signals": self.signals,
            "emits": self.emits,
            "converged": self.converged,
            "wall_seconds": round(self.wall_seconds, 3),
            "seconds": self.config.seconds,
            "rate_per_s": self.config.rate_per_s,
            "group_commit": self.config.group_commit,
            "nemesis": sorted(self.config.nemesis),
            "nemesis_actions": [action.to_json() for action in self.actions],
            "recovery_seconds": self.recovery_s,
            "trace_events": self.history_events,
            "dir": str(self.run_dir) if self.kept else None,
            "notes": self.notes,
        }


def planned_signals(config: RealRunConfig) -> list[Any]:
    """The workload of the simulation's generator, from the run's seed, over the workload's seconds."""
    count = max(1, int(config.rate_per_s * (config.seconds - 1.0)))
    spec = WorkloadSpec(signal_count=count, rate_per_s=config.rate_per_s, late_fraction=0.0)
    return generate(spec, random.Random(f"workload-{config.seed}"), start_s=0.5)


def clock_offset_s(seconds: float) -> float:
    """Shift OMEN's clock so its UTC day ends half-way through the workload."""
    now = datetime.now(timezone.utc)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), timezone.utc)
    return (midnight - timedelta(seconds=seconds / 2) - now).total_seconds()


def run_real(config: RealRunConfig) -> RealRunResult:
    config.validate()
    started = time.monotonic()
    created = config.run_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="omen-real-")) if created else Path(config.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(_run(config, run_dir, started))
    keep = not created or config.keep_dir or not result.ok
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    result.kept = keep
    return result


async def _run(config: RealRunConfig, run_dir: Path, started: float) -> RealRunResult:
    harness = Harness(HarnessConfig(run_dir=run_dir, seed=config.seed, bug=config.bug,
                                    group_commit=config.group_commit, clock_offset_s=clock_offset_s(config.seconds)))
    planned = planned_signals(config)
    actions = plan(config.seed, config.seconds, config.nemesis)
    notes: list[str] = []
    try:
        await harness.start_all()
        began_s = harness.history.elapsed_s()
        harness.history.record("world", "workload.start", signals=len(planned), actions=len(actions))
        feed = asyncio.create_task(harness.feed(planned, began_s, drain_s_max=FEED_DRAIN_S_MAX))
        nemesis = asyncio.create_task(harness.run_nemesis(actions, began_s))
        await asyncio.sleep(max(0.0, began_s + config.seconds - harness.history.elapsed_s()))
        nemesis.cancel()
        await asyncio.gather(nemesis, return_exceptions=True)
        await harness.heal()
        undelivered = await feed
        if undelivered:
            notes.append(f"{undelivered} signal(s) were never handed to OMEN")
        await harness.end_input()
        await harness.seal_the_last_day()
        converged = await harness.converge(config.liveness_limit_s)
    finally:
        await harness.stop_all()
        harness.history.close()
    if harness.harness_errors:
        raise HarnessError(f"the harness failed: {harness.harness_errors[:3]}", harness.logs / "omen.log")
    context = final_context(harness.history.events, harness.ledger_root, harness.db_path,
                            harness.observations, dict(harness.faults))
    violations, invariants = judge(context)
    return RealRunResult(
        config=config, run_dir=run_dir, kept=True, violations=violations, invariants=invariants,
        faults=dict(sorted(harness.faults.items())), signals=len(planned), emits=dict(sorted(harness.emits.items())),
        converged=converged, wall_seconds=time.monotonic() - started, recovery_s=harness.recovery_s,
        actions=actions, history_events=len(harness.history.events), notes=notes,
    )
