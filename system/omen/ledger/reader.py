"""The ledger reader: every durable record, in sequence order, and never a damaged one.

Read rule (RocksDB's tolerate-corrupted-tail mode): the active segment is the last segment of a
partition that is not sealed. Only a torn tail of that segment is tolerated: it ends the read
quietly. A bad frame followed by valid ones, or any bad frame in a sealed segment (every other
segment), raises LedgerCorruptionError naming partition, segment and byte offset. A segment is
checked whole before any of its records is yielded, so a record whose CRC fails never escapes.
The reader never writes: it leaves repairs to the writer.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.fs_port import ReadOnlyFileSystem
from omen.ledger.fs_ops import read_all
from omen.ledger.framing import END_CORRUPT, FRAME_MAX_BYTES_DEFAULT, HEADER_BYTES, SegmentScan, scan_frames
from omen.ledger.layout import is_partition_name, partition_dir, require_partition_name, segment_names
from omen.ledger.manifest import Manifest, load_manifest
from omen.schema import LedgerRecord, is_late_partition


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """What reconcile needs to decide whether a partition is due (sealed, late, highwater, revision)."""

    partition: str
    is_late: bool
    is_sealed: bool
    highwater_sequence: int
    manifest_revision: int
    record_count: int
    segments: tuple[str, ...]


class LedgerReader:
    """Reads a ledger root written by LedgerWriter, through the same `fs` port."""

    def __init__(self, root: str, *, fs: ReadOnlyFileSystem = os, frame_max_bytes: int = FRAME_MAX_BYTES_DEFAULT) -> None:
        if not isinstance(frame_max_bytes, int) or frame_max_bytes < 1:
            raise ValueError(f"frame_max_bytes must be a positive int, got {frame_max_bytes!r}")
        self._root = root
        self._fs = fs
        self._frame_max_bytes = frame_max_bytes

    def list_partitions(self) -> list[str]:
        """Partition names present under the root, sorted (main before its `-late`)."""
        try:
            entries = self._fs.listdir(self._root)
        except FileNotFoundError:
            return []
        return sorted(name for name in entries if is_partition_name(name))

    def read_partition(self, partition: str) -> Iterator[LedgerRecord]:
        """Every valid record of `partition`: segments in order, frames in order."""
        require_partition_name(partition)
        manifest, names = self._layout(partition)
        sealed = bool(manifest and manifest.sealed)
        for position, name in enumerate(names):
            data, scan = self._scan(partition, name, tolerate_torn_tail=not sealed and position == len(names) - 1)
            yield from self._records(partition, name, data, scan)

    def get_partition_highwater(self, partition: str) -> int:
        """Highest ledger_sequence in the partition: the manifest's when sealed, a scan otherwise; 0 if empty."""
        return self.get_partition_info(partition).highwater_sequence

    def get_partition_info(self, partition: str) -> PartitionInfo:
        require_partition_name(partition)
        manifest, names = self._layout(partition)
        revision = manifest.revision if manifest else 0
        if manifest is not None and manifest.sealed:
            return PartitionInfo(
                partition=partition,
                is_late=is_late_partition(partition),
                is_sealed=True,
                highwater_sequence=manifest.highwater_sequence,
                manifest_revision=revision,
                record_count=manifest.record_count,
                segments=tuple(names),
            )
        highwater = 0
        record_count = 0
        for position, name in enumerate(names):
            data, scan = self._scan(partition, name, tolerate_torn_tail=position == len(names) - 1)
            record_count += len(scan.frames)
            if scan.frames:
                highwater = max(highwater, self._parse(partition, name, data, scan.frames[-1]).sequence)
        return PartitionInfo(
            partition=partition,
            is_late=is_late_partition(partition),
            is_sealed=False,
            highwater_sequence=highwater,
            manifest_revision=revision,
            record_count=record_count,
            segments=tuple(names),
        )

    def get_manifest(self, partition: str) -> Manifest | None:
        require_partition_name(partition)
        return load_manifest(self._fs, partition_dir(self._root, partition), partition)

    def query_by_time_range(self, start: datetime, end: datetime) -> list[LedgerRecord]:
        """Records with start <= emitted_at < end, across the partitions that can hold them."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("query_by_time_range needs timezone-aware UTC bounds")
        first_day, last_day = start.date().isoformat(), end.date().isoformat()
        wanted = [p for p in self.list_partitions() if first_day <= p[:10] <= last_day]
        return [r for r in self._read_all(wanted) if start <= r.event.emitted_at < end]

    def query_by_trace_ids(self, trace_ids: Iterable[str]) -> list[LedgerRecord]:
        wanted = frozenset(trace_ids)
        return [r for r in self._read_all(self.list_partitions()) if r.event.trace_id in wanted]

    def query_by_category(self, category: str) -> list[LedgerRecord]:
        return [r for r in self._read_all(self.list_partitions()) if r.event.category == category]

    # ------------------------------------------------------------------ internals

    def _read_all(self, partitions: list[str]) -> Iterator[LedgerRecord]:
        for partition in partitions:
            yield from self.read_partition(partition)

    def _layout(self, partition: str) -> tuple[Manifest | None, list[str]]:
        path = partition_dir(self._root, partition)
        try:
            entries = self._fs.listdir(path)
        except FileNotFoundError:
            return None, []
        return load_manifest(self._fs, path, partition), segment_names(entries)

    def _scan(self, partition: str, name: str, *, tolerate_torn_tail: bool) -> tuple[bytes, SegmentScan]:
        fs = self._fs
        fd = fs.open(os.path.join(partition_dir(self._root, partition), name), os.O_RDONLY)
        try:
            data = read_all(fs, fd, fs.fstat(fd).st_size)
        finally:
            fs.close(fd)
        scan = scan_frames(data, self._frame_max_bytes, tolerate_torn_tail=tolerate_torn_tail)
        if scan.end == END_CORRUPT:
            raise LedgerCorruptionError(partition, name, scan.valid_bytes, scan.reason)
        return data, scan

    def _records(self, partition: str, name: str, data: bytes, scan: SegmentScan) -> Iterator[LedgerRecord]:
        records = [self._parse(partition, name, data, frame) for frame in scan.frames]
        yield from records

    def _parse(self, partition: str, name: str, data: bytes, frame: tuple[int, int]) -> LedgerRecord:
        offset, length = frame
        try:
            record = LedgerRecord.from_payload(data[offset + HEADER_BYTES : offset + HEADER_BYTES + length])
        except ValidationError as error:
            raise LedgerCorruptionError(partition, name, offset, "frame payload is not a ledger record") from error
        if record.partition != partition:
            raise LedgerCorruptionError(partition, name, offset, f"record claims partition {record.partition!r}")
        return record


__all__ = ["LedgerReader", "PartitionInfo"]
