"""Planted bugs of the ledger: writer, reader, framing. Each is a bug real logs have shipped."""
from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

from omen.ledger import group_commit as group_commit_module
from omen.ledger import reader as reader_module
from omen.ledger import sealer as sealer_module
from omen.ledger import salvage as salvage_module
from omen.ledger import writer as writer_module
from omen.ledger.framing import HEADER, HEADER_BYTES, SegmentScan
from omen.ledger.fs_ops import fsync_dir, write_all
from omen.ledger.layout import CURRENT_NAME, FILE_MODE_NEW, TEMP_SUFFIX, segment_index, segment_name
from omen.schema import LedgerRecord
from scenarios.bugzoo.registry import PlantedBug, register

Writer = writer_module.LedgerWriter
_original_write = Writer.write
_original_recover = Writer._recover
_original_append = Writer._append
_original_recover_segment = Writer._recover_segment


# 1. the sequence restarts in every segment (it must be partition-wide) --------------------------------------------
def _per_segment_write(self, event):  # noqa: ANN001, ANN202
    state = self._partition_for_write(writer_module.partition_for(event.emitted_at))
    segment = state.segments[-1] if state.segments else None
    full = segment is None or segment.sealed or segment.record_count >= self._segment_max_records
    sequence = 1 if full else segment.record_count + 1  # the bug: counts records of the segment
    placed = event.with_ledger_metadata(partition=state.name, sequence=sequence, written_at=self._clock.now())
    try:
        self._append(state, writer_module.encode_frame(LedgerRecord(event=placed).to_payload()), sequence)
    except OSError as error:
        self._roll_back(state)
        raise writer_module.LedgerWriteError(f"could not append {event.signal_id}", error) from error
    return placed


register(PlantedBug(
    "per_segment_sequence",
    "ledger_sequence counts records of the active segment, restarting at 1 after each rollover",
    "partition-wide monotonic sequence", "monotonic_sequence",
    ("rollover_sequence", "calm"),
    lambda: [(Writer, "write", _per_segment_write)],
))


# 2. _CURRENT / manifest replaced without fsyncing the temp file (not durable) ----------------------
def _replace_without_fsync(fs, directory: str, name: str, data: bytes) -> None:  # noqa: ANN001
    temp_path = os.path.join(directory, name + TEMP_SUFFIX)
    fd = fs.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE_NEW)
    try:
        write_all(fs, fd, data)  # the bug: no fs.fsync(fd) before the rename
    finally:
        fs.close(fd)
    fs.replace(temp_path, os.path.join(directory, name))
    fsync_dir(fs, directory)


register(PlantedBug(
    "replace_without_fsync",
    "_CURRENT and _manifest.json are replaced by a temp file that was never fsynced",
    "atomic, durable metadata", "recoverability",
    ("power_loss_metadata",),
    lambda: [(writer_module, "replace_atomically", _replace_without_fsync)],
))


# 3. a new segment's directory entry is never fsynced --------------------------------------------
def _start_segment_without_dir_fsync(self, state):  # noqa: ANN001, ANN202
    fs = self._fs
    self._ensure_partition_dir(state)
    self._close_fd(state)
    previous = state.segments[-1] if state.segments else None
    if previous is not None and not previous.sealed:
        self._seal_segment(state, previous)
    index = (segment_index(previous.name) or 0) + 1 if previous is not None else 1
    segment = writer_module._Segment(segment_name(index), 0, 0, False)
    state.fd = fs.open(os.path.join(state.path, segment.name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE_NEW)
    state.segments.append(segment)
    # the bug: neither the new segment nor the _CURRENT rename is followed by a directory fsync
    temp_path = os.path.join(state.path, CURRENT_NAME + TEMP_SUFFIX)
    fd = fs.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE_NEW)
    try:
        write_all(fs, fd, segment.name.encode() + b"\n")
        fs.fsync(fd)
    finally:
        fs.close(fd)
    fs.replace(temp_path, os.path.join(state.path, CURRENT_NAME))
    return segment


register(PlantedBug(
    "no_dir_fsync_new_segment",
    "a new segment is created and written, but its directory is never fsynced: the file can vanish",
    "ledger-first durability of records in a new segment", "ledger_first",
    ("calm", "rollover_sequence"),
    lambda: [(Writer, "_start_segment", _start_segment_without_dir_fsync)],
))


# 8. a reader that does not check the CRC --------------------------------------------------------
def _scan_without_crc(data: bytes, frame_max_bytes: int, *, tolerate_torn_tail: bool) -> SegmentScan:
    frames: list[tuple[int, int]] = []
    offset = 0
    for _ in range(len(data) // (HEADER_BYTES + 1) + 1):
        if offset + HEADER_BYTES > len(data):
            break
        length, _crc = HEADER.unpack_from(data, offset)  # the bug: the CRC is never compared
        if length == 0 or length > frame_max_bytes or offset + HEADER_BYTES + length > len(data):
            break
        frames.append((offset, length))
        offset += HEADER_BYTES + length
    end = "clean" if offset == len(data) else "torn"
    return SegmentScan(tuple(frames), offset, len(data), end, "" if end == "clean" else "short tail")


register(PlantedBug(
    "reader_skips_crc",
    "the reader trusts the length field and never checks the CRC, yielding rotten records",
    "the reader never yields a record whose CRC fails", "recoverability",
    ("bit_rot",),
    lambda: [(reader_module, "scan_frames", _scan_without_crc)],
))


# 9. a writer that appends after a torn tail without truncating it ------------------------------
def _recover_segment_keeping_torn_tail(self, state, name, *, is_last):  # noqa: ANN001, ANN202
    path = os.path.join(state.path, name)
    fd = self._fs.open(path, os.O_RDONLY)
    try:
        size = self._fs.fstat(fd).st_size
    finally:
        self._fs.close(fd)
    self._truncate = lambda *_args: None  # the bug: the torn tail stays in the file ...
    try:
        segment, last_sequence = _original_recover_segment(self, state, name, is_last=is_last)
    finally:
        del self._truncate
    segment.size_bytes = size  # ... and the next append lands after it
    return segment, last_sequence


register(PlantedBug(
    "append_after_torn_tail",
    "recovery finds the torn tail but appends after it instead of truncating it",
    "every durable record stays readable", "recoverability",
    ("ledger_crash_tail",),
    lambda: [(Writer, "_recover_segment", _recover_segment_keeping_torn_tail)],
))


# 10. the sequence counter kept in an unsynced sidecar file -----------------------------------
SIDECAR_NAME = "_SEQUENCE"


def _read_sidecar(fs, path: str) -> int:  # noqa: ANN001
    try:
        fd = fs.open(os.path.join(path, SIDECAR_NAME), os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        text = fs.read(fd, 64).decode("ascii", "replace").strip()
    finally:
        fs.close(fd)
    return int(text) if text.isdigit() else 0


def _recover_from_sidecar(self, state):  # noqa: ANN001, ANN202
    _original_recover(self, state)
    if state.dir_exists and not state.sealed:
        state.highwater = state.sequence_floor = _read_sidecar(self._fs, state.path)  # the bug: trusts it


def _append_updating_sidecar(self, state, frame, sequence):  # noqa: ANN001, ANN202
    _original_append(self, state, frame, sequence)
    fd = self._fs.open(os.path.join(state.path, SIDECAR_NAME), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(self._fs, fd, str(sequence).encode())  # the bug: never fsynced
    finally:
        self._fs.close(fd)


register(PlantedBug(
    "sequence_in_unsynced_sidecar",
    "the next sequence number is read from a sidecar counter file that is written but never fsynced",
    "a durable sequence number is never reused", "monotonic_sequence",
    ("rollover_sequence",),
    lambda: [(Writer, "_recover", _recover_from_sidecar), (Writer, "_append", _append_updating_sidecar)],
))


# 15. a partition taken from local, not UTC, time --------------------------------------------
SERVER_LOCAL_ZONE = timezone(timedelta(hours=-5), "EST")


def _local_partition(emitted_at: datetime) -> str:
    return emitted_at.astimezone(SERVER_LOCAL_ZONE).date().isoformat()  # the bug: local date


register(PlantedBug(
    "local_time_partition",
    "the partition is the server's local date of emitted_at (UTC-5), not the UTC date",
    "the partition is the UTC date of emitted_at", "utc_time",
    ("calm",),
    lambda: [(writer_module, "partition_for", _local_partition)],
))


# 16. a short write treated as complete ---------------------------------------------------
def _write_once(fs, fd: int, data: bytes) -> None:  # noqa: ANN001
    fs.write(fd, data)  # the bug: the returned count is ignored


register(PlantedBug(
    "short_write_ignored",
    "the writer issues one write() per frame and ignores a short count",
    "frames are whole; every durable record stays readable", "recoverability",
    ("disk_faults", "ledger_crash_tail"),
    lambda: [(writer_module, "write_all", _write_once)],
))


# 18. a late record written into its sealed main partition --------------------------------
def _partition_ignoring_seal(self, main: str):  # noqa: ANN001, ANN202
    state = self._partitions.get(main)
    if state is None or state.needs_recovery:
        state = self._recovered(main)
    return state  # the bug: no detour to {date}-late when the main partition is sealed


register(PlantedBug(
    "write_to_sealed_partition",
    "a record for a sealed day is appended to the sealed main partition instead of {date}-late",
    "sealed segments and partitions never change", "sealed_immutable",
    ("late_arrivals",),
    lambda: [(Writer, "_partition_for_write", _partition_ignoring_seal)],
))



# 19. found by the disk_faults sweep: a directory that exists is trusted to be durable ----------
def _ensure_root_trusting_existence(self):  # noqa: ANN001, ANN202
    if self._root_ready:
        return
    try:
        self._fs.stat(self._root)
    except FileNotFoundError:
        self._fs.makedirs(self._root, exist_ok=True)
        fsync_dir(self._fs, os.path.dirname(os.path.normpath(self._root)) or os.curdir)
    self._root_ready = True  # the bug: an earlier attempt's failed fsync left the entry pending


register(PlantedBug(
    "existing_dir_trusted",
    "the ledger root is fsynced only when this process creates it; a root left by an attempt whose "
    "directory fsync failed (EIO) is trusted, so nothing under it is durable",
    "ledger-first durability after a failed directory fsync", "ledger_first",
    ("fsync_errors", "disk_faults"),
    lambda: [(Writer, "_ensure_root", _ensure_root_trusting_existence)],
))


# 20. group commit: a batch of one record skips its fsync ("the next batch will sync it") -------
Committer = group_commit_module.GroupCommitter
_original_commit = Committer._commit


class _FileFsyncSkipped:
    """The writer's fs, except that fsync of a regular file does nothing."""

    def __init__(self, fs) -> None:  # noqa: ANN001
        self._fs = fs

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._fs, name)

    def fsync(self, fd: int) -> None:
        if stat.S_ISDIR(self._fs.fstat(fd).st_mode):
            self._fs.fsync(fd)


def _commit_skipping_lone_fsync(self, queued):  # noqa: ANN001, ANN202
    live = [item for item in queued if not item[1].done()]
    if len(live) != 1:
        return _original_commit(self, queued)
    writer = self._writer
    fs = writer._fs
    writer._fs = _FileFsyncSkipped(fs)  # the bug: a lone record is acknowledged from the page cache
    try:
        return _original_commit(self, queued)
    finally:
        writer._fs = fs


register(PlantedBug(
    "group_commit_skips_lone_fsync",
    "group commit acknowledges a batch of a single record without its fsync, expecting the next "
    "batch to sync it",
    "ledger-first under group commit", "ledger_first",
    ("group_commit",),
    lambda: [(Committer, "_commit", _commit_skipping_lone_fsync)],
))


# 21. the sealer's pass gives up at the first partition it cannot seal ---------------------------
def _seal_pass_stopping_at_first_failure(ledger, now, grace):  # noqa: ANN001, ANN202
    due = tuple(ledger.get_partitions_to_seal(now, grace))
    sealed: list[str] = []
    for partition in due:
        try:
            ledger.seal_partition(partition)
        except (sealer_module.LedgerWriteError, sealer_module.LedgerCorruptionError) as error:
            # the bug: "the disk is in trouble, try the whole pass again later" leaves every later
            # day open, and reconcile never runs over an open main partition
            return sealer_module.SealPass(due=due, sealed=tuple(sealed),
                                          failed=(sealer_module.SealFailure(partition, str(error)),))
        sealed.append(partition)
    return sealer_module.SealPass(due=due, sealed=tuple(sealed), failed=())


register(PlantedBug(
    "seal_pass_stops_at_first_failure",
    "the sealer's pass stops at the first partition it cannot seal (a damaged or refused day), "
    "so the days after it stay open and are never reconciled",
    "every day is sealed and reconciled unless its own bytes are lost", "liveness",
    ("bit_rot", "chaos"),
    lambda: [(sealer_module, "seal_due_partitions", _seal_pass_stopping_at_first_failure)],
))


# 22. the manifest counts only the active segment's records ------------------------------------
def _manifest_counting_active_segment(self, state):  # noqa: ANN001, ANN202
    manifest = writer_module.Manifest(
        partition=state.name,
        is_late=state.is_late,
        sealed=state.sealed,
        revision=state.revision + 1,
        highwater_sequence=state.highwater,
        # the bug: "the segment being written is the partition" after a refactor to per-segment counters
        record_count=state.segments[-1].record_count if state.segments else 0,
        segments=tuple(
            writer_module.SegmentEntry(name=s.name, record_count=s.record_count, size_bytes=s.size_bytes,
                                       sealed=s.sealed)
            for s in state.segments
        ),
        updated_at=self._clock.now(),
        sealed_at=state.sealed_at,
    )
    writer_module.replace_atomically(self._fs, state.path, writer_module.MANIFEST_NAME, manifest.to_bytes())
    state.revision = manifest.revision
    state.manifest = manifest
    return manifest


register(PlantedBug(
    "manifest_counts_active_segment",
    "the manifest's record_count counts the active segment's records only, so a sealed day with "
    "several segments claims fewer records than its frames hold",
    "a manifest's counts are the frames' counts", "manifests_match_records",
    ("rollover_sequence", "calm"),
    lambda: [(Writer, "_write_manifest", _manifest_counting_active_segment)],
))


# 23. salvage gives up on a segment at its first damage --------------------------------------------
def _salvage_segment_stopping_at_damage(walk, segment, data, *, tolerate_torn_tail, parsed=None):  # noqa: ANN001, ANN202
    # the same signature as salvage's own walk, so the bug is what is planted (not a TypeError)
    parsed = {} if parsed is None else parsed
    offset = 0
    for _ in range(len(data) + 1):
        if offset >= len(data):
            return
        record = salvage_module._record_at(walk, segment, data, offset, parsed)
        if record is None or record.sequence <= walk.last_sequence:
            break
        walk.accept(record)
        offset += HEADER_BYTES + len(record.payload)
    if tolerate_torn_tail and len(data) - offset <= HEADER_BYTES + walk.frame_max_bytes:
        walk.torn_tail_bytes = len(data) - offset
        return
    # the bug: no resynchronization; every intact frame after the damage is written off as lost
    walk.damaged(segment, offset, len(data), "frame fails its checks", [])


register(PlantedBug(
    "salvage_stops_at_damage",
    "salvage keeps a damaged segment's records only up to the first bad frame and writes off the rest, "
    "intact frames included",
    "a damaged partition loses only its damaged records; the intact ones are delivered, only the lost "
    "ones reported", "no_silent_loss",
    ("bit_rot", "chaos"),
    lambda: [(salvage_module, "_salvage_segment", _salvage_segment_stopping_at_damage)],
))


# 28. a failed late manifest undoes the durable record it describes -----------------------------------------------
def _late_manifest_failure_raises(self, state):  # noqa: ANN001, ANN202
    # the bug: the manifest's failure fails the append, which is rolled back (truncated to the size
    # the previous manifest listed) although the record's fsync returned: the caller is told it
    # failed while a failed truncate leaves it durable (reports_match_facts), and a manifest whose
    # rename had happened claims a record the frames no longer hold (manifests_match_records)
    segment = state.segments[-1]
    listed = {entry.name: entry.size_bytes for entry in state.manifest.segments} if state.manifest else {}
    try:
        self._write_manifest(state)
    except OSError:
        state.rollback = (os.path.join(state.path, segment.name), listed.get(segment.name, 0))
        raise


register(PlantedBug(
    "late_manifest_failure_rolls_back_record",
    "a late partition's manifest rewrite that fails after its rename (the directory fsync) fails the "
    "write, and the rollback truncates a durable record the replaced manifest already claims",
    "a record whose fsync returned is never undone: the caller is not told it failed, and a late "
    "manifest may lag its frames, never lead them", "reports_match_facts",
    ("fsync_errors", "chaos"),
    lambda: [(Writer, "_follow_late_growth", _late_manifest_failure_raises)],
))
