"""OMEN's process: the ledger writer and the emitter on the simulated disk and network, and its sealer.

A crash of OMEN is a power loss of its machine: the disk drops what was not durable, and the
observers record what survived (crash snapshot) and any seal that became visible meanwhile.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omen import LedgerWriter
from omen.emitter import BackpressureController, SignalEmitter
from omen.ledger.group_commit import GroupCommitter
from scenarios.observers import snapshot_after_crash

if TYPE_CHECKING:
    from scenarios.world import World


class OmenNode:
    name = "omen"

    def __init__(self) -> None:
        self.writer: LedgerWriter | None = None
        self.emitter: SignalEmitter | None = None

    def start(self, world: "World") -> None:
        world.spawn(self.name, self._boot, world, name="omen.start")

    async def _boot(self, world: "World") -> None:
        self._build(world)
        world.spawn(self.name, world.periodic.sealer_loop, name="omen.sealer")

    def _build(self, world: "World") -> None:
        node, config = world.nodes[self.name], world.config
        # opening does no I/O: the writer recovers each partition on its first write to it
        self.writer = LedgerWriter(
            world.ledger_root,
            fs=world.disk,
            clock=node.clock,
            segment_max_bytes=config.segment_max_bytes,
            segment_max_records=config.segment_max_records,
        )
        ledger: Any = self.writer
        if config.group_commit_max_batch:
            ledger = GroupCommitter(self.writer, max_batch=config.group_commit_max_batch)
        self.emitter = SignalEmitter(
            ledger,
            world.network.transport(node),
            world.ingest_url,
            backpressure=BackpressureController(),
            push_timeout_s=config.push_timeout_s,
        )
        world.trace.record(self.name, "node.ready", incarnation=node.incarnation)

    def on_crash(self, world: "World") -> None:
        self.writer = None
        self.emitter = None
        world.disk.crash()
        world.durable_index.forget()
        world.observations.crash_snapshots.append(
            snapshot_after_crash(world.ledger_files, world.ledger_root, world.conn, world.trace.record))
        world.seals.after_crash()  # before the look for new seals: a day reopened by the crash may be sealed again
        world.seals.observe_visible()
