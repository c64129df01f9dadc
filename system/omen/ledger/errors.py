"""The two typed failures of the ledger, so callers can tell "retry later" from "data is damaged".

- `LedgerWriteError`: the disk refused (full, I/O error, permission). The record was NOT written
  (or was rolled back); the caller must not push the signal and may retry. `.cause` is the OSError.
- `LedgerCorruptionError`: bytes on disk fail their checks somewhere a crash cannot explain
  (a bad frame inside a sealed segment, a bad frame followed by valid ones, an unreadable manifest).
  Nothing past that point is trusted; an operator has to look at `.partition`/`.segment`/`.offset_bytes`.
"""
from __future__ import annotations


class LedgerWriteError(Exception):
    """An OS failure on the ledger's write path (typed, never a raw OSError). The record is not durable."""

    def __init__(self, message: str, cause: OSError) -> None:
        super().__init__(
            f"{message}: {cause!r}. The record was not written; check disk space and permissions, "
            "then retry the write."
        )
        self.cause = cause
        self.__cause__ = cause


class LedgerCorruptionError(Exception):
    """Ledger bytes failed their integrity checks where a crash cannot explain it."""

    def __init__(self, partition: str, segment: str, offset_bytes: int, reason: str) -> None:
        super().__init__(
            f"ledger corruption in partition {partition!r}, segment {segment!r} at byte {offset_bytes}: "
            f"{reason}. Records before this offset are intact; inspect or restore this file before "
            "trusting anything after it."
        )
        self.partition = partition
        self.segment = segment
        self.offset_bytes = offset_bytes
        self.reason = reason


class LedgerRecordTooLargeError(ValueError):
    """A record whose frame would exceed `frame_max_bytes`; readers would refuse it, so writers do too."""


__all__ = ["LedgerCorruptionError", "LedgerRecordTooLargeError", "LedgerWriteError"]
