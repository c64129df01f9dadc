"""Turning a CRC-checked frame payload into a record: strictly, with only typed failures, and lazily.

Strict: a payload is parsed in pydantic's strict mode, so a sequence written as the string "5" is
refused rather than coerced (the writer never writes one). Typed: whatever a payload holds (a
timestamp whose conversion to UTC overflows, invalid UTF-8, a wrong type) ends as
`LedgerCorruptionError` naming partition, segment and offset, never a bare OverflowError.

Lazy: reconcile and the checkers need only a record's sequence and signal_id for most records, and
a full validation costs about forty times the CRC. `ScannedRecord` holds the CRC-checked payload,
reads those two fields straight from the bytes when each occurs exactly once where the writer puts
them, and validates the whole record only when `.record` is asked for (then it also checks that the
full parse agrees with what was read from the bytes).
"""
from __future__ import annotations

from pydantic import ValidationError

from omen.ledger.errors import LedgerCorruptionError
from omen.schema import LedgerRecord

# Everything pydantic or a validator can raise on hostile bytes: a timestamp overflowing on its way
# to UTC raises OverflowError from inside a validator, bad UTF-8 a UnicodeDecodeError (a ValueError).
PAYLOAD_ERRORS = (ValidationError, ValueError, OverflowError, TypeError, RecursionError)

_SIGNAL_ID_KEY = b'"signal_id":"'
_SEQUENCE_DIGITS_MAX = 19  # a sequence is below 2**63 (SQLite's integer range ends there)
_SIGNAL_ID_BYTES_MAX = 64


def parse_record(partition: str, segment: str, offset_bytes: int, payload: bytes) -> LedgerRecord:
    """The strict, fully validated record of one frame payload of `partition`, or corruption."""
    try:
        record = LedgerRecord.model_validate_json(payload, strict=True)
    except PAYLOAD_ERRORS as error:
        raise LedgerCorruptionError(
            partition, segment, offset_bytes, f"frame payload is not a ledger record ({type(error).__name__})"
        ) from error
    if record.partition != partition:
        raise LedgerCorruptionError(partition, segment, offset_bytes, f"record claims partition {record.partition!r}")
    return record


def sequence_key(partition: str) -> bytes:
    """The bytes that precede a record's sequence in its payload, partition included."""
    return b'"ledger_partition":' + b'"' + partition.encode() + b'","ledger_sequence":'


def _unique(payload: bytes, key: bytes) -> int:
    start = payload.find(key)
    if start < 0 or payload.rfind(key) != start:
        return -1
    return start + len(key)


def peek_sequence(payload: bytes, key: bytes) -> int | None:
    """The sequence as the writer encodes it (compact JSON, after this partition's name), or None
    when the bytes do not say it unambiguously: then only a full parse may answer."""
    start = _unique(payload, key)
    if start < 0:
        return None
    end = start
    limit = min(len(payload), start + _SEQUENCE_DIGITS_MAX + 1)
    while end < limit and 48 <= payload[end] <= 57:
        end += 1
    if end == start or end - start > _SEQUENCE_DIGITS_MAX or payload[start] == 48:
        return None  # no digits, too many, or a leading zero (not JSON): let the strict parse decide
    if not payload.startswith(b',"ledger_written_at":"', end):
        return None
    return int(payload[start:end])


def peek_signal_id(payload: bytes) -> str | None:
    """The signal_id as the writer encodes it, or None when the bytes do not say it unambiguously."""
    start = _unique(payload, _SIGNAL_ID_KEY)
    if start < 0:
        return None
    end = payload.find(b'"', start, start + _SIGNAL_ID_BYTES_MAX + 1)
    if end <= start:
        return None
    raw = payload[start:end]
    if b"\\" in raw or not raw.isascii():
        return None
    return raw.decode("ascii")


class ScannedRecord:
    """One CRC-checked frame of a partition; the full record is validated on first use of `.record`."""

    __slots__ = ("partition", "segment", "offset_bytes", "sequence", "payload", "_record")

    def __init__(self, partition: str, segment: str, offset_bytes: int, payload: bytes, key: bytes) -> None:
        self.partition = partition
        self.segment = segment
        self.offset_bytes = offset_bytes
        self.payload = payload
        self._record: LedgerRecord | None = None
        sequence = peek_sequence(payload, key)
        if sequence is None:
            sequence = self.record.sequence
        self.sequence: int = sequence

    @property
    def record(self) -> LedgerRecord:
        """The strictly validated record; LedgerCorruptionError when the payload is not one of ours."""
        record = self._record
        if record is None:
            record = parse_record(self.partition, self.segment, self.offset_bytes, self.payload)
            claimed = getattr(self, "sequence", None)
            if claimed is not None and claimed != record.sequence:
                raise LedgerCorruptionError(
                    self.partition, self.segment, self.offset_bytes,
                    f"payload bytes say sequence {claimed}, its record says {record.sequence}",
                )
            self._record = record
        return record

    @property
    def signal_id(self) -> str:
        if self._record is not None:
            return self._record.event.signal_id
        peeked = peek_signal_id(self.payload)
        return peeked if peeked is not None else self.record.event.signal_id

    def __repr__(self) -> str:
        return f"ScannedRecord({self.partition!r}, {self.segment!r}, offset={self.offset_bytes}, sequence={self.sequence})"


__all__ = ["PAYLOAD_ERRORS", "ScannedRecord", "parse_record", "peek_sequence", "peek_signal_id", "sequence_key"]
