"""The periodic jobs: OMEN's sealer and the reconcile pass, as a real deployment's timers run them.

Both loops run during the safety phase, under faults. The liveness phase switches them off
(`enabled = False`) and calls the passes itself, one after the other, until the run converges.
Each loop is bounded: enough passes to outlast the longest liveness phase, then it stops.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from omen.ledger import sealer
from riskcast import run_reconcile_job
from scenarios.observers.riskcast_rows import reconcile_highwaters
from sim.crash import SimulatedCrash

if TYPE_CHECKING:
    from scenarios.world import World

PASSES_SLACK = 10_000  # passes beyond the liveness limit: the loops never end before the run does


class PeriodicJobs:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.enabled = True

    # ---- the sealer (a task of OMEN) ----------------------------------------------------------
    async def sealer_loop(self) -> None:
        config = self.world.config
        passes_max = int(config.liveness_limit_s / config.seal_interval_s) + PASSES_SLACK
        sleep = self.world.sim.loop.sleep  # asyncio.sleep's steps, cheaper (see SimLoop.sleep)
        for _ in range(passes_max):
            await sleep(config.seal_interval_s)
            if not self.enabled:
                return  # for good: the liveness phase drives its own passes, further ticks would be no-ops
            self.guarded_seal_pass()

    def guarded_seal_pass(self) -> None:
        """A seal pass whose unexpected failure is recorded as a finding, not a harness crash."""
        world = self.world
        try:
            self.seal_pass()
        except SimulatedCrash as crash:
            world.trace.record("omen", "crash.raised", target=crash.node, reason=crash.reason)
            world.crash(crash.node, cause=crash.reason)
        except Exception as error:  # noqa: BLE001 - recorded for the recoverability checker
            world.record_unexpected_error("omen", f"seal: {type(error).__name__}: {error}",
                                          f"seal: {type(error).__name__}: {error}")

    def seal_pass(self) -> None:
        world = self.world
        writer = world.writer
        if writer is None:
            return
        grace = timedelta(seconds=world.config.seal_grace_s)
        outcome = sealer.seal_due_partitions(writer, world.nodes["omen"].clock.now(), grace)
        errors = {failure.partition: failure.error for failure in outcome.failed}
        if None in errors:
            world.trace.record("omen", "seal.failed", partition=None, error=errors[None])
        for partition in outcome.due:
            if partition in errors:
                world.trace.record("omen", "seal.failed", partition=partition, error=errors[partition])
                if not world.seals.says_sealed(partition):
                    continue  # a failed seal whose sealed manifest is in place is sealed for every reader
            world.seals.observe(partition)
            world.observe_manifests([partition])

    # ---- the reconcile pass (a task of the reconciler) ---------------------------------------
    async def reconcile_loop(self) -> None:
        config = self.world.config
        passes_max = int(config.liveness_limit_s / config.reconcile_interval_s) + PASSES_SLACK
        sleep = self.world.sim.loop.sleep  # as the sealer's
        for number in range(1, passes_max + 1):
            await sleep(config.reconcile_interval_s)
            if not self.enabled:
                return  # for good, as the sealer's: a quiet simulated day must not cost thousands of turns
            await self.reconcile_pass(scrub=number % config.scrub_every_passes == 0)

    async def reconcile_pass(self, *, scrub: bool = False) -> list[Any]:
        world = self.world
        job = world.reconcile_job
        if job is None:
            return []
        world.seals.observe_visible()
        world.observe_manifests()
        results = await run_reconcile_job(job, scrub=True) if scrub else await run_reconcile_job(job)
        # the state as the database holds it after the pass: the checkers' evidence, not the job's word
        state_highwater = reconcile_highwaters(world.conn)
        for result in results:
            world.trace.record(
                "reconciler",
                "reconcile.result",
                state_highwater=state_highwater.get(result.partition),
                scrub=scrub,
                partition=result.partition,
                status=result.status,
                reason=result.reason,
                replayed=list(result.replayed_ids),
                failed=list(result.failed_ids),
                extra=list(result.extra_ids),
                highwater=result.highwater,
                revision=result.revision,
            )
        world.reconcile_state.observe()
        return results
