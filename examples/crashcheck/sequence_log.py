"""A log of numbered records in segment files, with retention, and the sequence rebuilt on start.

Records are lines `<seq> <payload>` in `seg-NNNN.log`; a segment holds two records, then a new
one starts; retention deletes the oldest segment once three exist. On start the code rebuilds
the next sequence number from what is on disk. Correct: one more than the last record's number.
The promise: the rebuilt next number is larger than every acknowledged one, so no number is
handed out twice. Variant: `counts_records` (rebuilds it by counting the records it finds:
after retention deleted a segment, numbers are handed out again).
"""
from __future__ import annotations

import os

from sim.crashcheck import ack

RECORDS_PER_SEGMENT = 2
SEGMENTS_KEPT = 2
RECORDS = 7


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def segments(root: str) -> list[str]:
    return sorted(name for name in os.listdir(root) if name.startswith("seg-") and name.endswith(".log"))


def records_in(root: str, name: str) -> list[tuple[int, str]]:
    """Whole, well-formed lines only: a torn tail (cut, zeros, garbage) is not a record."""
    found = []
    with open(os.path.join(root, name), "rb") as f:
        lines = f.read().split(b"\n")
    for line in lines[:-1]:  # the part after the last newline was never a whole line
        number, _, payload = line.partition(b" ")
        if number.isdigit() and payload.startswith(b"payload "):
            found.append((int(number), payload.decode("ascii", "replace")))
    return found


class SequenceLog:
    def next_seq(self, root: str) -> int:
        last = 0
        for name in segments(root):
            for number, _ in records_in(root, name):
                last = max(last, number)
        return last + 1

    def append(self, root: str, seq: int, payload: str) -> None:
        name = f"seg-{(seq - 1) // RECORDS_PER_SEGMENT + 1:04d}.log"
        path = os.path.join(root, name)
        new = not os.path.exists(path)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{seq} {payload}\n")
            f.flush()
            os.fsync(f.fileno())
        if new:
            fsync_dir(root)
            self.retain(root)

    def retain(self, root: str) -> None:
        names = segments(root)
        for name in names[:-SEGMENTS_KEPT]:
            os.unlink(os.path.join(root, name))
        fsync_dir(root)

    def workload(self, root: str) -> None:
        for _ in range(RECORDS):
            seq = self.next_seq(root)
            self.append(root, seq, f"payload {seq}")
            ack("seq", str(seq))

    def recover(self, root: str) -> None:
        return None

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        if acked:
            largest = max(int(key) for _, key in acked)
            rebuilt = self.next_seq(root)
            assert rebuilt > largest, f"seq {largest} was acknowledged, the log would hand out {rebuilt} again"


class CountsRecords(SequenceLog):
    """BUG: the next sequence number is the count of the records found, plus one."""

    def next_seq(self, root: str) -> int:
        return 1 + sum(len(records_in(root, name)) for name in segments(root))


correct = SequenceLog()
counts_records = CountsRecords()
workload, recover, check = correct.workload, correct.recover, correct.check
