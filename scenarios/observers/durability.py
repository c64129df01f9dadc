"""Which signals are durable on the disk right now (observer: reads a durable `FileView`).

Ledger-first is a statement about the moment of a push: the record must already be on
the durable side of the disk (data fsynced and every directory entry on its path
fsynced). The world asks this index at every request the network sends, so it is
incremental: per segment it keeps the offset up to which durable frames were parsed and
parses only bytes that became durable since. When a segment's durable bytes may have changed
other than by growing (a rollback truncated it and a later record of the same length took its
place, rot, another inode under the name: the file's `version` moved; its size shrank; a crash
installed a new state, where versions start again), the bytes it parsed are compared whole
with the file's prefix: equal, only what follows them is parsed; else the entry is parsed again
from the start. The parsed bytes are kept for that (`PARSED_BYTES_KEPT_MAX` in all; an entry
past it is parsed again from the start, as every entry was before a crash kept any).

WHY a change feed: a long run's partition holds thousands of segments, and most questions
are misses (is a signal about to be emitted already durable?), which used to re-check every
segment of the partition: each look cost more than the last, quadratic over a run. A view
with a change feed (`SimDiskView`, see sim.disk.change_feed) names the inodes that changed
since the last look; the index re-checks only the segments and listings those inodes can
move, and answers from a count of segments per signal id. The answers are the same as a
full re-check's: every input of the answer (a listing, an entry on a durable path, a
segment's durable bytes) changes only with one of the inodes watched for it. A view without
a feed is re-checked whole at every look.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from typing import Any

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import is_segment

SCOPE_ALL = ("all",)
# A partition's listing is diffed name by name against its durable entries; bound the walk.
SEGMENTS_PER_PARTITION_MAX = 1_000_000
# A relisting is diffed with the last one; past this many names that differ (a crash's new state, a
# partition emptied) it walks every name instead, which costs time, never an answer.
RELIST_DIFF_NAMES_MAX = 256
# The parsed bytes kept, all segments together, to tell an unchanged prefix after a crash or a
# rewrite (a copy of the durable ledger, which a run's disk holds twice already). Past it, entries
# keep none: they are parsed again from the start, which costs time, never an answer.
PARSED_BYTES_KEPT_MAX = 256 * 1024 * 1024
_VERSION_UNKNOWN = object()  # after a crash: no version equals it, so the parsed bytes are compared


@dataclass(slots=True)
class _SegmentIndex:
    path: str = ""
    parsed_bytes: int = 0
    durable_size: int = 0
    version: object = None
    watched_ino: int | None = None  # the durable inode its watch was set on (None: none yet)
    ids: set[str] = field(default_factory=set)
    # the bytes parsed (a settled file's own bytes object once it closed: see `_refresh_segment`); None: not kept
    parsed: bytearray | bytes | None = field(default_factory=bytearray)
    # (signal_id, sequence) of each frame of `parsed`, in order: `valid_frame_index(parsed)`'s list,
    # kept while `parsed` is (one per frame of at least a header and a byte, under the same bound)
    records: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class _PartitionIndex:
    stale: bool = True  # its listing (and so which segments it has) must be read again
    listing: list[str] | None = None  # segment names, visible order; None: the directory is unreadable
    listed: set[str] = field(default_factory=set)  # the names of `listing`
    durable_inos: dict[str, int | None] = field(default_factory=dict)  # name -> inode its durable entry names
    segments: dict[str, _SegmentIndex] = field(default_factory=dict)  # only segments durable now
    # names of `segments` that were not in `listed` when their entry was made (a watch refreshed
    # them between two relistings): the next relisting drops those it does not list either
    outside: set[str] = field(default_factory=set)
    stale_segments: set[str] = field(default_factory=set)
    id_counts: dict[str, int] = field(default_factory=dict)  # signal id -> segments holding it
    # What the last relisting read, every name of the directory (segments or not), for the next one
    # to diff against: the visible names (sorted), the durable entries and their names and inodes in
    # the dict's order. None: not to be diffed against (never read, unreadable, not durable, or
    # `durable_inos` reset), the next relisting walks every name.
    seen_names: list[str] | None = None
    seen_durable: dict[str, int] | None = None
    seen_keys: list[str] = field(default_factory=list)
    seen_inos: list[int] = field(default_factory=list)

    def forget_entries(self) -> None:
        """The next relisting refreshes every listed segment: it walks every name, not a diff."""
        self.durable_inos = {}
        self.seen_names = None
        self.seen_durable = None


def _equal_run(a: list, i: int, b: list, j: int, limit: int) -> int:
    """The largest k <= limit with a[i:i + k] == b[j:j + k]. Slices are compared in C: first the
    whole stretch when its last items are equal (a relisting's lists are mostly one run of equal
    items), then lengths doubled, then halved about the first difference. A run of k equal items
    costs O(k) pointer compares in C and O(log k) steps here (both lists mostly hold the same objects)."""
    assert 0 <= limit <= min(len(a) - i, len(b) - j), (limit, len(a), i, len(b), j)
    if not limit or a[i] != b[j]:
        return 0
    if a[i + limit - 1] == b[j + limit - 1]:
        # a list that is the whole stretch is compared as it is, not copied into a slice
        if ((a if i == 0 and limit == len(a) else a[i:i + limit])
                == (b if j == 0 and limit == len(b) else b[j:j + limit])):
            return limit
    lo, step = 1, 1
    while True:  # an item in [lo, limit) differs
        hi = lo + step if lo + step < limit else limit
        if a[i + lo:i + hi] != b[j + lo:j + hi]:
            break
        lo = hi
        step += step
    while hi - lo > 1:  # the first difference is in [lo, hi)
        mid = (lo + hi) // 2
        if a[i + lo:i + mid] == b[j + lo:j + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _sorted_diff(before: list[str], after: list[str]) -> tuple[list[str], list[str]] | None:
    """(went, came): the names of `before` not in `after`, those of `after` not in `before`; both
    lists sorted, without repeats (a listing). None past RELIST_DIFF_NAMES_MAX of them."""
    went: list[str] = []
    came: list[str] = []
    i = j = 0
    while True:
        run = _equal_run(before, i, after, j, min(len(before) - i, len(after) - j))
        i += run
        j += run
        if i == len(before) or j == len(after):
            if len(went) + len(came) + len(before) - i + len(after) - j > RELIST_DIFF_NAMES_MAX:
                return None
            return went + before[i:], came + after[j:]
        # every name before these two is in both or already counted: the smaller is in one list only
        if before[i] < after[j]:
            went.append(before[i])
            i += 1
        else:
            assert after[j] < before[i], (after[j], before[i])
            came.append(after[j])
            j += 1
        if len(went) + len(came) > RELIST_DIFF_NAMES_MAX:
            return None


def _entries_that_may_differ(seen_keys: list[str], seen_inos: list[int],
                             keys: list[str], inos: list[int]) -> list[str] | None:
    """Names among which are all those whose entry came, went or names another inode, between two
    readings of a dict's names and inodes in its order (`keys[n]` names `inos[n]`); a superset, each
    to be checked. A dict keeps its order as entries change and appends the new ones, so the two
    readings are mostly one run of equal names. None past RELIST_DIFF_NAMES_MAX of them."""
    maybe: list[str] = []
    i = j = 0
    while True:
        run = _equal_run(seen_keys, i, keys, j, min(len(seen_keys) - i, len(keys) - j))
        done = 0  # the same names in the same order: their inodes compared, run by run
        while done < run:
            done += _equal_run(seen_inos, i + done, inos, j + done, run - done)
            if done < run:
                maybe.append(keys[j + done])
                done += 1
                if len(maybe) > RELIST_DIFF_NAMES_MAX:
                    return None
        i += run
        j += run
        if i == len(seen_keys) or j == len(keys):
            if len(maybe) + len(seen_keys) - i + len(keys) - j > RELIST_DIFF_NAMES_MAX:
                return None
            return maybe + seen_keys[i:] + keys[j:]
        # gone, or gone and back (at the end): a name of `keys` is either in a run or in the tail
        maybe.append(seen_keys[i])
        i += 1
        if len(maybe) > RELIST_DIFF_NAMES_MAX:
            return None


class DurableLedgerIndex:
    """`durable` lists a directory and reads what survives a power loss (`SimDiskView(disk, durable=True)`)."""

    def __init__(self, durable: FileView, root: str) -> None:
        self._files = durable
        self._root = root.rstrip("/")
        self._feed: Any = durable if hasattr(durable, "changes_since") else None
        self._mark = 0 if self._feed is None else self._feed.change_mark()
        # bound once: asked at every question (the mark) and at every segment refresh (the look)
        self._change_mark = None if self._feed is None else self._feed.change_mark
        self._changes_since = None if self._feed is None else self._feed.changes_since
        self._look = getattr(durable, "durable_state", None) or self._look_apart
        self._settled_bytes = getattr(durable, "settled_bytes", None)
        self._partitions: dict[str, _PartitionIndex] = {}
        self._watch: dict[int, set[tuple[str, ...]]] = {}  # inode -> what a change of it makes stale
        self._kept_bytes = 0  # the sum of the entries' `parsed` lengths
        self._watch_roots()

    # ---- the answer ---------------------------------------------------------------------------
    def known(self, partition: str, signal_id: str) -> bool | None:
        """The answer of `contains` when it needs no read of the disk, else None.

        Nothing was stamped since the last look, so `read_and_answer` would find no inode and mark
        nothing stale: when this partition was fully read then, its counts are the answer. (Most
        questions come between two writes: the emit's and the push's, the result's.) A caller that
        must read the disk in a special way (without faults) asks this first and skips that setup.
        """
        change_mark = self._change_mark
        if change_mark is not None and change_mark() == self._mark:
            known = self._partitions.get(partition)
            if known is not None and not known.stale and not known.stale_segments:
                return signal_id in known.id_counts  # a count that falls to 0 is deleted
        return None

    def contains(self, partition: str, signal_id: str) -> bool:
        answer = self.known(partition, signal_id)
        if answer is not None:
            return answer
        return self.read_and_answer(partition, signal_id)

    def read_and_answer(self, partition: str, signal_id: str) -> bool:
        """`contains` for a caller that has just had None from `known` (it reads the disk under
        its own setup, e.g. with faults suspended): the same answer, `known` not asked twice."""
        # what changed since the last look marks stale what it can move (asked once per simulated
        # signal: the push after its write; written here, not in a method of its own, a frame less)
        changes_since = self._changes_since
        if changes_since is None:
            changed = None
        else:
            changed = changes_since(self._mark)
            self._mark = self._change_mark()
        partitions = self._partitions
        if changed is None:
            self._all_stale(every_segment=True)
        else:
            watch = self._watch
            for ino in changed:
                scopes = watch.get(ino)
                if not scopes:
                    continue
                # a copy: `_all_stale` watches the roots again (it may add to this very set); the
                # order does not matter, each scope only raises a stale flag
                for scope in tuple(scopes):
                    kind = scope[0]
                    if kind == "segment":  # nearly every change: the segment a record was just written to
                        stale = partitions.get(scope[1])
                        if stale is not None:
                            stale.stale_segments.add(scope[2])
                    elif kind == "partition":
                        stale = partitions.get(scope[1])
                        if stale is not None:
                            stale.stale = True
                    else:
                        assert scope == SCOPE_ALL, scope
                        self._all_stale(every_segment=False)
        index = partitions.get(partition)
        if index is None:
            index = partitions[partition] = _PartitionIndex()
        if index.stale:
            self._relist(partition, index)
        stale_segments = index.stale_segments
        if stale_segments:
            for name in sorted(stale_segments) if len(stale_segments) > 1 else stale_segments:
                self._refresh_segment(partition, index, name)  # never changes `stale_segments`
            stale_segments.clear()
        return signal_id in index.id_counts

    def parsed_frames(self, partition: str, name: str) -> tuple[bytearray | bytes, list[tuple[str, int]]] | None:
        """(bytes, records): a prefix of durable bytes this index parsed for the segment, every byte
        of it in CRC-valid frames from offset 0, and `valid_frame_index` of those bytes' records;
        None when it keeps none. A fact about those bytes alone, whatever the disk holds now (a
        caller compares them with the bytes it holds: see `ledger_files.segment_index`). Both are
        this index's own, grown in place at its next refresh: a caller copies what it keeps."""
        index = self._partitions.get(partition)
        entry = None if index is None else index.segments.get(name)
        if entry is None or entry.parsed is None:
            return None
        assert len(entry.parsed) == entry.parsed_bytes and len(entry.records) <= len(entry.parsed), name
        return entry.parsed, entry.records

    def forget(self) -> None:
        """After a crash the durable state was redrawn: every listing and every segment is looked at
        again, and no version is trusted (a crash installs new inodes, whose versions start over).
        What a segment's entry parsed is kept only where the file still begins with those bytes."""
        for index in self._partitions.values():
            index.stale = True
            index.forget_entries()  # so every listed segment is refreshed
            for entry in index.segments.values():
                entry.version = _VERSION_UNKNOWN
                entry.watched_ino = None  # the watches are cleared below
        self._watch.clear()
        if self._feed is not None:
            self._mark = self._feed.change_mark()
        self._watch_roots()

    # ---- what changed ---------------------------------------------------------------------------
    def _all_stale(self, *, every_segment: bool) -> None:
        """Every listing is read again; `every_segment`: every segment's bytes too (the feed cannot
        say what moved), else only segments whose durable entry moved (their bytes have their own watch)."""
        for index in self._partitions.values():
            index.stale = True
            if every_segment:
                index.forget_entries()
        self._watch_roots()

    def _watch_roots(self) -> None:
        """The root and the ledger directory, visible and durable: any change re-reads every listing."""
        if self._feed is None:
            return
        for path in ("/", self._root):
            for ino in (self._feed.visible_inode(path), self._feed.durable_inode(path)):
                if ino is not None:
                    self._watch.setdefault(ino, set()).add(SCOPE_ALL)

    # ---- re-reading ---------------------------------------------------------------------------
    def _relist(self, partition: str, index: _PartitionIndex) -> None:
        """Read the partition's listing again; mark stale each segment whose durable entry moved.

        WHY a diff: a partition is relisted at each change of its directory (each rollover, each
        manifest rename), and a long run's partition holds thousands of segments, so a walk of every
        name at each relisting made a run's relistings quadratic. The names and the durable entries
        are compared with the last relisting's in C, in runs of equal items, and only the few names
        that differ are looked at here: what `_relist_whole`, the walk of every name, would find
        (it stays for what cannot be diffed: a first look, after a crash, an unreadable directory).
        """
        directory = f"{self._root}/{partition}"
        try:
            names_now: list[str] | None = self._files.listdir(directory)
        except OSError:
            names_now = None
        durable = None if self._feed is None else self._feed.durable_entries(directory)
        keys, inos = ([], []) if durable is None else (list(durable), list(durable.values()))
        if names_now is None or durable is None or not self._relist_diff(index, names_now, durable, keys, inos):
            self._relist_whole(index, names_now, durable)
        index.seen_names = names_now
        index.seen_durable = durable
        index.seen_keys = keys
        index.seen_inos = inos
        index.stale = False
        if self._feed is not None:
            scope = ("partition", partition)
            for ino in (self._feed.visible_inode(directory), self._feed.durable_inode(directory)):
                if ino is not None:
                    self._watch.setdefault(ino, set()).add(scope)

    def _relist_whole(self, index: _PartitionIndex, names_now: list[str] | None,
                      durable: dict[str, int] | None) -> None:
        """Every name of the directory looked at: the listing, and stale each segment newly listed,
        whose durable entry moved, or every one when the durable entries are not known."""
        names = None if names_now is None else [name for name in names_now if is_segment(name)]
        assert names is None or len(names) <= SEGMENTS_PER_PARTITION_MAX, len(names)
        # the next relisting diffs with these names as sorted lists (a view with a feed sorts them)
        assert durable is None or names_now is None or names_now == sorted(names_now), names_now
        listed = set(names or ())
        for name in [name for name in index.segments if name not in listed]:
            self._drop_segment(index, name)
        index.outside.clear()
        previous = index.durable_inos
        index.durable_inos = {}
        for name in names or ():
            ino = None if durable is None else durable.get(name)
            index.durable_inos[name] = ino
            if durable is None or name not in previous or previous[name] != ino:
                index.stale_segments.add(name)
        index.stale_segments.intersection_update(listed)
        index.listing = names
        index.listed = listed

    def _relist_diff(self, index: _PartitionIndex, names_now: list[str], durable: dict[str, int],
                     keys: list[str], inos: list[int]) -> bool:
        """`_relist_whole`'s work from the last relisting's and what differs from it: the names
        that came or went, and the durable entries that moved (`durable_inos` holds the entries the
        last relisting found, under its listed names; `keys` and `inos` are `durable`'s, in its
        order). False, and nothing done, when it cannot: no last relisting to diff against, or more
        than RELIST_DIFF_NAMES_MAX names differ."""
        seen_names, seen_durable, listing = index.seen_names, index.seen_durable, index.listing
        if seen_names is None or seen_durable is None:
            return False
        assert listing is not None  # the listing of `seen_names`, read without error
        diff = _sorted_diff(seen_names, names_now)
        maybe = _entries_that_may_differ(index.seen_keys, index.seen_inos, keys, inos)
        if diff is None or maybe is None:
            return False
        went, came = diff
        listed = index.listed
        durable_inos = index.durable_inos
        assert len(durable_inos) == len(listed) == len(listing), (len(durable_inos), len(listed), len(listing))
        went = [name for name in went if name in listed]
        came = [name for name in came if is_segment(name)]
        for name in went:  # sorted, as `listing` is
            at = bisect_left(listing, name)
            assert listing[at] == name, name
            del listing[at]
            listed.discard(name)
            del durable_inos[name]
            self._drop_segment(index, name)
        for name in came:
            insort(listing, name)
            listed.add(name)
        assert len(listing) <= SEGMENTS_PER_PARTITION_MAX, len(listing)
        # a segment's entry that the last relisting did not list either (see `outside`)
        for name in [name for name in index.outside if name not in listed]:
            self._drop_segment(index, name)
        index.outside.clear()
        stale = {name for name in maybe if name in listed and seen_durable.get(name) != durable.get(name)}
        stale.update(came)
        for name in stale:
            durable_inos[name] = durable.get(name)
        stale_segments = index.stale_segments
        stale_segments |= stale
        stale_segments.intersection_update(listed)
        assert len(durable_inos) == len(listed) == len(listing), (len(durable_inos), len(listed), len(listing))
        return True

    def _refresh_segment(self, partition: str, index: _PartitionIndex, name: str) -> None:
        entry = index.segments.get(name)
        if entry is None:
            path = f"{self._root}/{partition}/{name}"
            state = self._look(path, 0, None)
        else:
            path, ino = entry.path, entry.watched_ino
            # the inode its last look found, when the listing still names it: every directory on the
            # path is watched, so an entry of theirs that moved would have listed the partition again
            # (`durable_inos` is that listing's), and the disk need not walk the path to find it
            state = self._look(path, entry.parsed_bytes,
                               ino if ino is not None and index.durable_inos.get(name) == ino else None)
        if state is None:
            self._drop_segment(index, name)
            return
        size, version, ino, data = state
        if entry is not None and (size < entry.durable_size or version != entry.version):
            if size >= entry.parsed_bytes and self._still_begins_with(path, entry):
                entry.version = version
                entry.durable_size = entry.parsed_bytes  # what follows the parsed bytes is parsed again
            else:
                if entry.parsed_bytes:
                    data = None  # the tail read was for the old entry's parsed prefix
                self._drop_segment(index, name)
                entry = None
        if entry is None:
            entry = index.segments[name] = _SegmentIndex(path=path, version=version)
            if name not in index.listed:
                index.outside.add(name)
        if self._feed is not None and ino != entry.watched_ino:
            # a watch is never taken back (but by `forget`, which resets every entry's too): set once per inode
            assert ino is not None, path
            self._watch.setdefault(ino, set()).add(("segment", partition, name))
            entry.watched_ino = ino
        if size == entry.durable_size:
            kept = entry.parsed
            if (kept is not None and type(kept) is bytearray and entry.parsed_bytes == size
                    and self._settled_bytes is not None):
                # Nothing new, and every byte parsed: a segment just closed (its `chmod` moved the
                # feed). WHY: the index kept its own copy of every segment's bytes, the ledger's
                # second copy in a long run; a settled file's one copy, equal byte for byte, is kept
                # instead (grown again through a bytearray of its own, should the file ever grow).
                settled = self._settled_bytes(path)
                if settled is not None and settled == kept:
                    entry.parsed = settled
            return
        if data is None:
            data = self._files.read_bytes(path, entry.parsed_bytes)  # only the bytes not parsed yet
        assert data is not None and len(data) == size - entry.parsed_bytes, path
        # the sequences too, which the ids alone do not need: they are kept with the parsed bytes
        # for `parsed_frames`, so the manifest observer does not walk these frames again
        frames, valid_bytes = valid_frame_index(data)
        entry_ids = entry.ids
        counts = index.id_counts
        for signal_id, _ in frames:
            if signal_id not in entry_ids:
                entry_ids.add(signal_id)
                counts[signal_id] = counts.get(signal_id, 0) + 1
        kept = entry.parsed
        if kept is not None and valid_bytes:  # keep what was parsed, within PARSED_BYTES_KEPT_MAX
            if self._kept_bytes + valid_bytes <= PARSED_BYTES_KEPT_MAX:
                if type(kept) is not bytearray:  # a settled file's bytes, shared: grown as a copy of its own
                    kept = entry.parsed = bytearray(kept)
                kept += data if valid_bytes == len(data) else data[:valid_bytes]
                entry.records += frames
                self._kept_bytes += valid_bytes
                assert len(kept) == entry.parsed_bytes + valid_bytes, path
            else:
                self._kept_bytes -= len(kept)
                entry.parsed = None  # parsed again from the start if its bytes ever change but by growing
                entry.records = []
        entry.parsed_bytes += valid_bytes
        entry.durable_size = size

    def _still_begins_with(self, path: str, entry: _SegmentIndex) -> bool:
        """Whether the durable file begins with the bytes `entry` parsed, compared whole: then its
        frames, ids and parsed offset are those a parse from the start would find again there (a
        frame is judged by its own bytes alone, and the parsed bytes end at a frame's end)."""
        if entry.parsed is None:
            return False
        if not entry.parsed_bytes:
            return True
        whole = self._files.read_bytes(path, 0)
        return whole is not None and whole.startswith(entry.parsed)

    def _look_apart(self, path: str, start_bytes: int,
                    ino: int | None) -> tuple[int, object, int | None, bytes | None] | None:
        """(durable size, version, durable inode, None), None for a file that is not durable: each
        question apart, for a view without `durable_state` (which answers all four, and the bytes
        past `start_bytes`, in one path walk, or none when handed the inode `ino` the path reaches)."""
        size = self._files.size_bytes(path)
        if size is None:
            return None
        ino = None if self._feed is None else self._feed.durable_inode(path)
        return size, self._files.version(path), ino, None

    def _drop_segment(self, index: _PartitionIndex, name: str) -> None:
        entry = index.segments.pop(name, None)
        if entry is None:
            return
        if entry.parsed is not None:
            self._kept_bytes -= len(entry.parsed)
        assert self._kept_bytes >= 0, self._kept_bytes
        counts = index.id_counts
        for signal_id in entry.ids:
            left = counts[signal_id] - 1
            if left:
                counts[signal_id] = left
            else:
                del counts[signal_id]
