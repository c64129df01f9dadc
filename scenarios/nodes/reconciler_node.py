"""The reconcile job's process: reads OMEN's ledger over the read-only shared volume, replays what
RiskCast lacks, and runs its periodic pass. A crash drops the job and rolls back its transaction."""
from __future__ import annotations

from typing import TYPE_CHECKING

from omen import LedgerReader
from riskcast import ReconcileJob, ReconcileStateStore, SignalStore

if TYPE_CHECKING:
    from scenarios.world import World


class ReconcilerNode:
    name = "reconciler"

    def __init__(self) -> None:
        self.job: ReconcileJob | None = None

    def start(self, world: "World") -> None:
        node = world.nodes[self.name]
        runner = world.sql_runner()
        self.job = ReconcileJob(
            LedgerReader(world.ledger_root, fs=world.volume),
            SignalStore(runner, clock=node.clock, ack_ids=world.next_ack_id),
            ReconcileStateStore(runner),
            world.network.transport(node),
            world.ingest_url,
            replay_timeout_s=world.config.replay_timeout_s,
        )
        world.spawn(self.name, world.periodic.reconcile_loop, name="reconciler.loop")

    def on_crash(self, world: "World") -> None:
        self.job = None
        if world.conn.in_transaction:
            world.conn.rollback()
