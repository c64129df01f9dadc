"""RiskCast's process: the ingest endpoint on the simulated network, its store on the shared SQLite db.

A crash rolls back the open transaction (what SQLite does when the process holding it dies).
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
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


def _document_bytes(document: dict) -> bytes:
    """`_encode_document(document).encode()`. An answer of RiskCast's common shape (200 accepted,
    409 duplicate: exactly `ack_id`, `signal_id`, `status`, each an exact str) is written out in
    that sorted key order with the same separators and the same ASCII string escaper the encoder
    uses: the same text, without sorting the items and joining chunks (once per request)."""
    if len(document) == 3:
        ack_id, signal_id, status = document.get("ack_id"), document.get("signal_id"), document.get("status")
        if type(ack_id) is str and type(signal_id) is str and type(status) is str:
            # one f-string: the pieces joined once, not six concatenations each making a string
            return (f'{{"ack_id": {encode_basestring_ascii(ack_id)}, "signal_id": '
                    f'{encode_basestring_ascii(signal_id)}, "status": {encode_basestring_ascii(status)}}}').encode()
    return _encode_document(document).encode()


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
            return status, _document_bytes(document)

        world.network.register(world.riskcast_address, node, route)
        trace.record(self.name, "node.ready", incarnation=node.incarnation)

    def on_crash(self, world: "World") -> None:
        if world.conn.in_transaction:
            world.conn.rollback()
