"""Salvage: read a damaged partition past its damage, yield every intact record, report the exact loss.

RocksDB's skip-any-corrupted-records recovery mode, made accountable. The strict reader stops at the
first damage (one flipped bit makes a whole partition unreadable); salvage instead resynchronizes on
the next frame whose header and CRC check out, whose payload is a strictly valid record of this
partition, and whose sequence continues the partition (it is above the last intact one). Every byte
range it skips becomes a `SalvageLoss` naming partition, segment, byte range and the range of
sequence numbers that may have been lost there (between the intact records around it; the upper
bound comes from the next intact record, else from the manifest's highwater, else it is unknown).

What it also holds the partition to: a segment the manifest lists as sealed must exist and have the
manifest's size (a missing or shortened sealed segment is a loss); an unreadable manifest is
reported and the segments are read without it. A torn tail of the active segment (what a crash
mid-append leaves, never acknowledged) is not a loss: it is reported apart, as the strict reader
would tolerate it. Salvage only reads; it never repairs the ledger in place.

WHY it judges some frames at once: salvage judges every frame on its own, but most segments of a
damaged partition have no damage at all, and building a one-frame `SegmentRecords` per frame cost
more than the check. The leading frames a CRC scan finds valid are judged as one segment's records
when each reads there exactly as it reads alone (`frames_read_alone_alike`); each is still
validated strictly before it is kept, and the walk goes on frame by frame from the first frame not
kept. A payload kept by an earlier salvage of the segment (same offset, same bytes) reuses that
parse: its validation is a pure function of the bytes, so the same bytes are never parsed twice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from omen.ledger.bytes_memo import BytesMemo
from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.fs_ops import read_all
from omen.ledger.framing import HEADER_BYTES, TAIL_SEARCH_CRC_FACTOR, find_valid_frame, frame_at, scan_frames
from omen.ledger.layout import partition_dir, segment_names
from omen.ledger.manifest import Manifest, SegmentEntry, load_manifest
from omen.ledger.record_parse import ScannedRecord, SegmentRecords, frames_read_alone_alike
from omen.schema import LedgerRecord

WRITE_BITS = 0o222
SKIPPED_SEQUENCES_MAX = 1_000  # per loss: more would be a flood of duplicates, the range says enough


@dataclass(frozen=True, slots=True)
class SalvageLoss:
    """Bytes [start_byte, end_byte) of `segment` held no intact record. Sequences
    sequence_first..sequence_last (inclusive; last None: unknown) may have been lost there; an
    empty range (last < first) means the damage held no record that was not read elsewhere."""

    partition: str
    segment: str
    start_byte: int
    end_byte: int
    sequence_first: int
    sequence_last: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition, "segment": self.segment, "start_byte": self.start_byte,
            "end_byte": self.end_byte, "sequence_first": self.sequence_first,
            "sequence_last": self.sequence_last, "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class SalvageResult:
    partition: str
    records: tuple[ScannedRecord, ...]
    losses: tuple[SalvageLoss, ...]
    torn_tail_bytes: int
    manifest: Manifest | None
    manifest_error: str | None

    @property
    def clean(self) -> bool:
        """Nothing lost and the manifest readable: a strict read would have yielded the same records."""
        return not self.losses and self.manifest_error is None


@dataclass(slots=True)
class _Pending:
    segment: str
    start_byte: int
    end_byte: int
    sequence_first: int
    reason: str


_ACCEPT, _DAMAGED, _TORN_TAIL = "accept", "damaged", "torn_tail"


@dataclass(slots=True)
class _Walk:
    partition: str
    frame_max_bytes: int
    last_sequence: int = 0
    records: list[ScannedRecord] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    losses: list[SalvageLoss] = field(default_factory=list)
    torn_tail_bytes: int = 0
    steps: list[tuple] | None = None  # while a segment's walk is recorded: what it did, in order

    def damaged(self, segment: str, start: int, end: int, reason: str, skipped: list[int]) -> None:
        if self.steps is not None:
            self.steps.append((_DAMAGED, segment, start, end, reason, tuple(skipped)))
        first = min([self.last_sequence + 1, *skipped])
        self.pending.append(_Pending(segment, start, end, first, reason))

    def torn_tail(self, size_bytes: int) -> None:
        if self.steps is not None:
            self.steps.append((_TORN_TAIL, size_bytes))
        self.torn_tail_bytes = size_bytes

    def accept(self, record: ScannedRecord) -> None:
        self.accept_run([record])

    def accept_run(self, records: list[ScannedRecord]) -> None:
        """Keep `records` (strictly valid, sequences increasing above the last kept), in order."""
        assert records and records[0].sequence > self.last_sequence, "a kept record continues the partition"
        if self.steps is not None:
            if self.steps and self.steps[-1][0] == _ACCEPT:
                self.steps[-1][1].extend(records)  # one step per run of kept records: replayed at C speed
            else:
                self.steps.append((_ACCEPT, list(records)))
        for loss in self.pending:
            self.losses.append(SalvageLoss(self.partition, loss.segment, loss.start_byte, loss.end_byte,
                                           loss.sequence_first, records[0].sequence - 1, loss.reason))
        self.pending.clear()
        self.records.extend(records)
        self.last_sequence = records[-1].sequence

    def finish(self, highwater: int | None) -> None:
        last = highwater if highwater is not None and highwater > self.last_sequence else None
        for loss in self.pending:
            self.losses.append(SalvageLoss(self.partition, loss.segment, loss.start_byte, loss.end_byte,
                                           loss.sequence_first, last, loss.reason))
        self.pending.clear()


# What salvage parsed before in one segment: frame offset -> (payload bytes, the record they parse to).
_Parsed = dict[int, tuple[bytes, LedgerRecord]]


def _prior_parse(parsed: _Parsed, data: bytes, offset: int, length: int) -> LedgerRecord | None:
    """The record parsed before from the payload of `length` bytes framed at `offset`, if byte for byte equal."""
    known = parsed.get(offset)
    if known is None or len(known[0]) != length or not data.startswith(known[0], offset + HEADER_BYTES):
        return None
    return known[1]


def _record_at(walk: _Walk, segment: str, data: bytes, offset: int, parsed: _Parsed) -> ScannedRecord | None:
    """The strictly valid record of this partition framed at `offset` (CRC checked), or None."""
    length = frame_at(data, offset, walk.frame_max_bytes)
    if length is None:
        return None
    try:
        frame = SegmentRecords(walk.partition, segment, data[offset : offset + HEADER_BYTES + length], ((0, length),),
                               base_offset_bytes=offset)
        # salvage validates every record it keeps (the bytes around it were damaged), parsing the
        # same payload bytes only once (the frame a search resynchronizes on is met again next)
        parsed[offset] = (frame.payload(0), frame.validated(0, parsed=_prior_parse(parsed, data, offset, length)))
        (record,) = frame.records()
    except LedgerCorruptionError:
        return None
    return record


def _intact_prefix(walk: _Walk, segment: str, data: bytes, frames: tuple[tuple[int, int], ...],
                   parsed: _Parsed) -> tuple[list[ScannedRecord], ScannedRecord | None, int]:
    """The leading run of `frames` (CRC-checked by a scan) that the frame-by-frame walk would keep,
    judged at once: (kept records, the record of the first frame not kept if it is strictly valid,
    how many frames were judged). Empty when the frames cannot be read as one (see
    `frames_read_alone_alike`): the walk then judges every frame alone.

    WHY exact: at each of these offsets the walk finds a CRC-valid frame (the scan checked the
    same bytes by the same rule) and keeps it when it is strictly valid and its sequence is above
    the last kept one; a frame of this segment's records carries the sequence and signal id it
    would carry read alone, and is validated the same way, so the walk keeps the same records."""
    read = frames_read_alone_alike(walk.partition, data, frames)
    if read is None:
        return [], None, 0
    records = SegmentRecords(walk.partition, segment, data, frames, read=read)
    sequences = records.sequences
    kept = records.records()
    last_sequence = walk.last_sequence
    for index, (offset, length) in enumerate(frames):
        try:
            records.validated(index, parsed=_prior_parse(parsed, data, offset, length))
        except LedgerCorruptionError:
            return kept[:index], None, index + 1
        if sequences[index] <= last_sequence:
            return kept[:index], kept[index], index + 1
        last_sequence = sequences[index]
    return kept, None, len(frames)


class SalvageMemo:
    """What salvaging each segment did, by (partition, segment), replayed while the bytes are the same.

    WHY: reconcile salvages a damaged partition again at every pass (its report is the point), and
    each pass validated every record of every segment again, strictly, through pydantic. Salvaging
    one segment is a pure function of its bytes, its name, the frame limit, the tail rule and the
    last sequence before it; its effect on the walk is the ordered list of what it accepted, what
    it found damaged and the torn tail. Given the same inputs, replaying that list does to the walk
    exactly what salvaging again would, so the answer (records, losses, torn tail) is identical.
    Bytes are compared whole, so rot or a rewrite is salvaged afresh. Bounded in bytes held
    (`BytesMemo`, as the reader's memo of verified segments).
    """

    def __init__(self, bytes_max: int) -> None:
        self._known: BytesMemo[tuple] = BytesMemo(bytes_max)

    def salvage(self, walk: _Walk, segment: str, data: bytes, *, tolerate_torn_tail: bool) -> None:
        key = (walk.partition, segment)
        inputs = (walk.frame_max_bytes, tolerate_torn_tail, walk.last_sequence)
        known = self._known.get(key, inputs, data)
        if known is not None:
            _replay(walk, known)
            return
        assert walk.steps is None
        walk.steps = []
        try:
            _salvage_segment(walk, segment, data, tolerate_torn_tail=tolerate_torn_tail,
                             parsed=_parsed_by(self._known.latest(key)))
            steps = tuple(walk.steps)
        finally:
            walk.steps = None
        self._known.put(key, inputs, data, steps)


def _parsed_by(steps: tuple | None) -> _Parsed:
    """What the records an earlier salvage of a segment kept were parsed from, by offset.

    WHY: a segment salvaged again holds mostly the same frames at the same offsets (an active
    segment grew, or rot struck elsewhere in it), and each was validated then. A record's strict
    parse is a pure function of its partition and payload bytes, so a payload equal byte for byte
    reuses it (the cross-check against the bytes still runs: `SegmentRecords.validated`)."""
    parsed: _Parsed = {}
    for step in steps or ():
        if step[0] == _ACCEPT:
            for record in step[1]:
                parsed[record.offset_bytes] = (record.payload, record.record)
    return parsed


def _replay(walk: _Walk, steps: tuple) -> None:
    for step in steps:
        if step[0] == _ACCEPT:
            walk.accept_run(step[1])
        elif step[0] == _DAMAGED:
            walk.damaged(step[1], step[2], step[3], step[4], list(step[5]))
        else:
            assert step[0] == _TORN_TAIL
            walk.torn_tail(step[1])


def _salvage_segment(walk: _Walk, segment: str, data: bytes, *, tolerate_torn_tail: bool,
                     parsed: _Parsed | None = None) -> None:
    """Walk `data` frame by frame, keeping what is intact and reporting what is not (module docstring).
    `parsed`: what an earlier salvage of this segment parsed, by offset (reused for equal payloads)."""
    parsed = {} if parsed is None else parsed
    size = len(data)
    budget = TAIL_SEARCH_CRC_FACTOR * size
    # the leading frames a scan finds CRC-valid are judged at once (`_intact_prefix`); the walk
    # starts after the ones kept, at the first frame refused (whose judgement is already known)
    frames = scan_frames(data, walk.frame_max_bytes, tolerate_torn_tail=tolerate_torn_tail).frames
    kept, refused, judged = _intact_prefix(walk, segment, data, frames, parsed)
    if kept:
        walk.accept_run(kept)
    offset = frames[len(kept) - 1][0] + HEADER_BYTES + frames[len(kept) - 1][1] if kept else 0
    judged_at = frames[len(kept)][0] if judged > len(kept) else None
    for _ in range(size + 1):
        if offset >= size:
            return
        record = refused if offset == judged_at else _record_at(walk, segment, data, offset, parsed)
        judged_at = None
        if record is not None and record.sequence > walk.last_sequence:
            walk.accept(record)
            offset += HEADER_BYTES + len(record.payload)
            continue
        skipped = [record.sequence] if record is not None else []
        start = offset
        resync: int | None = None
        reason = "frame fails its checks" if record is None else f"sequence {record.sequence} does not continue {walk.last_sequence}"
        search_from = offset + 1
        for _ in range(size):
            search = find_valid_frame(data, search_from, walk.frame_max_bytes, budget)
            budget -= search.checked_bytes
            if search.offset is None:
                if search.exhausted:
                    reason += "; the search for the next frame gave up (too many frame-like headers)"
                break
            candidate = _record_at(walk, segment, data, search.offset, parsed)
            if candidate is not None and candidate.sequence > walk.last_sequence:
                resync = search.offset
                break
            if candidate is not None and len(skipped) < SKIPPED_SEQUENCES_MAX:
                skipped.append(candidate.sequence)
            search_from = search.offset + 1
        end = size if resync is None else resync
        if resync is None and not skipped and tolerate_torn_tail and size - start <= HEADER_BYTES + walk.frame_max_bytes:
            walk.torn_tail(size - start)
            return
        walk.damaged(segment, start, end, reason, skipped)
        offset = end


def salvage_partition(fs: Any, root: str, partition: str, frame_max_bytes: int,
                      memo: SalvageMemo | None = None) -> SalvageResult:
    """Read `partition` past any damage (see the module docstring). OSError from the port propagates.
    With `memo`, a segment salvaged before with the same bytes and inputs is replayed (same answer)."""
    path = partition_dir(root, partition)
    try:
        entries = fs.listdir(path)
    except FileNotFoundError:
        return SalvageResult(partition, (), (), 0, None, None)
    manifest: Manifest | None = None
    manifest_error: str | None = None
    try:
        manifest = load_manifest(fs, path, partition)
    except LedgerCorruptionError as error:
        manifest_error = error.reason
    present = segment_names(entries)
    held: dict[str, SegmentEntry] = {}
    if manifest is not None:
        held = {entry.name: entry for entry in manifest.segments if manifest.sealed or entry.sealed}
    names = sorted(set(present) | set(held))
    walk = _Walk(partition, frame_max_bytes)
    partition_sealed = bool(manifest and manifest.sealed)
    for position, name in enumerate(names):
        entry = held.get(name)
        if name not in present:
            assert entry is not None
            walk.damaged(name, 0, entry.size_bytes, "a segment the manifest lists as sealed is missing", [])
            continue
        fd = fs.open(os.path.join(path, name), os.O_RDONLY)
        try:
            stat = fs.fstat(fd)
            data = read_all(fs, fd, stat.st_size)
        finally:
            fs.close(fd)
        active = (not partition_sealed and entry is None and position == len(names) - 1
                  and (stat.st_mode & WRITE_BITS) != 0)
        before_sequence, before_count = walk.last_sequence, len(walk.records)
        before_damage = len(walk.pending) + len(walk.losses)
        if memo is None:
            _salvage_segment(walk, name, data, tolerate_torn_tail=active)
        else:
            memo.salvage(walk, name, data, tolerate_torn_tail=active)
        kept = len(walk.records) - before_count
        found_damage = len(walk.pending) + len(walk.losses) > before_damage
        if entry is not None and not found_damage and (len(data) != entry.size_bytes or kept != entry.record_count):
            # frames are missing, and which ones is unknown: from the first gap in the sequences
            # kept (numbers may have gaps, so a gap is where a lost frame can be) to the next intact record
            sequences = [before_sequence, *(record.sequence for record in walk.records[before_count:])]
            first = next((a + 1 for a, b in zip(sequences, sequences[1:]) if b != a + 1), sequences[-1] + 1)
            walk.pending.append(_Pending(
                name, min(len(data), entry.size_bytes), entry.size_bytes, first,
                f"sealed segment holds {kept} intact records in {len(data)} bytes, its manifest says "
                f"{entry.record_count} in {entry.size_bytes}",
            ))
    walk.finish(manifest.highwater_sequence if manifest is not None else None)
    return SalvageResult(partition, tuple(walk.records), tuple(walk.losses), walk.torn_tail_bytes, manifest, manifest_error)


__all__ = ["SalvageLoss", "SalvageMemo", "SalvageResult", "salvage_partition"]
