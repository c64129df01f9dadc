"""OMEN: signal schema, durable append-only ledger, hot-path emitter."""
from omen.clock import Clock, FixedClock, SystemClock
from omen.ledger import (
    LedgerCorruptionError,
    LedgerReader,
    LedgerRecordTooLargeError,
    LedgerWriteError,
    LedgerWriter,
    Manifest,
    PartitionInfo,
)
from omen.ports import Transport
from omen.schema import SCHEMA_VERSION, LedgerRecord, SignalEvent, generate_input_event_hash, partition_for

__all__ = [
    "SCHEMA_VERSION",
    "Clock",
    "FixedClock",
    "LedgerCorruptionError",
    "LedgerReader",
    "LedgerRecord",
    "LedgerRecordTooLargeError",
    "LedgerWriteError",
    "LedgerWriter",
    "Manifest",
    "PartitionInfo",
    "SignalEvent",
    "SystemClock",
    "Transport",
    "generate_input_event_hash",
    "partition_for",
]

# the hot-path emitter (appended by the emitter part; keep at the end: it imports omen.ledger)
from omen.emitter import BackpressureController, EmitResult, EmitStatus, SignalEmitter  # noqa: E402

__all__ += ["BackpressureController", "EmitResult", "EmitStatus", "SignalEmitter"]
