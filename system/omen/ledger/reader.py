"""The ledger reader: every durable record, in sequence order, and never a damaged one.

Read rule (RocksDB's tolerate-corrupted-tail mode): the active segment is the last segment of a
partition that is not sealed, still writable, and not listed as sealed by the manifest. Only a torn
tail of that segment is tolerated: it ends the read quietly (the writer decides the same way, so
reader and writer agree). A bad frame followed by valid ones, any bad frame in another segment, a
segment the manifest lists as sealed that does not hold exactly the manifest's records and bytes,
or a sequence that does not strictly increase in read order raises LedgerCorruptionError naming
partition, segment and byte offset. A segment is checked whole (CRC, manifest counts, sequence
order) before any of its records is yielded, so a record whose CRC fails never escapes.

Two ways to read: `read_partition` yields fully validated `LedgerRecord`s; `scan_partition` yields
`ScannedRecord`s whose CRC, sequence and order are checked but whose full validation waits until
`.record` is used (reconcile needs it only for the records it replays). `salvage_partition` reads
past damage and reports what it lost (see omen.ledger.salvage). The reader never writes.

WHY a memo of verified segments: reconcile asks for an open partition's figures at every pass,
and each pass used to parse every frame of every segment again, so a long day cost each pass
more than the last (quadratic). A full read still reads every byte, and a segment whose bytes
are byte for byte those of a segment already verified (same name, same tail rule, same manifest
entry) reuses that verification; any other bytes (a bit flipped at rest, a rewrite of the same
size, a grown tail) are checked from scratch, and the old verification is dropped. Damage is
therefore noticed at the same read as without the memo. Only verified segments are kept, within
a byte budget. Reconcile's passes between scrubs do not read an open day's closed segments that
the memo vouches for (`get_partition_info(..., reread_closed=False)`): that is what keeps a pass's
cost from growing with the day.
"""
from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Iterator
from itertools import chain, repeat, starmap
from dataclasses import dataclass
from datetime import datetime

from omen.ledger.bytes_memo import BytesMemo
from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.fs_port import ReadOnlyFileSystem
from omen.ledger.fs_ops import READ_CHUNK_BYTES, read_file_and_mode, whole_file_op
from omen.ledger.framing import END_CORRUPT, FRAME_MAX_BYTES_DEFAULT, HEADER_BYTES
# The reader's walk also hands each frame's tail to the record layer; under the name `scan_frames`,
# which a planted bug of the zoo replaces by name (its stand-in returns no tails: the pattern reads).
from omen.ledger.framing import scan_frames_with_tails as scan_frames
from omen.ledger.layout import is_partition_name, joined, joined_strs, partition_dir, require_partition_name, segment_names
from omen.ledger.manifest import Manifest, SegmentEntry, parse_manifest, read_manifest_bytes
from omen.ledger.record_parse import ScannedRecord, SegmentRecords
from omen.ledger.salvage import SalvageMemo, SalvageResult, salvage_partition
from omen.schema import LedgerRecord, is_late_partition

WRITE_BITS = 0o222
# The memo of verified segments keeps their bytes (the equality test needs them): bounded in bytes.
VERIFIED_BYTES_MAX_DEFAULT = 256 * 1024 * 1024
# The memo of parsed manifests (one per partition read): bounded in entries.
PARSED_MANIFESTS_MAX = 4096


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


def tolerates_torn_tail(*, position: int, segment_count: int, partition_sealed: bool,
                        entry: SegmentEntry | None, mode: int) -> bool:
    """Whether a segment may end in a torn tail: only the active one, as the writer decides it
    (the last of an unsealed partition, still writable, not listed as sealed by the manifest)."""
    if partition_sealed or position != segment_count - 1:
        return False
    if entry is not None and entry.sealed:
        return False
    return (mode & WRITE_BITS) != 0


def check_listed_segments(partition: str, manifest: Manifest | None, names: list[str]) -> None:
    """Every segment the manifest lists as sealed exists; a sealed partition holds no other file."""
    _check_listed(partition, *_listing_rules(manifest), names)


def held_entries(manifest: Manifest | None) -> dict[str, SegmentEntry]:
    """name -> the manifest's entry, for each segment held to it: every segment of a sealed
    partition, and a sealed segment of an open one (its size and count no longer change)."""
    if manifest is None:
        return {}
    return {entry.name: entry for entry in manifest.segments if manifest.sealed or entry.sealed}


def _scanned_records(segment: SegmentRecords) -> Iterator[ScannedRecord]:
    """The segment's records, made one at a time as they are taken: what `segment.records()` lists
    (a ScannedRecord is the pair (segment, frame index)), built in C by starmap and zip."""
    return starmap(_TUPLE_NEW, zip(repeat(ScannedRecord), zip(repeat(segment), range(len(segment.frames)))))


_TUPLE_NEW = tuple.__new__


@dataclass(frozen=True, slots=True)
class _ManifestFacts:
    """What the reader's checks read of one parsed manifest, as plain values, made once per parse.

    WHY: every read of an open day asked, per segment, `held_entries` and `check_listed_segments`
    again and read each entry's fields through pydantic's attribute hook (about 1 k instructions a
    read): most of a pass between scrubs, and a third of a full reread of an unchanged segment. The
    manifest's bytes are the same at most passes, so its parse is (`_load_manifest`), and so these."""

    held_of: object  # the `held_entries` that made `held` (a planted bug of the zoo replaces it)
    held: dict[str, SegmentEntry]  # `held_entries(manifest)`
    held_values: dict[str, tuple[str, int, int, bool]]  # name -> `_held_values` of its held entry
    must_exist: tuple[str, ...]  # names `check_listed_segments` requires present, in manifest order
    listed: frozenset[str] | None  # a sealed manifest's names: the only segments it allows
    sealed_sizes: tuple[tuple[str, int], ...]  # a sealed manifest's (name, size_bytes), in order


def _manifest_facts(manifest: Manifest | None) -> _ManifestFacts:
    held_of = held_entries
    held = held_of(manifest)
    must_exist, listed = _listing_rules(manifest)
    sealed_sizes = () if manifest is None or not manifest.sealed else tuple(
        (entry.__dict__["name"], entry.__dict__["size_bytes"]) for entry in manifest.segments)
    return _ManifestFacts(held_of, held, {name: _held_values(entry) for name, entry in held.items()},
                          must_exist, listed, sealed_sizes)


def _listing_rules(manifest: Manifest | None) -> tuple[tuple[str, ...], frozenset[str] | None]:
    """(the names a listing must hold, in manifest order: every segment the manifest lists as
    sealed; the only names it may hold, for a sealed manifest, else None). Each entry read from its
    instance dict: a read through the model's attribute hook costs several dict lookups, and a long
    day's manifest lists thousands of entries."""
    if manifest is None:
        return (), None
    fields = [entry.__dict__ for entry in manifest.segments]
    sealed = manifest.sealed
    return (tuple(field["name"] for field in fields if sealed or field["sealed"]),
            frozenset(field["name"] for field in fields) if sealed else None)


@dataclass(slots=True)
class _ClosedRun:
    """An open day's closed segments, in listing order from the first, each verified and remembered
    under the closed-segment rule: what a pass between scrubs takes whole, by comparing lists.

    WHY: a pass between scrubs still looked at each closed segment of the day (its memo entry, its
    manifest entry, its place in the sequence order): O(segments) Python at every pass, about
    5 k instructions a segment, 780 segments a pass on average at 100,000 signals."""

    names: list[str]
    keys: list[tuple[str, str]]  # (partition, name): the memo's key of each
    known: list[object]  # the memo's entry of each, as the run took it
    held: list[object]  # the manifest's held values of each (`_held_values`, None: not held)
    facts: _ManifestFacts  # the manifest's facts `held` agrees with
    record_count: int  # records in the run's segments
    last_sequence: int  # the last sequence of the run (0: none)


def _check_listed(partition: str, must_exist: tuple[str, ...], listed: frozenset[str] | None,
                  names: list[str]) -> None:
    """`check_listed_segments` from the manifest's `_listing_rules`: set operations first (in C),
    then the first offender in order, so the error is the one a walk of the entries finds."""
    if must_exist:
        present = set(names)
        if not present.issuperset(must_exist):
            for name in must_exist:
                if name not in present:
                    raise LedgerCorruptionError(partition, name, 0, "a segment the manifest lists as sealed is missing")
    if listed is not None and not listed.issuperset(names):
        for name in names:
            if name not in listed:
                raise LedgerCorruptionError(partition, name, 0, "a segment of a sealed partition is not in its manifest")


def _held_values(entry: SegmentEntry) -> tuple[str, int, int, bool]:
    """The entry as the plain values the segment's checks read (its whole content): a manifest
    parsed again (every rollover) gives equal entries in new objects, and pydantic's __eq__ on
    each, at every pass, cost more than the tuple. Read from the model's instance dict: a read
    through its attribute hook costs several dict lookups, and a long day lists thousands."""
    fields = entry.__dict__
    return fields["name"], fields["record_count"], fields["size_bytes"], fields["sealed"]


class LedgerReader:
    """Reads a ledger root written by LedgerWriter, through the same `fs` port."""

    def __init__(self, root: str, *, fs: ReadOnlyFileSystem = os, frame_max_bytes: int = FRAME_MAX_BYTES_DEFAULT,
                 verified_bytes_max: int = VERIFIED_BYTES_MAX_DEFAULT) -> None:
        """`verified_bytes_max` bounds the memo of verified segments (0: no memo, every read parses all)."""
        if not isinstance(frame_max_bytes, int) or frame_max_bytes < 1:
            raise ValueError(f"frame_max_bytes must be a positive int, got {frame_max_bytes!r}")
        if not isinstance(verified_bytes_max, int) or verified_bytes_max < 0:
            raise ValueError(f"verified_bytes_max must be an int >= 0, got {verified_bytes_max!r}")
        self._root = root
        self._fs = fs
        # the fs type's fused read of a whole file, if it has one: the same five calls' answer
        self._whole_file = whole_file_op(fs)
        self._frame_max_bytes = frame_max_bytes
        # (partition, segment) -> the verified segment, under (tail rule, manifest entry). Single dict
        # operations (see BytesMemo), so reads on worker threads (the served app) share it safely.
        self._verified: BytesMemo[SegmentRecords] = BytesMemo(verified_bytes_max)
        # partition -> (manifest bytes, the manifest they parse to, its facts): an open partition's
        # manifest lists every sealed segment, and parsing it strictly at every pass grows with the day
        self._manifests: dict[str, tuple[bytes, Manifest, _ManifestFacts]] = {}
        # partition -> its run of verified closed segments (see `_ClosedRun`), bounded in entries
        self._closed_runs: dict[str, _ClosedRun] = {}
        # partition -> (its last directory listing, the segment names in it), see `_layout`
        self._listings: dict[str, tuple[list[str], list[str]]] = {}
        # what salvage did per segment, replayed while the bytes are the same (see omen.ledger.salvage)
        self._salvaged = SalvageMemo(verified_bytes_max)

    def list_partitions(self) -> list[str]:
        """Partition names present under the root, sorted (main before its `-late`)."""
        try:
            entries = self._fs.listdir(self._root)
        except FileNotFoundError:
            return []
        return sorted(name for name in entries if is_partition_name(name))

    def read_partition(self, partition: str) -> Iterator[LedgerRecord]:
        """Every valid record of `partition`, fully validated: segments in order, frames in order."""
        for segment in self._checked_segments(partition):
            yield from segment.validated_records()  # all of a segment validated before any is yielded

    def scan_partition(self, partition: str) -> Iterator[ScannedRecord]:
        """Every valid record of `partition` as a ScannedRecord: CRC, sequence order and manifest
        counts checked exactly as `read_partition` does; the full validation of a record waits for
        its `.record` (which raises LedgerCorruptionError if its payload is not a ledger record)."""
        # WHY no generator: resuming one per record cost about as much as making the record. The
        # chain pulls each checked segment only once every record before it was taken, as before.
        return chain.from_iterable(map(_scanned_records, self._checked_segments(partition)))

    def salvage_partition(self, partition: str) -> SalvageResult:
        """Every intact record of `partition`, reading past damage, and the exact loss (see omen.ledger.salvage)."""
        require_partition_name(partition)
        return salvage_partition(self._fs, self._root, partition, self._frame_max_bytes, self._salvaged)

    def get_partition_highwater(self, partition: str) -> int:
        """Highest ledger_sequence in the partition: the manifest's when sealed, a scan otherwise; 0 if empty."""
        return self.get_partition_info(partition).highwater_sequence

    def get_partition_info(self, partition: str, *, reread_closed: bool = True) -> PartitionInfo:
        """Sealed: the manifest's figures, once every segment has the manifest's size. Otherwise a
        scan with every check of `scan_partition`; with `reread_closed=False`, a closed segment this
        reader verified before under the same rule and manifest entry is not read again (see below).

        By default an open partition is read whole: the read is the proof that bytes at rest did
        not rot. No cheaper fact shows rot: on a real disk a flipped bit moves no size, mode or
        mtime, and the manifest has no checksum to hold the segments to.

        `reread_closed=False` is reconcile's pass between scrubs: the listing, the manifest, every
        segment not verified before under the same rule and entry (a new one; the segment that was
        active at the last read and is closed now; one whose manifest entry changed) and the last
        one (the active segment, which grows) are read; a closed segment verified before is taken
        from the memo unread. WHY: reading the whole open day at every pass made each pass cost
        more than the last (about 740 segments a pass on average at 100,000 signals, 1,005
        passes), on a real disk as in the simulation. The writer never writes a closed segment
        again, so only damage changes one (rot, a lying disk, a crash beyond the promise), and it
        is reported at the next full read, the next scrub (`run_reconcile_job(scrub=True)`: every
        fifth pass in the simulated world and by default in `riskcast reconcile`, and the first
        pass after the heal), not at the next pass. A full read that finds a segment's bytes
        changed drops its old verification, so no later pass takes the damaged segment as whole."""
        require_partition_name(partition)
        manifest, names = self._layout(partition)
        revision = manifest.revision if manifest else 0
        if manifest is not None and manifest.sealed:
            facts = self._facts_of(partition, manifest)
            _check_listed(partition, facts.must_exist, facts.listed, names)
            directory = partition_dir(self._root, partition)
            stat = self._fs.stat
            for name, entry_size_bytes in facts.sealed_sizes:
                size_bytes = stat(joined(directory, name)).st_size
                if size_bytes != entry_size_bytes:
                    raise LedgerCorruptionError(
                        partition, name, min(size_bytes, entry_size_bytes),
                        f"sealed segment holds {size_bytes} bytes, its manifest says {entry_size_bytes}",
                    )
            return PartitionInfo(
                partition=partition,
                is_late=is_late_partition(partition),
                is_sealed=True,
                highwater_sequence=manifest.highwater_sequence,
                manifest_revision=revision,
                record_count=manifest.record_count,
                segments=tuple(names),
            )
        facts = self._facts_of(partition, manifest)
        run = None if reread_closed else self._closed_run_holding(partition, names, facts)
        start, record_count, highwater = (0, 0, 0) if run is None else (len(run.names), run.record_count,
                                                                         run.last_sequence)
        checked: list[SegmentRecords] = []
        for segment in self._checked_segments(partition, layout=(manifest, names), reread_closed=reread_closed,
                                              start=start, last_sequence=highwater):
            checked.append(segment)
            record_count += len(segment.frames)
            if segment.sequences:
                highwater = segment.sequences[-1]
        if run is None:
            # a full read (or a run that no longer stood): the run it leaves, if it still stands
            # after the read (a memo hit keeps each verification as it was), is extended, not rebuilt
            run = self._closed_run_holding(partition, names, facts)
            if run is not None:
                checked = checked[len(run.names):]
        self._extend_closed_run(partition, names, facts, run, checked)
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
        return self._load_manifest(partition_dir(self._root, partition), partition)

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
        # the segment names of the same listing as last time are the same names (a pure function of
        # it): compared whole in C, not filtered name by name at every pass. Callers only read them.
        known = self._listings.get(partition)
        if known is not None and known[0] == entries:
            names = known[1]
        else:
            names = segment_names(entries)
            if len(self._listings) >= PARSED_MANIFESTS_MAX:
                self._listings.clear()  # a memo: dropping it costs speed, never an answer
            self._listings[partition] = (entries, names)
        return self._load_manifest(path, partition), names

    def _load_manifest(self, partition_path: str, partition: str) -> Manifest | None:
        """The partition's manifest, None when there is none; an unreadable one is corruption (as
        `omen.ledger.manifest.load_manifest`). Bytes equal to the last ones parsed reuse that parse."""
        data = read_manifest_bytes(self._fs, partition_path)
        if data is None:
            return None
        known = self._manifests.get(partition)
        if known is not None and known[0] == data:
            return known[1]
        manifest = parse_manifest(data, partition)
        if len(self._manifests) >= PARSED_MANIFESTS_MAX:
            self._manifests.clear()  # a memo: dropping it costs speed, never an answer
        self._manifests[partition] = (data, manifest, _manifest_facts(manifest))
        return manifest

    def _facts_of(self, partition: str, manifest: Manifest | None) -> _ManifestFacts:
        """The facts of `manifest`: those made at its parse when it is the one remembered for
        `partition` (the same object), else made now."""
        known = self._manifests.get(partition)
        if known is not None and known[1] is manifest and known[2].held_of is held_entries:
            return known[2]
        return _manifest_facts(manifest)

    def _closed_run_holding(self, partition: str, names: list[str], facts: _ManifestFacts) -> _ClosedRun | None:
        """The partition's run of closed segments verified before, when it still stands: its names
        begin the listing (and the last segment is not one of them), the memo holds each one's
        verification as the run took it, and the manifest holds each to the same entry. Compared
        as whole lists (in C), not segment by segment."""
        run = self._closed_runs.get(partition)
        if run is None:
            return None
        count = len(run.names)
        if count > len(names) - 1 or names[:count] != run.names:
            return None
        if list(map(self._verified.probe, run.keys)) != run.known:
            return None  # a verification was dropped or replaced since (a full read saw other bytes)
        if facts is not run.facts:
            if list(map(facts.held_values.get, run.names)) != run.held:
                return None
            run.facts = facts
        return run

    def _extend_closed_run(self, partition: str, names: list[str], facts: _ManifestFacts, run: _ClosedRun | None,
                           checked: list[SegmentRecords]) -> None:
        """Remember the closed segments of this read (all but the last segment) as a run a pass
        between scrubs can take whole: `run` (what this read started from) and then each checked
        segment, in order, as long as the memo holds its verification under the closed-segment rule."""
        if run is None:
            if len(self._closed_runs) >= PARSED_MANIFESTS_MAX:
                self._closed_runs.clear()  # a memo: dropping it costs speed, never an answer
            run = self._closed_runs[partition] = _ClosedRun([], [], [], [], facts, 0, 0)
        probe = self._verified.probe
        closed_count = len(names) - 1
        for segment in checked:
            position = len(run.names)
            if position >= closed_count or names[position] != segment.segment:
                break
            key = (partition, segment.segment)
            known = probe(key)
            held = facts.held_values.get(segment.segment)
            if known is None or known[2] is not segment or known[0] != (False, held):
                break  # not remembered as a closed segment: the next pass reads it
            run.names.append(segment.segment)
            run.keys.append(key)
            run.known.append(known)
            run.held.append(held)
            run.record_count += len(segment.frames)
            if segment.sequences:
                run.last_sequence = segment.sequences[-1]
        run.facts = facts

    def _checked_segments(
        self, partition: str, *, layout: tuple[Manifest | None, list[str]] | None = None,
        reread_closed: bool = True, start: int = 0, last_sequence: int = 0,
    ) -> Iterator[SegmentRecords]:
        """Each segment in order, yielded only once it passed every check (`reread_closed=False`: a
        closed segment verified before is taken unread, see `get_partition_info`). `start`,
        `last_sequence`: the segments before position `start` are taken as checked already, the
        last of their sequences being `last_sequence` (a run of closed segments, `_ClosedRun`)."""
        require_partition_name(partition)
        manifest, names = layout if layout is not None else self._layout(partition)
        facts = self._facts_of(partition, manifest)
        _check_listed(partition, facts.must_exist, facts.listed, names)
        partition_sealed = bool(manifest and manifest.sealed)
        held, held_values = facts.held, facts.held_values
        # WHY the directory once: a full read reads every segment of the open day (every scrub), and
        # validating the partition's name into a path for each of them was a tenth of that read.
        # `os.path.join(directory, name)` is the path `_read_segment` builds, segment by segment.
        directory = partition_dir(self._root, partition)
        last_position = len(names) - 1
        # WHY the read and the memo probe inline (`_read_path`, then `_verified_segment`'s probe):
        # an unchanged segment's reread is its read and one comparison, and the frames around
        # them were a third of it. The same calls, the same bytes, the same comparison.
        fs, whole_file = self._fs, self._whole_file
        probe = self._verified.probe
        for position in range(start, len(names)):
            name = names[position]
            known = probe((partition, name))
            if (not reread_closed and position != last_position and known is not None
                    and known[0] == (False, held_values.get(name))):
                # a pass between scrubs: a closed segment verified before (its tail rule is False,
                # only the last one may tolerate a torn tail) is taken unread
                segment, increasing = known[2], True
            else:
                # `joined(directory, name)`, its memo without the frame (`directory` is a str)
                path = joined_strs(directory, name) if type(name) is str else joined(directory, name)
                read = whole_file(path, READ_CHUNK_BYTES) if whole_file is not None else None
                data, mode = read if read is not None else read_file_and_mode(fs, path, None)
                # `tolerates_torn_tail` is False before the last segment whatever the rest says: asked
                # only for the last one (the same answer, one call per partition, not per segment)
                tolerate = position == last_position and tolerates_torn_tail(
                    position=position, segment_count=len(names), partition_sealed=partition_sealed,
                    entry=held.get(name), mode=mode)
                # `_verified_segment`'s memo hit (`BytesMemo.get` on the same key, inputs and bytes;
                # the entry's `_held_values` made once per manifest parse)
                if known is not None and known[1] == data and known[0] == (tolerate, held_values.get(name)):
                    segment, increasing = known[2], True
                else:
                    if known is not None:
                        # these bytes are not the ones verified before: what the memo holds no longer
                        # stands for the segment, and a pass that does not read it must not take it
                        self._verified.forget((partition, name))
                    segment, increasing = self._verified_segment(partition, name, data, tolerate, held.get(name))
            sequences = segment.sequences
            if sequences and (sequences[0] <= last_sequence or not increasing):
                previous = [last_sequence, *sequences]
                index = next(i for i in range(len(sequences)) if sequences[i] <= previous[i])
                raise LedgerCorruptionError(
                    partition, name, segment.frames[index][0],
                    f"sequence {sequences[index]} follows {previous[index]}: sequences strictly increase "
                    "(a duplicated or reordered frame)",
                )
            if sequences:
                last_sequence = sequences[-1]
            yield segment

    def _verified_segment(self, partition: str, name: str, data: bytes, tolerate: bool,
                          entry: SegmentEntry | None) -> tuple[SegmentRecords, bool]:
        """The segment's frames and sequences once its own checks passed (CRC, torn-tail rule, manifest
        counts), and whether its sequences strictly increase (the caller raises, checking the order
        across segments first, as one rule). From the memo when these exact bytes passed every check
        before under the same rule and entry, else checked now (and remembered if they all passed)."""
        # the entry as the plain values the checks below read (its whole content): a manifest parsed
        # again (every rollover) gives equal entries in new objects, and pydantic's __eq__ on each,
        # at every pass, cost more than the tuple
        key, inputs = (partition, name), (tolerate, None if entry is None else _held_values(entry))
        known = self._verified.get(key, inputs, data)
        if known is not None:
            return known, True
        scan = scan_frames(data, self._frame_max_bytes, tolerate_torn_tail=tolerate)
        if scan.end == END_CORRUPT:
            raise LedgerCorruptionError(partition, name, scan.valid_bytes, scan.reason)
        if entry is not None and (scan.size_bytes, len(scan.frames)) != (entry.size_bytes, entry.record_count):
            raise LedgerCorruptionError(
                partition, name, min(scan.valid_bytes, entry.size_bytes),
                f"sealed segment holds {len(scan.frames)} records in {scan.size_bytes} bytes, its manifest "
                f"says {entry.record_count} in {entry.size_bytes}",
            )
        segment = SegmentRecords(partition, name, data, scan.frames, tails=scan.tails)
        sequences = segment.sequences
        increasing = all(map(operator.lt, sequences, sequences[1:]))
        if increasing:
            self._verified.put(key, inputs, data, segment)
        return segment, increasing

    def _read_segment(self, partition: str, name: str) -> tuple[bytes, int]:
        return self._read_path(joined(partition_dir(self._root, partition), name))

    def _read_path(self, path: str) -> tuple[bytes, int]:
        """(bytes, mode) of the segment at `path`: open, fstat, read whole, close, in that order."""
        return read_file_and_mode(self._fs, path, self._whole_file)


__all__ = ["LedgerReader", "PartitionInfo", "check_listed_segments", "held_entries",
           "tolerates_torn_tail"]
