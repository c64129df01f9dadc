"""The audit's concurrent POSTs: one fresh signal, written to the ledger, then POSTed `count` times at once.

Halfway through the run OMEN's node writes a new signal to the ledger and POSTs it `count` times
before any POST could have been stored: exactly one may be stored (200), every other one must get
409 with the same ack_id. A crash of OMEN cancels the burst (it runs as OMEN's task).
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from omen import LedgerWriteError, LedgerWriter, SignalEvent

if TYPE_CHECKING:
    from scenarios.catalog import ScenarioParams
    from scenarios.world import World

POSTS_MAX = 1000
POST_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ConcurrentPosts:
    count: int = 20

    def __post_init__(self) -> None:
        if not 1 <= self.count <= POSTS_MAX:
            raise ValueError(f"ConcurrentPosts.count must be in 1..{POSTS_MAX}, got {self.count}")

    def install(self, world: "World", params: "ScenarioParams") -> None:
        world.spawn("source", self._at, world, params.duration_s / 2, name="source.concurrent_posts")

    async def _at(self, world: "World", at_s: float) -> None:
        await asyncio.sleep(at_s)
        writer, clock = world.writer, world.nodes["omen"].clock
        if writer is None or not world.nodes["omen"].alive:
            world.trace.record("source", "concurrent_posts.skipped", reason="omen down")
            return
        world.spawn("omen", self._post, world, writer, clock.now(), name="omen.concurrent_posts")

    async def _post(self, world: "World", writer: LedgerWriter, now: datetime) -> None:
        event = SignalEvent.create(event_id="audit-concurrent-posts", input_event={"audit": "20 concurrent POSTs"},
                                   ruleset_version="audit", category="audit", observed_at=now, emitted_at=now)
        try:
            written = writer.write(event)
        except LedgerWriteError as error:
            world.trace.record("omen", "concurrent_posts.skipped", reason=f"ledger write failed: {error}")
            return
        body = written.model_dump_json().encode()
        transport = world.network.transport(world.nodes["omen"])

        async def one() -> None:
            try:
                status, response = await transport.post(world.ingest_url, body, POST_TIMEOUT_S)
            except (TimeoutError, ConnectionError) as error:
                world.trace.record("omen", "concurrent_posts.error", signal_id=written.signal_id,
                                   error=type(error).__name__)
                return
            world.trace.record("omen", "concurrent_posts.response", signal_id=written.signal_id, status=status,
                               ack_id=json.loads(response).get("ack_id"))

        await asyncio.gather(*(one() for _ in range(self.count)))
