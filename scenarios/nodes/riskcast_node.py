"""RiskCast's process: the ingest endpoint on the simulated network, its store on the shared SQLite db.

A crash rolls back the open transaction (what SQLite does when the process holding it dies).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from riskcast import IngestHandler, SignalStore
from sim.json_encoder import encoder_of
from scenarios.observers.requests import described_fields

if TYPE_CHECKING:
    from scenarios.world import World

NOT_FOUND_BODY = b'{"error":"not found"}'
# json.dumps(document, sort_keys=True) for every request served, its C encoder built once
# (sim.json_encoder: about 20 k instructions per request with JSONEncoder.encode, 12 k without)
_encode_document = encoder_of(json.JSONEncoder(sort_keys=True))


class RiskcastNode:
    name = "riskcast"

    def start(self, world: "World") -> None:
        node = world.nodes[self.name]
        store = SignalStore(world.sql_runner(), clock=node.clock, ack_ids=world.next_ack_id,
                            commit_rows_max=world.config.store_commit_rows_max)
        handler = IngestHandler(store)
        trace, ingest_path = world.trace, world.ingest_path

        async def route(path: str, body: bytes) -> tuple[int, bytes]:
            if path != ingest_path:
                return 404, NOT_FOUND_BODY
            status, document = await handler.handle(body)
            trace.record(self.name, "ingest.result", signal_id=described_fields(body)[0], status=status,
                         ack_id=document.get("ack_id"))
            return status, _encode_document(document).encode()

        world.network.register(world.riskcast_address, node, route)
        trace.record(self.name, "node.ready", incarnation=node.incarnation)

    def on_crash(self, world: "World") -> None:
        if world.conn.in_transaction:
            world.conn.rollback()
