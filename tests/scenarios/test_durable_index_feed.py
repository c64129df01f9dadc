"""The durable index that re-reads only what the disk's change feed names answers exactly as a
full re-check of every segment does: through appends, fsyncs of files and directories, renames,
unlinks, truncates, rot, a directory made unreadable, and crashes. Checked op by op on random
histories (hypothesis), and at every question a whole simulated run asks (chaos, bit rot)."""
from __future__ import annotations

import os
import random

from hypothesis import given, note, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import fsync_file
from scenarios.observers import DurableLedgerIndex, SimDiskView
from scenarios.runner import run
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame

PARTITIONS = ("p", "q")
SEGMENTS = ("segment-000001.log", "segment-000002.log", "segment-000003.log")
SIGNALS = ("A", "B", "C", "D")


class FullRecheckView:
    """The durable view without its change feed: the index re-checks every segment at every look."""

    def __init__(self, view: SimDiskView) -> None:
        self.listdir, self.read_bytes = view.listdir, view.read_bytes
        self.size_bytes, self.version = view.size_bytes, view.version


def the_two_indexes(disk: SimDisk) -> tuple[DurableLedgerIndex, DurableLedgerIndex]:
    view = SimDiskView(disk, durable=True)
    return DurableLedgerIndex(view, "/ledger"), DurableLedgerIndex(FullRecheckView(view), "/ledger")


def apply(disk: SimDisk, op: tuple, indexes: tuple[DurableLedgerIndex, ...]) -> None:
    """One disk op; an op the disk refuses (no such file, not empty) is a no-op, as for a real caller."""
    kind, partition, segment, signal, number = op
    directory = f"/ledger/{partition}"
    path = f"{directory}/{segment}"
    try:
        if kind == "append":
            fd = disk.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            disk.write(fd, frame(signal, number)[: None if number % 5 else 7])  # now and then a torn frame
            disk.close(fd)
        elif kind == "fsync":
            fsync_file(disk, path)
        elif kind == "fsync_dir":
            fsync_file(disk, [directory, directory, "/ledger", "/"][number % 4])
        elif kind == "overwrite":  # in place, not at the end: a crash may keep it, tear it or drop it
            fd = disk.open(path, os.O_WRONLY)
            disk.lseek(fd, number % 40, os.SEEK_SET)
            disk.write(fd, frame(signal, number))
            disk.close(fd)
        elif kind == "truncate":
            fd = disk.open(path, os.O_WRONLY)
            disk.ftruncate(fd, number % 40)
            disk.close(fd)
        elif kind == "rename":
            disk.rename(path, f"/ledger/{PARTITIONS[number % 2]}/{SEGMENTS[number % 3]}")
        elif kind == "unlink":
            disk.unlink(path)
        elif kind == "rot":
            size = disk.durable_size(path)
            if size:
                disk.flip_bit(path, number % (size * 8))
        elif kind == "chmod":
            disk.chmod(directory, 0o755 if number % 2 else 0o000)
        elif kind == "chmod_segment":  # read-only: a synced segment settles, and the index keeps its bytes
            disk.chmod(path, 0o644 if number % 3 == 0 else 0o444)
        elif kind == "mkdir":
            disk.mkdir(directory)
        elif kind == "crash":
            disk.crash()
            for index in indexes:
                index.forget()
    except OSError:
        pass


OPS = st.tuples(
    st.sampled_from(["append", "append", "append", "fsync", "fsync", "fsync_dir", "fsync_dir", "truncate",
                     "overwrite", "rename", "unlink", "rot", "chmod", "chmod_segment", "chmod_segment", "mkdir",
                     "crash", "crash"]),
    st.sampled_from(PARTITIONS), st.sampled_from(SEGMENTS), st.sampled_from(SIGNALS),
    st.integers(min_value=0, max_value=10_000),
)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(OPS, min_size=1, max_size=60), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_the_fed_index_answers_as_a_full_recheck_after_every_op(ops: list[tuple], seed: int) -> None:
    disk = SimDisk(random.Random(seed), lambda *args, **kwargs: 0)
    disk.mkdir("/ledger")
    for partition in PARTITIONS:
        disk.mkdir(f"/ledger/{partition}")
    for directory in ("/", "/ledger", *(f"/ledger/{partition}" for partition in PARTITIONS)):
        fsync_file(disk, directory)  # durable directories: most histories then make segments durable
    fed, full = indexes = the_two_indexes(disk)
    answered_yes = 0
    for op in ops:
        apply(disk, op, indexes)
        # the spec: an index built now, with no history (no parsed prefix, version or watch to trust)
        scratch = DurableLedgerIndex(FullRecheckView(SimDiskView(disk, durable=True)), "/ledger")
        for partition in PARTITIONS:
            for signal in SIGNALS:
                answer = fed.contains(partition, signal)
                assert answer == scratch.contains(partition, signal), (op, partition, signal)
                assert answer == full.contains(partition, signal), (op, partition, signal)
                answered_yes += answer
    note(f"{answered_yes} answers were yes")


def test_a_crash_keeps_what_was_parsed_where_the_bytes_are_unchanged() -> None:
    """After a crash every segment is looked at again, but a prefix already parsed is not parsed
    again when the file still begins with it; one whose bytes the crash changed is."""
    disk = SimDisk(random.Random(0), lambda *args, **kwargs: 0)
    disk.mkdir("/ledger")
    disk.mkdir("/ledger/p")
    for number, signal in enumerate(SIGNALS[:3], start=1):
        apply(disk, ("append", "p", SEGMENTS[0], signal, number), ())
    apply(disk, ("fsync", "p", SEGMENTS[0], "A", 0), ())
    for directory in ("/", "/ledger", "/ledger/p"):
        fsync_file(disk, directory)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A") and index.contains("p", "C")
    apply(disk, ("append", "p", SEGMENTS[0], "D", 4), ())  # not fsynced: a crash may keep it or not
    walked: list[int] = []
    import scenarios.observers.durability as durability
    walk = durability.valid_frame_index
    durability.valid_frame_index = lambda data: walked.append(len(data)) or walk(data)  # type: ignore[assignment]
    try:
        disk.crash()
        index.forget()
        answers = [index.contains("p", signal) for signal in SIGNALS]
    finally:
        durability.valid_frame_index = walk
    scratch = DurableLedgerIndex(FullRecheckView(SimDiskView(disk, durable=True)), "/ledger")
    assert answers == [scratch.contains("p", signal) for signal in SIGNALS]
    three_frames = sum(len(frame(signal, number)) for number, signal in enumerate(SIGNALS[:3], start=1))
    past = disk.durable_size("/ledger/p/" + SEGMENTS[0]) - three_frames
    assert walked == ([past] if past else []), "only the bytes past the frames parsed before the crash"


def test_the_fed_index_skips_the_segments_nothing_changed_in() -> None:
    """What the feed is for: a question after one append re-reads one segment, not every one."""
    disk = SimDisk(random.Random(0), lambda *args, **kwargs: 0)
    disk.mkdir("/ledger")
    disk.mkdir("/ledger/p")
    for number, segment in enumerate(SEGMENTS, start=1):
        apply(disk, ("append", "p", segment, "A", number), ())
        apply(disk, ("fsync", "p", segment, "A", 0), ())
    for directory in ("/", "/ledger", "/ledger/p"):
        fsync_file(disk, directory)
    view = SimDiskView(disk, durable=True)
    asked: list[str] = []
    # a segment's look is one `durable_state` (size, version, inode, tail in one walk)
    durable_state = view.durable_state
    view.durable_state = (  # type: ignore[method-assign]
        lambda path, start_bytes=0, ino=None: asked.append(path) or durable_state(path, start_bytes, ino))
    size_bytes = view.size_bytes
    view.size_bytes = lambda path: asked.append(path) or size_bytes(path)  # type: ignore[method-assign]
    index = DurableLedgerIndex(view, "/ledger")
    assert index.contains("p", "A") and len(asked) == len(SEGMENTS)
    apply(disk, ("append", "p", SEGMENTS[-1], "B", 9), ())
    apply(disk, ("fsync", "p", SEGMENTS[-1], "B", 0), ())
    asked.clear()
    assert index.contains("p", "B") and not index.contains("p", "C")
    assert asked == [f"/ledger/p/{SEGMENTS[-1]}"]


def test_every_question_of_a_faulty_run_gets_the_full_rechecks_answer(monkeypatch) -> None:
    """Both indexes side by side in whole runs with crashes, rot and fsync errors."""
    disagreements: list[tuple[str, str, bool]] = []
    asked = [0]
    original_init = DurableLedgerIndex.__init__

    def init_with_twin(self, durable, root):  # noqa: ANN001
        original_init(self, durable, root)
        self.twin = DurableLedgerIndex.__new__(DurableLedgerIndex)
        original_init(self.twin, FullRecheckView(durable), root)

    fed_known, fed_read, fed_forget = DurableLedgerIndex.known, DurableLedgerIndex.read_and_answer, DurableLedgerIndex.forget
    twin_contains = DurableLedgerIndex.contains

    def compared(self, partition, signal_id, answer):  # noqa: ANN001
        twin = getattr(self, "twin", None)
        if twin is not None and answer is not None:
            asked[0] += 1
            if twin_contains(twin, partition, signal_id) != answer:
                disagreements.append((partition, signal_id, answer))
        return answer

    # the world asks `known` (answered from the counts), then `read_and_answer` when that is None
    def known(self, partition, signal_id):  # noqa: ANN001
        return compared(self, partition, signal_id, fed_known(self, partition, signal_id))

    def read_and_answer(self, partition, signal_id):  # noqa: ANN001
        return compared(self, partition, signal_id, fed_read(self, partition, signal_id))

    def forget(self):  # noqa: ANN001
        fed_forget(self)
        if getattr(self, "twin", None) is not None:
            fed_forget(self.twin)

    monkeypatch.setattr(DurableLedgerIndex, "__init__", init_with_twin)
    monkeypatch.setattr(DurableLedgerIndex, "known", known)
    monkeypatch.setattr(DurableLedgerIndex, "read_and_answer", read_and_answer)
    monkeypatch.setattr(DurableLedgerIndex, "forget", forget)
    for scenario, seed in [("chaos", 1), ("chaos", 58), ("bit_rot", 3), ("fsync_errors", 2), ("rollover_sequence", 98),
                           ("power_loss_ext4_ordered", 1)]:
        run(scenario, seed, overrides={"workload": {"signal_count": 120}})
    assert asked[0] > 500 and disagreements == []


def test_a_crash_that_keeps_an_in_place_rewrite_is_parsed_again() -> None:
    """The parsed prefix kept across a crash is trusted only when its bytes are still there: a
    pending same-length rewrite of the first frame, which some crash states keep, changes it."""
    path = f"/ledger/p/{SEGMENTS[0]}"
    kept_the_rewrite = 0
    for seed in range(40):
        disk = SimDisk(random.Random(seed), lambda *args, **kwargs: 0)
        disk.makedirs("/ledger/p")
        apply(disk, ("append", "p", SEGMENTS[0], "A", 1), ())
        apply(disk, ("fsync", "p", SEGMENTS[0], "A", 0), ())
        for directory in ("/", "/ledger", "/ledger/p"):
            fsync_file(disk, directory)
        index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
        assert index.contains("p", "A")
        fd = disk.open(path, os.O_WRONLY)
        disk.write(fd, frame("B", 1))  # over A's frame, the same length, not fsynced
        disk.close(fd)
        disk.crash()
        index.forget()
        scratch = DurableLedgerIndex(FullRecheckView(SimDiskView(disk, durable=True)), "/ledger")
        assert [index.contains("p", signal) for signal in "AB"] == [scratch.contains("p", signal) for signal in "AB"]
        kept_the_rewrite += scratch.contains("p", "B")
    assert 0 < kept_the_rewrite < 40, "both kinds of crash state were drawn"
