"""OMEN: signal schema, durable append-only ledger, hot-path emitter."""
from omen.schema import SCHEMA_VERSION, LedgerRecord, SignalEvent, generate_input_event_hash

__all__ = ["SCHEMA_VERSION", "LedgerRecord", "SignalEvent", "generate_input_event_hash"]
