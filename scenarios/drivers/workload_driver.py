"""The upstream source: hands each planned signal to OMEN at its time, as a real feed would.

While OMEN is down it keeps a bounded backlog and hands the signals over once OMEN is back (a
real feed redelivers); at most `emits_in_flight_max` emits run at once.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from omen import SignalEvent
from omen.emitter.result import EmitStatus
from omen.schema import partition_for
from scenarios.workload import PlannedSignal

if TYPE_CHECKING:
    from scenarios.world import World

# `str(status.value)` of each status, the trace's text: `value` is an enum property (a Python
# `__get__` per read, about ten times this lookup); a status outside the table takes the old way
_STATUS_TEXT: dict[EmitStatus, str] = {status: str(status.value) for status in EmitStatus}


class WorkloadDriver:
    def __init__(self, world: "World", planned: list[PlannedSignal]) -> None:
        """The driver takes `planned` over: `run` empties it as it hands each signal to OMEN.

        WHY: a run's planned signals were all held until its end, though each is needed only until
        its emit has built the event (or the source gave it up): about 660 bytes a signal of a long
        run's peak. The caller keeps what it needs of the list (its length, its last time) first."""
        self.world = world
        self.planned = planned
        self.emits_in_flight = 0
        world.on_crash("omen", self._forget_in_flight)

    def _forget_in_flight(self) -> None:
        self.emits_in_flight = 0

    async def run(self) -> None:
        world, config = self.world, self.world.config
        backlog: list[PlannedSignal] = []
        loop = world.sim.loop
        sleep = loop.sleep  # asyncio.sleep's steps, cheaper (see SimLoop.sleep)
        planned = self.planned
        planned.reverse()  # taken from the end: each item leaves the list as it is handed over
        take = planned.pop
        for _ in range(len(planned)):
            item = take()
            delay_s = item.at_s - loop._now_s  # `world.sim.now_s`, without its property's frame
            if delay_s > 0:
                await sleep(delay_s)
            backlog.append(item)
            backlog = self._hand_over(backlog)
        assert not planned, "every planned signal was handed over (or is in the backlog)"
        for _ in range(config.backlog_retries_max):
            if not backlog:
                return
            await asyncio.sleep(config.backlog_retry_s)
            backlog = self._hand_over(backlog)
        for item in backlog:
            world.trace.record("source", "emit.dropped", signal_index=item.index, reason="omen_down_too_long")

    def _hand_over(self, backlog: list[PlannedSignal]) -> list[PlannedSignal]:
        """Start an emit for each backlog item OMEN can take now; return what is left."""
        world, config = self.world, self.world.config
        if world.emitter is None or not world.nodes["omen"].alive:
            if len(backlog) > config.backlog_max:
                dropped, backlog = backlog[0], backlog[1:]
                world.trace.record("source", "emit.dropped", signal_index=dropped.index, reason="backlog_full")
            return backlog
        left: list[PlannedSignal] = []
        for item in backlog:
            if self.emits_in_flight >= config.emits_in_flight_max:
                left.append(item)
                continue
            self.emits_in_flight += 1
            if world.spawn("omen", self._emit_one, item, name=f"emit-{item.index}") is None:
                self.emits_in_flight -= 1
                left.append(item)
        return left

    async def _emit_one(self, item: PlannedSignal) -> None:
        world = self.world
        try:
            emitter = world.emitter
            assert emitter is not None
            event: SignalEvent = item.build(world.nodes["omen"].clock.now())
            # `emitted_at.astimezone(timezone.utc).date().isoformat()`: partition_for is that same UTC
            # date's ISO text (no conversion when already UTC, every event's case), memoized per date
            day = partition_for(event.emitted_at)
            world.trace.record("omen", "emit.start", signal_id=event.signal_id,
                               emitted_at=event.emitted_at.isoformat(),
                               durable=world.durable_anywhere(event.signal_id, day))
            result = await emitter.emit(event)
            world.trace.record(
                "omen",
                "emit.result",
                signal_id=result.signal_id,
                status=_STATUS_TEXT.get(result.status) or str(result.status.value),
                partition=result.ledger_partition,
                sequence=result.ledger_sequence,
                ack_id=result.ack_id,
                # the partition the writer returned, when it returned one: one lookup, not two
                durable=(world.durable_index_contains(result.ledger_partition, event.signal_id)
                         if result.ledger_partition is not None else world.durable_anywhere(event.signal_id, day)),
            )
        finally:
            self.emits_in_flight -= 1
