"""The durable index's relisting, diffed against the last one (`_relist_diff`), leaves the index in
exactly the state the walk of every name did before it: the same listing, durable entries, stale
segments, segment entries, counts and kept bytes. The old walk is kept here, verbatim, as the spec;
it is run on a copy of the index before each relisting, on random histories of rollovers, manifest
renames, renames, unlinks, fsyncs, unreadable directories and crashes (hypothesis), and at every
relisting of whole simulated runs."""
from __future__ import annotations

import copy
import os
import random

from hypothesis import given, note, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import fsync_file
import scenarios.observers.durability as durability
from scenarios.observers import DurableLedgerIndex, SimDiskView
from scenarios.observers.durability import SEGMENTS_PER_PARTITION_MAX, _PartitionIndex
from scenarios.observers.ledger_files import is_segment
from scenarios.runner import run
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame

PARTITIONS = ("p", "q")
# segments and the names beside them in a partition (the manifest and its temporary)
NAMES = tuple(f"segment-{number:06d}.log" for number in range(1, 7)) + ("_manifest.json", "_manifest.json.tmp")
SIGNALS = ("A", "B", "C", "D", "E")


def old_relist(self: DurableLedgerIndex, partition: str, index: _PartitionIndex) -> None:
    """`_relist` as it was before the diff: every name of the listing walked at each relisting."""
    directory = f"{self._root}/{partition}"
    try:
        names = [name for name in self._files.listdir(directory) if is_segment(name)]
    except OSError:
        names = None
    assert names is None or len(names) <= SEGMENTS_PER_PARTITION_MAX, (partition, len(names))
    durable = None if self._feed is None else self._feed.durable_entries(directory)
    listed = set(names or ())
    for name in [name for name in index.segments if name not in listed]:
        self._drop_segment(index, name)
    previous = index.durable_inos
    index.durable_inos = {}
    for name in names or ():
        ino = None if durable is None else durable.get(name)
        index.durable_inos[name] = ino
        if durable is None or name not in previous or previous[name] != ino:
            index.stale_segments.add(name)
    index.stale_segments.intersection_update(listed)
    index.listing = names
    index.stale = False
    if self._feed is not None:
        scope = ("partition", partition)
        for ino in (self._feed.visible_inode(directory), self._feed.durable_inode(directory)):
            if ino is not None:
                self._watch.setdefault(ino, set()).add(scope)


def state(index: DurableLedgerIndex, partition: _PartitionIndex) -> tuple:
    """Everything a relisting can move that an answer (or a later look) depends on."""
    return (partition.stale, partition.listing, partition.durable_inos, partition.stale_segments,
            sorted(partition.segments), partition.id_counts, index._kept_bytes,
            {ino: sorted(scopes) for ino, scopes in index._watch.items()})


class RelistSpec:
    """Wraps `_relist`: before each, the old walk runs on a copy; after it, the two states must agree."""

    def __init__(self) -> None:
        self.compared = 0
        self.diffed = 0
        self.whole = 0
        self.disagreements: list[tuple] = []
        self._new_relist = DurableLedgerIndex._relist
        self._new_diff = DurableLedgerIndex._relist_diff
        self._new_whole = DurableLedgerIndex._relist_whole

    def install(self, monkeypatch) -> None:  # noqa: ANN001
        spec = self

        def relist(index_self: DurableLedgerIndex, partition: str, index: _PartitionIndex) -> None:
            twin = copy.copy(index_self)  # the files and the feed shared; what a relisting moves copied
            twin._watch = copy.deepcopy(index_self._watch)
            twin_partition = copy.deepcopy(index)
            old_relist(twin, partition, twin_partition)
            spec._new_relist(index_self, partition, index)
            spec.compared += 1
            if state(twin, twin_partition) != state(index_self, index):
                spec.disagreements.append((partition, state(twin, twin_partition), state(index_self, index)))

        def relist_diff(index_self: DurableLedgerIndex, *args) -> bool:  # noqa: ANN002
            diffed = spec._new_diff(index_self, *args)
            spec.diffed += diffed
            return diffed

        def relist_whole(index_self: DurableLedgerIndex, *args) -> None:  # noqa: ANN002
            spec.whole += 1
            spec._new_whole(index_self, *args)

        monkeypatch.setattr(DurableLedgerIndex, "_relist", relist)
        monkeypatch.setattr(DurableLedgerIndex, "_relist_whole", relist_whole)
        monkeypatch.setattr(DurableLedgerIndex, "_relist_diff", relist_diff)


def apply(disk: SimDisk, op: tuple, index: DurableLedgerIndex) -> None:
    """One disk op; an op the disk refuses (no such file, not empty) is a no-op, as for a real caller."""
    kind, partition, name, signal, number = op
    directory = f"/ledger/{partition}"
    path = f"{directory}/{name}"
    try:
        if kind == "append":  # a rollover when the segment is new
            fd = disk.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            disk.write(fd, frame(signal, number))
            disk.close(fd)
        elif kind == "fsync":
            fsync_file(disk, path)
        elif kind == "fsync_dir":
            fsync_file(disk, [directory, directory, directory, "/ledger", "/"][number % 5])
        elif kind == "manifest":  # written aside, fsynced, renamed over the manifest, the directory fsynced
            temporary = f"{directory}/_manifest.json.tmp"
            fd = disk.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            disk.write(fd, b'{"revision": %d}' % number)
            disk.fsync(fd)
            disk.close(fd)
            disk.rename(temporary, f"{directory}/_manifest.json")
            if number % 3:
                fsync_file(disk, directory)
        elif kind == "rename":
            disk.rename(path, f"/ledger/{PARTITIONS[number % 2]}/{NAMES[number % len(NAMES)]}")
        elif kind == "unlink":
            disk.unlink(path)
        elif kind == "chmod":
            disk.chmod(directory, 0o755 if number % 2 else 0o000)
        elif kind == "rmdir":
            disk.rmdir(directory)
        elif kind == "mkdir":
            disk.mkdir(directory)
        elif kind == "crash":
            disk.crash()
            index.forget()
    except OSError:
        pass


OPS = st.tuples(
    st.sampled_from(["append"] * 6 + ["fsync"] * 4 + ["fsync_dir"] * 4 + ["manifest"] * 3 + ["rename"] * 2
                    + ["unlink", "chmod", "rmdir", "mkdir", "crash"]),
    st.sampled_from(PARTITIONS), st.sampled_from(NAMES[:5]), st.sampled_from(SIGNALS),
    st.integers(min_value=0, max_value=10_000),
)

# a segment renamed to the other partition, whose directory is not fsynced, then grown there: its
# watch marks the old name stale in the first partition, whose durable entry still names it, so a
# segment entry is made there outside the listing (`outside`), which the next relisting drops
RENAMED_AWAY = [("append", "p", NAMES[0], "A", 1), ("fsync", "p", NAMES[0], "A", 0), ("fsync_dir", "p", NAMES[0], "A", 0),
                ("rename", "p", NAMES[0], "A", 1), ("append", "q", NAMES[1], "B", 2), ("fsync", "q", NAMES[1], "B", 0),
                ("manifest", "p", NAMES[0], "A", 3), ("append", "p", NAMES[2], "C", 4), ("fsync", "p", NAMES[2], "C", 0)]


def check_against_the_old_walk(ops: list[tuple], seed: int, diff_names_max: int) -> tuple[RelistSpec, DurableLedgerIndex]:
    from _pytest.monkeypatch import MonkeyPatch

    spec = RelistSpec()
    with MonkeyPatch.context() as monkeypatch:
        spec.install(monkeypatch)
        monkeypatch.setattr(durability, "RELIST_DIFF_NAMES_MAX", diff_names_max)
        disk = SimDisk(random.Random(seed), lambda *args, **kwargs: 0)
        disk.mkdir("/ledger")
        for partition in PARTITIONS:
            disk.mkdir(f"/ledger/{partition}")
        for directory in ("/", "/ledger", *(f"/ledger/{partition}" for partition in PARTITIONS)):
            fsync_file(disk, directory)
        index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
        for op in ops:
            apply(disk, op, index)
            for partition in PARTITIONS:
                for signal in SIGNALS:
                    index.contains(partition, signal)
    assert spec.disagreements == [], spec.disagreements[0]
    return spec, index


@settings(max_examples=400, deadline=None)
@given(ops=st.lists(OPS, min_size=10, max_size=80), seed=st.integers(min_value=0, max_value=2**32 - 1),
       diff_names_max=st.sampled_from([0, 1, 2, durability.RELIST_DIFF_NAMES_MAX]))
def test_a_diffed_relisting_leaves_the_state_the_walk_of_every_name_did(ops: list[tuple], seed: int,
                                                                       diff_names_max: int) -> None:
    spec, _ = check_against_the_old_walk(ops, seed, diff_names_max)
    note(f"{spec.compared} relistings compared, {spec.diffed} diffed, {spec.whole} whole")


def test_a_segment_entry_made_outside_the_listing_is_dropped_as_the_walk_did(monkeypatch) -> None:
    made_outside: list[str] = []
    refresh = DurableLedgerIndex._refresh_segment

    def watched_refresh(self, partition, index, name):  # noqa: ANN001
        refresh(self, partition, index, name)
        made_outside.extend(name for name in index.outside if name not in made_outside)

    monkeypatch.setattr(DurableLedgerIndex, "_refresh_segment", watched_refresh)
    spec, index = check_against_the_old_walk(RENAMED_AWAY, 0, durability.RELIST_DIFF_NAMES_MAX)
    assert made_outside == [NAMES[0]] and spec.diffed >= 3, (made_outside, spec.diffed)
    assert NAMES[0] not in index._partitions["p"].segments  # dropped by the relisting after the manifest's


LISTINGS = st.lists(st.sampled_from(NAMES + ("segment-000100.log", "a", "z")), unique=True).map(sorted)


@settings(max_examples=500, deadline=None)
@given(before=LISTINGS, after=LISTINGS)
def test_the_sorted_diff_names_what_went_and_came(before: list[str], after: list[str]) -> None:
    went, came = durability._sorted_diff(before, after)
    assert (went, came) == (sorted(set(before) - set(after)), sorted(set(after) - set(before)))


ENTRIES = st.dictionaries(st.sampled_from(NAMES), st.integers(min_value=1, max_value=4))


@settings(max_examples=500, deadline=None)
@given(seen=ENTRIES, changes=st.lists(st.tuples(st.sampled_from(NAMES), st.integers(min_value=0, max_value=4))))
def test_the_entries_that_may_differ_hold_every_one_that_does(seen: dict[str, int],
                                                             changes: list[tuple[str, int]]) -> None:
    now = dict(seen)
    for name, ino in changes:  # 0: the entry goes (a dict appends it again if it comes back)
        if ino:
            now[name] = ino
        else:
            now.pop(name, None)
    maybe = durability._entries_that_may_differ(list(seen), list(seen.values()), list(now), list(now.values()))
    differ = {name for name in seen.keys() | now.keys() if seen.get(name) != now.get(name)}
    assert maybe is not None and differ <= set(maybe), (differ, maybe)
    # and reorderings the disk does not make (a crash's new dict) too
    reordered = dict(sorted(now.items(), reverse=True))
    maybe = durability._entries_that_may_differ(list(seen), list(seen.values()), list(reordered),
                                                list(reordered.values()))
    assert maybe is not None and differ <= set(maybe), (differ, maybe)


def test_the_equal_run_is_the_length_of_the_common_stretch() -> None:
    for length in range(0, 40):
        a = list(range(length))
        for first_difference in range(length + 1):
            b = a[:first_difference] + [-1] * (length - first_difference)
            for limit in range(length + 1):
                assert durability._equal_run(a, 0, b, 0, limit) == min(first_difference, limit)
    assert durability._equal_run([9, 1, 2, 3], 1, [1, 2, 4], 0, 3) == 2


def test_the_histories_diff_most_relistings(monkeypatch) -> None:
    """The spec above is not met by never diffing: a history of rollovers and manifest renames
    relists by the diff (or finds nothing changed) but at the first look and after a crash."""
    spec = RelistSpec()
    spec.install(monkeypatch)
    disk = SimDisk(random.Random(0), lambda *args, **kwargs: 0)
    disk.makedirs("/ledger/p")
    for directory in ("/", "/ledger", "/ledger/p"):
        fsync_file(disk, directory)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    for number in range(60):
        segment = NAMES[min(number // 10, 5)]
        for op in [("append", "p", segment, SIGNALS[number % 5], number), ("fsync", "p", segment, "A", 0),
                   ("fsync_dir", "p", segment, "A", 0), ("manifest", "p", segment, "A", number)]:
            apply(disk, op, index)
            index.contains("p", SIGNALS[number % 5])
        assert index.contains("p", SIGNALS[number % 5])  # durable: its segment and entry fsynced
        if number == 30:
            apply(disk, ("crash", "p", segment, "A", 0), index)
    assert spec.disagreements == []
    assert spec.compared > 60 and spec.whole == 2 and spec.diffed > 0.5 * spec.compared, (
        spec.compared, spec.whole, spec.diffed)


def test_every_relisting_of_whole_runs_leaves_the_walks_state(monkeypatch) -> None:
    """Runs with rollovers, seals, crashes and rot: each relisting checked against the old walk."""
    spec = RelistSpec()
    spec.install(monkeypatch)
    for scenario, seed in [("rollover_sequence", 98), ("chaos", 1), ("bit_rot", 3), ("power_loss_ext4_ordered", 1),
                           ("calm", 0)]:
        run(scenario, seed, overrides={"workload": {"signal_count": 120}})
    assert spec.disagreements == [], spec.disagreements[0]
    assert spec.compared > 100 and spec.diffed > 0.5 * spec.compared, (spec.compared, spec.diffed)
