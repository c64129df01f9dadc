"""The manifest observer starts its walk of a segment after the frames the durable index walked.

The durable index walks each frame at the push that follows its write and keeps what it parsed
(`parsed_frames`: bytes in valid frames from offset 0, and their records); the segment memo walks
only what follows those bytes when the bytes it is given begin with them. Its answer must be that
of walking the given bytes from the start, whatever happened to the files in between (appends and
torn frames, overwrites, truncations, rot, a file replaced under its name, crashes), and what the
durable index hands out must be exactly its bytes' own frames.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers import DurableLedgerIndex, SimDiskView, ledger_files

from tests.scenarios.test_partition_records_memo import DAY, NAMES, ROOT, _op, _write_at, apply_op, ledger_disk
from tests.scenarios.test_world_facts import frame, fsync_dir


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_op, max_size=25), seed=st.integers(0, 2**16))
def test_a_walk_after_the_durable_index_frames_is_a_walk_from_the_start(ops: list, seed: int) -> None:
    disk = ledger_disk(seed)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), ROOT)
    memo = ledger_files._SegmentRecords()  # its own memo: the durable frames are what it starts from
    sequence = 0
    for op in ops:
        sequence = apply_op(disk, op, sequence)
        if op[0] == "crash":
            index.forget()  # as the world's crash does
        index.contains(DAY, "S1-1")  # a push's question: the index walks what became durable
        for segment in NAMES:
            walked = index.parsed_frames(DAY, segment)
            if walked is not None:  # exactly the frames of its bytes, every byte in them
                assert valid_frame_index(bytes(walked[0])) == (walked[1], len(walked[0]))
            data = disk.visible_bytes(f"{ROOT}/{DAY}/{segment}")
            if data is not None:
                assert memo.index(f"{ROOT}/{DAY}/{segment}", data, walked) == valid_frame_index(data)


def test_the_walk_starts_after_the_durable_frames_only_when_the_bytes_begin_with_them(monkeypatch) -> None:
    walked_bytes: list[int] = []

    def counted_index(data: bytes) -> tuple[list[tuple[str, int]], int]:
        walked_bytes.append(len(data))
        return valid_frame_index(data)

    monkeypatch.setattr(ledger_files, "valid_frame_index", counted_index)
    disk = ledger_disk(1)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), ROOT)
    path = f"{ROOT}/{DAY}/{NAMES[0]}"
    first, second, third = frame("A", 1), frame("B", 2), frame("C", 3)
    _write_at(disk, path, first + second, at=None, fsync=True)
    fsync_dir(disk, f"{ROOT}/{DAY}")
    assert index.contains(DAY, "B")
    _write_at(disk, path, third, at=None, fsync=False)  # visible, not durable: walked by the memo
    memo = ledger_files._SegmentRecords()
    data = disk.visible_bytes(path)
    assert memo.index(path, data, index.parsed_frames(DAY, NAMES[0])) == ([("A", 1), ("B", 2), ("C", 3)], len(data))
    assert walked_bytes == [len(third)]
    disk.flip_bit(path, 8 * 20)  # rot in the first frame, after the durable walk: the bytes differ
    data = disk.visible_bytes(path)
    fresh = ledger_files._SegmentRecords()
    assert fresh.index(path, data, index.parsed_frames(DAY, NAMES[0])) == ([], 0)
    assert walked_bytes[-1] == len(data)  # walked whole: the durable frames are not its prefix
