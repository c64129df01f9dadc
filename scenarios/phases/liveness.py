"""The liveness phase: with every fault healed, the system must converge.

Periodic jobs stop; the phase waits until every ledger day is past its seal grace, then alternates
a seal pass and a reconcile pass until RiskCast holds every ledger record and a whole pass finds
nothing to do (quiescent). It gives up after `stalled_passes_max` passes without progress, or
`reconcile_passes_max` passes in all; `liveness` judges the outcome.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from scenarios.observers.ledger_files import ledger_signal_ids, partition_names
from scenarios.observers.riskcast_rows import stored_signal_ids

if TYPE_CHECKING:
    from scenarios.world import World

SEAL_WAITS_MAX = 1000
SEAL_WAIT_S_MAX = 3600.0


def missing_count(world: "World") -> int:
    """Ledger records RiskCast does not hold yet (0 = converged), from the files and the rows."""
    return len(ledger_signal_ids(world.ledger_files, world.ledger_root) - stored_signal_ids(world.conn))


def last_ledger_day_end(world: "World") -> datetime:
    """The end of the latest day that has a partition (or OMEN's now, if later)."""
    latest = world.nodes["omen"].clock.now()
    for partition in partition_names(world.ledger_files, world.ledger_root):
        try:
            day = datetime.fromisoformat(partition[:10]).replace(tzinfo=timezone.utc) + timedelta(days=1)
        except ValueError:
            continue  # not a partition directory
        latest = max(latest, day)
    return latest


async def liveness_phase(world: "World") -> bool:
    config, periodic = world.config, world.periodic
    periodic.enabled = False
    omen_clock = world.nodes["omen"].clock
    seal_after = last_ledger_day_end(world) + timedelta(seconds=config.seal_grace_s + 1)
    for _ in range(SEAL_WAITS_MAX):
        remaining_s = (seal_after - omen_clock.now()).total_seconds()
        if remaining_s <= 0:
            break
        await asyncio.sleep(min(remaining_s / max(omen_clock.rate, 1e-3), SEAL_WAIT_S_MAX))
    stalled_passes = 0
    missing_before: int | None = None
    scrubbed = False
    for _ in range(config.reconcile_passes_max):
        if world.writer is None:
            await asyncio.sleep(config.restart_delay_s_max)
            continue
        periodic.guarded_seal_pass()
        # the first pass after the heal scrubs: damage done under faults gets read and reported
        results = await periodic.reconcile_pass(scrub=not scrubbed)
        scrubbed = True
        missing = missing_count(world)
        quiescent = all(result.status == "up_to_date" for result in results)
        if missing == 0 and quiescent:
            world.observations.converged = True
            world.trace.record("world", "converged")
            return True
        stalled_passes = stalled_passes + 1 if missing_before is not None and missing >= missing_before else 0
        missing_before = missing
        if stalled_passes >= config.stalled_passes_max:
            break
        await asyncio.sleep(config.reconcile_interval_s)
    world.trace.record("world", "not_converged", missing=missing_before)
    return False
