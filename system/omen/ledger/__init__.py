"""OMEN's durable, append-only, partitioned ledger: framing, writer, reader (see docs/ledger-format.md)."""
from omen.ledger.errors import LedgerCorruptionError, LedgerRecordTooLargeError, LedgerWriteError
from omen.ledger.framing import encode_frame, scan_frames
from omen.ledger.layout import is_partition_name, require_partition_name
from omen.ledger.manifest import MANIFEST_FORMAT_VERSION, Manifest, SegmentEntry
from omen.ledger.reader import LedgerReader, PartitionInfo
from omen.ledger.sealer import SealFailure, SealPass, seal_due_partitions
from omen.ledger.record_parse import ScannedRecord
from omen.ledger.salvage import SalvageLoss, SalvageResult
from omen.ledger.writer import LedgerWriter, parsed_manifest_memo, recovery_scan_memo

__all__ = [
    "MANIFEST_FORMAT_VERSION",
    "LedgerCorruptionError",
    "LedgerReader",
    "LedgerRecordTooLargeError",
    "LedgerWriteError",
    "LedgerWriter",
    "Manifest",
    "PartitionInfo",
    "SealFailure",
    "SealPass",
    "SalvageLoss",
    "SalvageResult",
    "parsed_manifest_memo",
    "recovery_scan_memo",
    "ScannedRecord",
    "SegmentEntry",
    "encode_frame",
    "is_partition_name",
    "require_partition_name",
    "scan_frames",
    "seal_due_partitions",
]
