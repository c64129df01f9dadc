"""The ledger writer: append a signal durably, then (and only then) hand it back.

Durability recipe for one record (ledger-first; docs/ledger-format.md, "Durability"):
- the frame is appended with one looped `fs.write` and the segment is fsynced; a new segment's
  directory is fsynced, and a new partition directory's parent too;
- `_CURRENT` and `_manifest.json` change only by temp file + fsync + replace + directory fsync;
- `ledger_sequence` is partition-wide; on open it is recovered from the segments themselves
  (the manifest's highwater is only a floor), so it strictly increases across rollovers and restarts.

Failure handling: any OSError inside `write()` before the frames are durable rolls the active
segment back to its size before the write (truncate + fsync, best effort) and marks the partition
for a rescan from disk before its next append. After an fsync EIO the bytes may still be readable
but will not survive a crash; truncating them away is the only way to make both views agree. A
late partition's manifest, rewritten once its frames are durable, never undoes them when it fails
(`_follow_late_growth`). A sequence number handed out in this process is never handed out again,
even when its record was rolled back.

Recovery on first touch of a partition: leftover temp files removed, a torn tail of the active
segment truncated and fsynced, unfinished rollovers completed (older segments made read-only),
an empty active segment removed (its directory entry may not be durable), `_CURRENT` repaired.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zlib import crc32

from omen.clock import Clock, SystemClock
from omen.ledger.bytes_memo import BytesMemo
from omen.ledger.errors import LedgerCorruptionError, LedgerRecordTooLargeError, LedgerWriteError
from omen.ledger.fs_port import FileSystem
from omen.ledger.fs_ops import fsync_dir, fsync_file, read_all, read_file, replace_atomically, write_all
from omen.ledger.framing import (END_CORRUPT, END_TORN, FRAME_MAX_BYTES_DEFAULT, HEADER, HEADER_BYTES, SegmentScan,
                                 encode_frame, scan_frames)
from omen.ledger.layout import (
    CURRENT_NAME,
    FILE_MODE_NEW,
    MANIFEST_NAME,
    SEGMENT_MODE_SEALED,
    TEMP_SUFFIX,
    joined,
    partition_dir,
    require_partition_name,
    segment_index,
    segment_name,
    segment_names,
)
from omen.ledger.manifest import Manifest, SegmentEntry, parse_manifest, read_manifest_bytes  # noqa: F401 (SegmentEntry: the zoo's manifest bug builds entries through this module)
from omen.ledger.manifest_entries import (SealedEntries, entry_and_json, manifest_bytes, manifest_header_and_json,
                                         with_segments)
from omen.ledger.record_parse import parse_record
from omen.schema import LedgerRecord, SignalEvent, is_late_partition, late_partition, partition_for

SEGMENT_MAX_BYTES_DEFAULT = 64 * 1024 * 1024
SEGMENT_MAX_RECORDS_DEFAULT = 100_000
GROUP_EVENTS_MAX = 100_000
WRITE_BITS = 0o222
# the recovery scans the writer keeps (their bytes: the equality test needs them)
RECOVERY_SCAN_BYTES_MAX = 64 * 1024 * 1024
# the manifests the writer parsed, one per partition, kept with their bytes
PARSED_MANIFEST_BYTES_MAX = 16 * 1024 * 1024
# `encode_frame`'s header packing, bound once: `write` frames every record inline
_pack_header = HEADER.pack
# The record's payload builder, bound once: an attribute of a model class goes through pydantic's
# metaclass `__getattr__` hook (about 850 instructions a read), and `write` asks for it per record.
# `LedgerRecord.payload_of` is this very bound classmethod (the class is final: nothing rebinds it).
_payload_of = LedgerRecord.payload_of

# segment path -> (its scan, its last record's sequence, or None if the scan ended corrupt), under
# (tail rule, frame limit): what `LedgerWriter` remembers of the segments its recoveries read
RecoveryScans = BytesMemo[tuple[SegmentScan, int | None]]


def recovery_scan_memo(bytes_max: int = RECOVERY_SCAN_BYTES_MAX) -> RecoveryScans:
    """A memo of recovery scans that several writers over states of one ledger may share
    (`LedgerWriter(..., recovery_scans=...)`): each answer is keyed by the segment's path and
    bytes and the rules it was scanned under, so a writer only ever reuses what it would compute."""
    return BytesMemo(bytes_max)


# partition name -> the manifest its bytes parsed to: what `LedgerWriter` remembers of the manifests
# its recoveries read
ParsedManifests = BytesMemo[Manifest]


def parsed_manifest_memo(bytes_max: int = PARSED_MANIFEST_BYTES_MAX) -> ParsedManifests:
    """A memo of parsed manifests that several writers over states of one ledger may share
    (`LedgerWriter(..., parsed_manifests=...)`): each parse is keyed by the partition's name and
    the manifest's bytes, the two things `parse_manifest` reads, so a writer only ever reuses what
    it would compute (a failed parse is never kept)."""
    return BytesMemo(bytes_max)


class LedgerBatchWriteError(LedgerWriteError):
    """A group commit stopped part-way. `.written`: the durable prefix of the batch, placed; the rest is not written."""

    def __init__(self, message: str, cause: OSError, written: list[SignalEvent]) -> None:
        super().__init__(f"{message} (the first {len(written)} records of the batch are durable)", cause)
        self.written = list(written)


class LedgerBatchRecordTooLargeError(LedgerRecordTooLargeError):
    """A group commit met a record that can never fit a frame. `.written`: the durable prefix before it."""

    def __init__(self, message: str, written: list[SignalEvent]) -> None:
        super().__init__(f"{message} (the first {len(written)} records of the batch are durable)")
        self.written = list(written)


@dataclass(slots=True)
class _Segment:
    name: str
    record_count: int
    size_bytes: int
    sealed: bool


@dataclass(slots=True)
class _Partition:
    """What the writer knows of one partition; rebuilt from disk whenever `needs_recovery`."""

    name: str
    path: str
    is_late: bool
    dir_exists: bool = False
    sealed: bool = False
    sealed_at: datetime | None = None
    segments: list[_Segment] = field(default_factory=list)
    highwater: int = 0
    sequence_floor: int = 0
    revision: int = 0
    manifest: Manifest | None = None
    fd: int | None = None
    needs_recovery: bool = True
    rollback: tuple[str, int] | None = None
    sealed_entries: SealedEntries = field(default_factory=SealedEntries)
    active_path: tuple[_Segment | None, str] = (None, "")  # the last segment appended to, and its path


def _segment_path(state: _Partition, segment: _Segment) -> str:
    """`os.path.join(state.path, segment.name)`, joined once per segment (every append asks for it)."""
    cached_segment, path = state.active_path
    if cached_segment is not segment:
        path = joined(state.path, segment.name)
        state.active_path = (segment, path)
    return path


class LedgerWriter:
    """Durable, append-only, partitioned ledger of signals. Not thread-safe: one writer per root."""

    def __init__(
        self,
        root: str,
        *,
        fs: FileSystem = os,
        clock: Clock = SystemClock(),
        segment_max_bytes: int = SEGMENT_MAX_BYTES_DEFAULT,
        segment_max_records: int = SEGMENT_MAX_RECORDS_DEFAULT,
        frame_max_bytes: int = FRAME_MAX_BYTES_DEFAULT,
        recovery_scans: RecoveryScans | None = None,
        parsed_manifests: ParsedManifests | None = None,
    ) -> None:
        """`recovery_scans`, `parsed_manifests`: memos shared with other writers (`recovery_scan_memo`,
        `parsed_manifest_memo`); default its own."""
        for label, value in (
            ("segment_max_bytes", segment_max_bytes),
            ("segment_max_records", segment_max_records),
            ("frame_max_bytes", frame_max_bytes),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive int, got {value!r}")
        if frame_max_bytes >= 2**32:
            raise ValueError(f"frame_max_bytes must fit the u32 length field, got {frame_max_bytes}")
        self._root = root
        self._fs = fs
        self._clock = clock
        self._segment_max_bytes = segment_max_bytes
        self._segment_max_records = segment_max_records
        self._frame_max_bytes = frame_max_bytes
        self._partitions: dict[str, _Partition] = {}
        self._root_ready = False
        self._closed = False
        # segment path -> (its scan, last sequence) of the last recovery that read it, under its tail
        # rule and frame limit. WHY: a partition the writer cannot recover (a sealed segment rotted)
        # is recovered again at every write to its day, and each attempt checked every frame's CRC
        # of every segment again. Every attempt still reads every byte; only bytes equal to those
        # scanned before, under the same rules, reuse that scan (the same answer, so the same error
        # or repair).
        self._recovery_scans: RecoveryScans = recovery_scan_memo() if recovery_scans is None else recovery_scans
        # partition -> its manifest as last parsed, while its bytes stay the same. WHY: each of those
        # recoveries parsed the manifest again, strictly (it lists every sealed segment of the day).
        # The bytes are still read at every attempt; a parse is a pure function of them and the
        # partition's name, and only a successful one is kept (a damaged manifest fails each time
        # by parsing again, with the same error).
        self._manifests: ParsedManifests = parsed_manifest_memo() if parsed_manifests is None else parsed_manifests

    # ------------------------------------------------------------------ public API

    def write(self, event: SignalEvent) -> SignalEvent:
        """Append `event`; return it with ledger_partition/sequence/written_at set, once durable.

        Raises LedgerWriteError (the record is not in the ledger; retry later),
        LedgerCorruptionError (the partition's bytes are damaged beyond a torn tail),
        LedgerRecordTooLargeError (the record can never fit a frame).
        """
        if self._closed:  # `_require_open`, inlined: every record pays for this method's frames
            raise ValueError("this LedgerWriter is closed; construct a new one to write again")
        main = partition_for(event.emitted_at)
        state = self._partitions.get(main)
        if state is None or state.needs_recovery or state.sealed:
            # `_partition_for_write` answers an open, recovered, unsealed partition with itself; only
            # the rest (first touch, a rescan, the detour to `{date}-late`) needs its frame
            try:
                state = self._partition_for_write(main)
            except OSError as error:
                raise LedgerWriteError(f"could not open the ledger partition for signal {event.signal_id}", error) from error
        written_at = self._clock.now()
        assert written_at.tzinfo is not None, "the clock port must return tz-aware UTC datetimes"
        highwater, floor = state.highwater, state.sequence_floor
        sequence = (highwater if highwater > floor else floor) + 1
        assert sequence > highwater, "a new record's sequence lies above the partition's highwater"
        placed = event.with_ledger_metadata(partition=state.name, sequence=sequence, written_at=written_at)
        payload = _payload_of(placed)
        payload_bytes = len(payload)
        if payload_bytes > self._frame_max_bytes:
            raise LedgerRecordTooLargeError(
                f"signal {event.signal_id} encodes to {payload_bytes} bytes, above frame_max_bytes="
                f"{self._frame_max_bytes}; shrink its payload or raise the limit for writer and readers"
            )
        state.sequence_floor = sequence
        # `encode_frame(payload)`, inlined (a test holds the segment bytes to it)
        assert payload_bytes > 0, "an empty payload cannot be framed: a zero header must never be valid"
        frame = _pack_header(payload_bytes, crc32(payload)) + payload
        try:
            self._append(state, frame, sequence)
        except OSError as error:
            self._roll_back(state)
            raise LedgerWriteError(
                f"could not durably append signal {event.signal_id} to partition {state.name}", error
            ) from error
        return placed

    def write_many(self, events: list[SignalEvent]) -> list[SignalEvent]:
        """Group commit: append `events` in order with one write and one fsync per run; return them placed.

        A run is a maximal stretch of consecutive events that go to the same partition and fit its
        active segment (a rollover ends a run: sealing the old segment fsyncs it), at most
        `frame_max_bytes` long (so a torn run still reads as one torn tail). So a batch of one
        partition costs one fsync, where `write` costs one per record. Ledger-first holds per record:
        nothing is returned before the fsync of its run returned.

        On failure raises LedgerBatchWriteError: `.written` is the durable PREFIX of `events`
        (placed, safe to push), every other event is not in the ledger (its run was rolled back)
        and may be retried. A record too large for a frame stops the batch there with
        LedgerBatchRecordTooLargeError, which carries `.written` too.
        """
        self._require_open()
        if len(events) > GROUP_EVENTS_MAX:
            raise ValueError(f"write_many takes at most {GROUP_EVENTS_MAX} events, got {len(events)}; split the batch")
        written: list[SignalEvent] = []
        position = 0
        for _ in range(len(events) + 1):
            if position == len(events):
                return written
            position = self._write_run(events, position, written)
        raise AssertionError("write_many: loop bound exceeded")

    def seal_partition(self, partition: str) -> Manifest:
        """Close a main partition for good: segments read-only, manifest `sealed`. Idempotent.

        Later records for that date go to `{date}-late`.
        """
        self._require_open()
        require_partition_name(partition)
        if is_late_partition(partition):
            raise ValueError(f"{partition!r} is a late partition; only main partitions are sealed")
        try:
            state = self._recovered(partition)
            if state.sealed:
                assert state.manifest is not None
                return state.manifest
            self._ensure_partition_dir(state)
            self._close_fd(state)
            for segment in state.segments:
                if not segment.sealed:
                    self._seal_segment(state, segment)
            fsync_dir(self._fs, state.path)
            state.sealed = True
            state.sealed_at = self._clock.now()
            manifest = self._write_manifest(state)
        except OSError as error:
            self._mark_broken(partition)
            raise LedgerWriteError(f"could not seal partition {partition}", error) from error
        return manifest

    def get_partitions_to_seal(self, now: datetime, grace: timedelta) -> list[str]:
        """Main partitions whose UTC day ended more than `grace` before `now`, not yet sealed; sorted."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware UTC")
        try:
            entries = sorted(self._fs.listdir(self._root))
        except FileNotFoundError:
            entries = []
        except OSError as error:
            raise LedgerWriteError("could not list the ledger root", error) from error
        due: list[str] = []
        for name in entries:
            try:
                require_partition_name(name)
            except ValueError:
                continue
            if is_late_partition(name):
                continue
            day_end = datetime.combine(date.fromisoformat(name) + timedelta(days=1), time(0), tzinfo=timezone.utc)
            if now - day_end <= grace:
                continue
            try:
                sealed = self._is_sealed(name)
            except OSError as error:
                raise LedgerWriteError(f"could not read the manifest of partition {name}", error) from error
            except LedgerCorruptionError:
                # an unreadable manifest proves nothing sealed: list the day, and let sealing it
                # report the damage for this partition alone, never hide the days after it
                sealed = False
            if not sealed:
                due.append(name)
        return due

    def close(self) -> None:
        """Close every open segment. Records are already durable; this only releases descriptors."""
        if self._closed:
            return
        self._closed = True
        first_error: OSError | None = None
        for name in sorted(self._partitions):
            try:
                self._close_fd(self._partitions[name])
            except OSError as error:
                first_error = first_error or error
        if first_error is not None:
            raise LedgerWriteError("could not close a ledger segment", first_error) from first_error

    def __enter__(self) -> "LedgerWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ partition state

    def _require_open(self) -> None:
        if self._closed:
            raise ValueError("this LedgerWriter is closed; construct a new one to write again")

    def _partition_for_write(self, main: str) -> _Partition:
        state = self._partitions.get(main)
        if state is None or state.needs_recovery:
            state = self._recovered(main)
        if not state.sealed:
            return state
        late = self._partitions.get(late_partition(main))
        if late is None or late.needs_recovery:
            late = self._recovered(late_partition(main))
        assert not late.sealed, f"late partition {late.name} is never sealed"
        return late

    def _recovered(self, name: str) -> _Partition:
        state = self._partitions.get(name)
        if state is None:
            state = _Partition(name=name, path=partition_dir(self._root, name), is_late=is_late_partition(name))
            self._partitions[name] = state
        if state.needs_recovery:
            self._recover(state)
        return state

    def _is_sealed(self, name: str) -> bool:
        state = self._partitions.get(name)
        if state is not None and not state.needs_recovery:
            return state.sealed
        manifest = self._load_manifest(partition_dir(self._root, name), name)
        return manifest is not None and manifest.sealed

    def _load_manifest(self, partition_path: str, name: str) -> Manifest | None:
        """`omen.ledger.manifest.load_manifest`: the same reads and the same answer or error; bytes
        equal to the ones last parsed for this partition reuse that parse."""
        data = read_manifest_bytes(self._fs, partition_path)
        if data is None:
            return None
        known = self._manifests.get(name, None, data)
        if known is not None:
            return known
        manifest = parse_manifest(data, name)
        self._manifests.put(name, None, data, manifest)
        return manifest

    def _mark_broken(self, name: str) -> None:
        state = self._partitions.get(name)
        if state is not None:
            state.needs_recovery = True
            try:
                self._close_fd(state)
            except OSError:
                pass

    # ------------------------------------------------------------------ recovery

    def _recover(self, state: _Partition) -> None:
        """Rebuild `state` from disk, repairing what a crash or a failed write left behind."""
        fs = self._fs
        self._close_fd(state)
        if state.rollback is not None:
            path, size_bytes = state.rollback
            self._truncate(path, size_bytes)
            state.rollback = None
        try:
            entries = sorted(fs.listdir(state.path))
        except FileNotFoundError:
            state.dir_exists = False
            state.sealed = False
            state.sealed_at = None
            state.segments = []
            state.highwater = 0
            state.revision = 0
            state.manifest = None
            state.needs_recovery = False
            return
        state.dir_exists = True
        # Seeing the directory is not knowing it is durable: an earlier attempt may have created it
        # (or a segment in it) and failed the directory fsync, and after a Linux fsync EIO the entry
        # stays pending. Make both levels durable before trusting anything in them.
        self._ensure_root()
        fsync_dir(fs, self._root)
        fsync_dir(fs, state.path)
        temps = [name for name in entries if name.endswith(TEMP_SUFFIX)]
        for name in temps:
            fs.unlink(joined(state.path, name))
        if temps:
            fsync_dir(fs, state.path)
        manifest = self._load_manifest(state.path, state.name)
        state.manifest = manifest
        state.revision = manifest.revision if manifest else 0
        state.sealed = bool(manifest and manifest.sealed)
        state.sealed_at = manifest.sealed_at if manifest else None
        names = segment_names(entries)
        if state.sealed:
            assert manifest is not None
            counts = {entry.name: entry for entry in manifest.segments}
            state.segments = [
                _Segment(n, counts[n].record_count if n in counts else 0, counts[n].size_bytes if n in counts else 0, True)
                for n in names
            ]
            state.highwater = manifest.highwater_sequence
            state.needs_recovery = False
            return
        segments: list[_Segment] = []
        highwater = manifest.highwater_sequence if manifest else 0
        for position, name in enumerate(names):
            segment, last_sequence = self._recover_segment(state, name, is_last=position == len(names) - 1)
            segments.append(segment)
            highwater = max(highwater, last_sequence)
        for segment in segments[:-1]:
            if not segment.sealed:
                self._seal_segment(state, segment)
        if segments and segments[-1].size_bytes == 0 and not segments[-1].sealed:
            fs.unlink(joined(state.path, segments[-1].name))
            fsync_dir(fs, state.path)
            segments.pop()
        state.segments = segments
        state.highwater = highwater
        state.sequence_floor = max(state.sequence_floor, highwater)
        if segments:
            self._repair_current(state, segments[-1].name)
        state.needs_recovery = False

    def _recover_segment(self, state: _Partition, name: str, *, is_last: bool) -> tuple[_Segment, int]:
        fs = self._fs
        path = joined(state.path, name)
        fd = fs.open(path, os.O_RDONLY)
        try:
            stat = fs.fstat(fd)
            data = read_all(fs, fd, stat.st_size)
        finally:
            fs.close(fd)
        read_only = (stat.st_mode & WRITE_BITS) == 0
        tolerate = is_last and not read_only
        rules = (tolerate, self._frame_max_bytes)
        known = self._recovery_scans.get(path, rules, data)
        if known is not None:
            scan, last_sequence = known
        else:
            scan, last_sequence = scan_frames(data, self._frame_max_bytes, tolerate_torn_tail=tolerate), None
        if scan.end == END_CORRUPT:
            self._recovery_scans.put(path, rules, data, (scan, None))
            raise LedgerCorruptionError(state.name, name, scan.valid_bytes, scan.reason)
        if scan.end == END_TORN:
            self._truncate(path, scan.valid_bytes)
        if last_sequence is None:
            last_sequence = 0
            if scan.frames:
                offset, length = scan.frames[-1]
                payload = data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]
                last_sequence = parse_record(state.name, name, offset, payload).sequence
            if scan.end != END_TORN:  # a torn tail was just cut: the bytes on disk are no longer `data`
                self._recovery_scans.put(path, rules, data, (scan, last_sequence))
        return _Segment(name, len(scan.frames), scan.valid_bytes, read_only), last_sequence

    def _repair_current(self, state: _Partition, active: str) -> None:
        try:
            current = read_file(self._fs, joined(state.path, CURRENT_NAME)).decode("utf-8", "replace").strip()
        except FileNotFoundError:
            current = ""
        if current != active:
            replace_atomically(self._fs, state.path, CURRENT_NAME, active.encode() + b"\n")

    # ------------------------------------------------------------------ appending

    def _append(self, state: _Partition, frame: bytes, sequence: int) -> None:
        fs = self._fs
        frame_bytes = len(frame)
        segment = state.segments[-1] if state.segments else None
        if (
            segment is None
            or segment.sealed
            or segment.record_count >= self._segment_max_records
            or (segment.size_bytes > 0 and segment.size_bytes + frame_bytes > self._segment_max_bytes)
        ):
            segment = self._start_segment(state)
        cached_segment, path = state.active_path
        if cached_segment is not segment:
            path = _segment_path(state, segment)
        fd = state.fd
        if fd is None:
            fd = state.fd = fs.open(path, os.O_WRONLY)
            fs.lseek(fd, segment.size_bytes, os.SEEK_SET)
        size_before_bytes = segment.size_bytes
        size_after_bytes, records_after = size_before_bytes + frame_bytes, segment.record_count + 1
        state.rollback = (path, size_before_bytes)
        write_all(fs, fd, frame)
        fs.fsync(fd)
        # the writer alone changes its segments (the port never calls back into it), so the segment
        # still holds what it held before the write, and grows by exactly the frame and one record
        segment.size_bytes = size_after_bytes
        segment.record_count = records_after
        state.highwater = sequence
        # postconditions, paired with the preconditions above: within its bounds
        assert records_after <= self._segment_max_records
        assert size_after_bytes <= self._segment_max_bytes or records_after == 1, "only a lone frame may exceed"
        state.rollback = None
        if state.is_late:
            self._follow_late_growth(state)

    def _write_run(self, events: list[SignalEvent], start: int, written: list[SignalEvent]) -> int:
        """Write the run of `events` starting at `start`; extend `written`; return where the next run starts."""
        first = events[start]
        try:
            state = self._partition_for_write(partition_for(first.emitted_at))
        except OSError as error:
            raise LedgerBatchWriteError(
                f"could not open the ledger partition for signal {first.signal_id}", error, written
            ) from error
        written_at = self._clock.now()
        assert written_at.tzinfo is not None, "the clock port must return tz-aware UTC datetimes"
        segment = state.segments[-1] if state.segments else None
        new_segment = segment is None or segment.sealed or segment.record_count >= self._segment_max_records
        room_records = self._segment_max_records
        room_bytes = self._segment_max_bytes
        placed_run: list[SignalEvent] = []
        frames: list[bytes] = []
        run_bytes = 0
        too_large: str | None = None
        sequence = max(state.highwater, state.sequence_floor)
        for event in events[start : start + self._segment_max_records]:
            if placed_run and partition_for(event.emitted_at) != partition_for(first.emitted_at):
                break
            placed = event.with_ledger_metadata(partition=state.name, sequence=sequence + 1, written_at=written_at)
            payload = _payload_of(placed)
            if len(payload) > self._frame_max_bytes:
                too_large = (
                    f"signal {event.signal_id} encodes to {len(payload)} bytes, above frame_max_bytes="
                    f"{self._frame_max_bytes}; shrink its payload or raise the limit for writer and readers"
                )
                break
            frame = encode_frame(payload)
            if not placed_run:
                # the same rollover rule as `_append`, decided by the run's first frame
                assert segment is not None or new_segment
                if not new_segment and segment.size_bytes > 0 and segment.size_bytes + len(frame) > self._segment_max_bytes:
                    new_segment = True
                if not new_segment:
                    room_records = self._segment_max_records - segment.record_count
                    room_bytes = self._segment_max_bytes - segment.size_bytes
            elif len(placed_run) >= room_records or run_bytes + len(frame) > room_bytes:
                break  # the next run starts a new segment
            elif run_bytes + len(frame) > self._frame_max_bytes:
                # a crash may tear a run anywhere and fill the rest of it with garbage; recovery calls a
                # tail a torn tail only if it fits one maximal frame, so a run never grows past that
                break
            sequence += 1
            placed_run.append(placed)
            frames.append(frame)
            run_bytes += len(frame)
        if placed_run:
            state.sequence_floor = sequence
            try:
                self._append_run(state, frames, sequence, new_segment=new_segment)
            except OSError as error:
                self._roll_back(state)
                raise LedgerBatchWriteError(
                    f"could not durably append {len(frames)} signals (first {first.signal_id}) to partition "
                    f"{state.name}", error, written,
                ) from error
            written.extend(placed_run)
        if too_large is not None:
            raise LedgerBatchRecordTooLargeError(too_large, written)
        assert placed_run, "a run writes at least one record or raises"
        return start + len(placed_run)

    def _append_run(self, state: _Partition, frames: list[bytes], last_sequence: int, *, new_segment: bool) -> None:
        """One write of every frame, one fsync: the group-commit twin of `_append`."""
        fs = self._fs
        segment = self._start_segment(state) if new_segment else state.segments[-1]
        path = _segment_path(state, segment)
        if state.fd is None:
            state.fd = fs.open(path, os.O_WRONLY)
            fs.lseek(state.fd, segment.size_bytes, os.SEEK_SET)
        assert frames and last_sequence >= state.highwater + len(frames), "a run's sequences lie above the highwater"
        size_before_bytes, records_before = segment.size_bytes, segment.record_count
        state.rollback = (path, size_before_bytes)
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        write_all(fs, state.fd, data)
        fs.fsync(state.fd)
        segment.size_bytes += len(data)
        segment.record_count += len(frames)
        state.highwater = last_sequence
        assert segment.size_bytes == size_before_bytes + sum(len(frame) for frame in frames)
        assert segment.record_count == records_before + len(frames) <= self._segment_max_records
        assert state.highwater == last_sequence
        state.rollback = None
        if state.is_late:
            self._follow_late_growth(state)

    def _start_segment(self, state: _Partition) -> _Segment:
        """Roll over: seal the previous segment, create the next, point _CURRENT and the manifest at it."""
        fs = self._fs
        self._ensure_partition_dir(state)
        self._close_fd(state)
        previous = state.segments[-1] if state.segments else None
        if previous is not None and not previous.sealed:
            self._seal_segment(state, previous)
        index = (segment_index(previous.name) or 0) + 1 if previous is not None else 1
        segment = _Segment(segment_name(index), 0, 0, False)
        state.fd = fs.open(joined(state.path, segment.name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE_NEW)
        state.segments.append(segment)
        fsync_dir(fs, state.path)
        replace_atomically(fs, state.path, CURRENT_NAME, segment.name.encode() + b"\n")
        self._write_manifest(state)
        return segment

    def _seal_segment(self, state: _Partition, segment: _Segment) -> None:
        path = joined(state.path, segment.name)
        fsync_file(self._fs, path)
        self._fs.chmod(path, SEGMENT_MODE_SEALED)
        fsync_file(self._fs, path)
        segment.sealed = True

    def _ensure_partition_dir(self, state: _Partition) -> None:
        if state.dir_exists:
            return
        self._ensure_root()
        try:
            self._fs.mkdir(state.path)
        except FileExistsError:
            pass
        fsync_dir(self._fs, self._root)
        state.dir_exists = True

    def _ensure_root(self) -> None:
        if self._root_ready:
            return
        try:
            self._fs.stat(self._root)
        except FileNotFoundError:
            self._fs.makedirs(self._root, exist_ok=True)
        # Even when the root already exists: a previous attempt may have made it and failed the fsync.
        fsync_dir(self._fs, os.path.dirname(os.path.normpath(self._root)) or os.curdir)
        self._root_ready = True

    def _write_manifest(self, state: _Partition) -> Manifest:
        """Replace the partition's manifest with one that describes `state`; return it.

        O(1) model work per call: the entries of the sealed segments are kept (`SealedEntries`),
        only the rest (normally the active segment) and the header are built, and the bytes are
        the ones `manifest.to_bytes()` gives (the kept entries' JSON spliced into the header's)."""
        sealed = state.sealed_entries
        kept = sealed.extend_over(state.segments)
        rest_made = [entry_and_json(segment) for segment in state.segments[kept:]]
        rest = [entry for entry, _ in rest_made]
        header, header_json = manifest_header_and_json({
            "partition": state.name,
            "is_late": state.is_late,
            "sealed": state.sealed,
            "revision": state.revision + 1,
            "highwater_sequence": state.highwater,
            "record_count": sealed.record_count + sum(entry.record_count for entry in rest),
            "segments": (),
            "updated_at": self._clock.now(),
            "sealed_at": state.sealed_at,
        })
        data = manifest_bytes(header, sealed.entries_json + [json for _, json in rest_made], header_json)
        manifest = with_segments(header, (*sealed.entries, *rest))  # header.model_copy(update=...)
        assert len(manifest.segments) == len(state.segments), "one entry per segment"
        replace_atomically(self._fs, state.path, MANIFEST_NAME, data)
        state.revision = manifest.revision
        state.manifest = manifest
        return manifest

    def _follow_late_growth(self, state: _Partition) -> None:
        """Rewrite a late partition's manifest after its frames are durable; a failure here does not
        undo the append.

        WHY: the frames are the record, and readers scan an unsealed partition's frames anyway; a
        late manifest that lags them is allowed (a crash between the frame's fsync and the manifest's
        replace leaves it behind too), one that leads them is a lie. Rolling the durable frames back
        because the manifest's directory fsync failed after its rename told that lie: the replaced
        manifest claimed a record the truncate had just removed (found by `chaos` seeds 301046 and
        301249). So the append stands, and the partition is reread from disk before its next append
        (the revision a half-done replace left, its temp file, the pending directory entry)."""
        assert state.is_late and state.rollback is None, "the frames are durable before the manifest follows"
        try:
            self._write_manifest(state)
        except OSError:
            state.needs_recovery = True

    # ------------------------------------------------------------------ failure handling

    def _roll_back(self, state: _Partition) -> None:
        """After a failed append: undo the bytes (best effort) and rescan before the next append."""
        state.needs_recovery = True
        try:
            self._close_fd(state)
        except OSError:
            pass
        if state.rollback is None:
            return
        path, size_bytes = state.rollback
        try:
            self._truncate(path, size_bytes)
        except OSError:
            return  # kept in state.rollback; retried by the next recovery, which raises until it works
        state.rollback = None

    def _truncate(self, path: str, size_bytes: int) -> None:
        fs = self._fs
        try:
            fd = fs.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return
        try:
            fs.ftruncate(fd, size_bytes)
            fs.fsync(fd)
        finally:
            fs.close(fd)

    def _close_fd(self, state: _Partition) -> None:
        if state.fd is None:
            return
        fd, state.fd = state.fd, None
        self._fs.close(fd)


__all__ = ["GROUP_EVENTS_MAX", "LedgerBatchRecordTooLargeError", "LedgerBatchWriteError", "LedgerWriter", "ParsedManifests",
           "RecoveryScans",
           "SEGMENT_MAX_BYTES_DEFAULT", "SEGMENT_MAX_RECORDS_DEFAULT", "parsed_manifest_memo", "recovery_scan_memo"]
