"""A counter kept in a sidecar file: the next id to hand out, stored beside the data.

Each id handed out is acknowledged only once the sidecar durably holds a larger next id, so a
crash can never make the code hand the same id out twice. The correct code replaces the sidecar
atomically (temp, fsync, rename, directory fsync). The promise: after recovery, the next id is
larger than every acknowledged id. Variant: `unsynced` (the sidecar is rewritten in place and
never fsynced: after a crash it holds an old count, and ids are handed out again).
"""
from __future__ import annotations

import os

from sim.crashcheck import ack

SIDECAR = "next_id"
IDS = 4


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Counter:
    def store(self, root: str, next_id: int) -> None:
        temp = os.path.join(root, SIDECAR + ".tmp")
        with open(temp, "w", encoding="ascii") as f:
            f.write(str(next_id))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, os.path.join(root, SIDECAR))
        fsync_dir(root)

    def next_id(self, root: str) -> int:
        try:
            with open(os.path.join(root, SIDECAR), encoding="ascii") as f:
                text = f.read().strip()
        except FileNotFoundError:
            return 1
        return int(text) if text.isdigit() else 1

    def workload(self, root: str) -> None:
        self.store(root, 1)
        for _ in range(IDS):
            handed_out = self.next_id(root)
            self.store(root, handed_out + 1)
            ack("id", str(handed_out))

    def recover(self, root: str) -> None:
        temp = os.path.join(root, SIDECAR + ".tmp")
        if os.path.exists(temp):
            os.unlink(temp)
            fsync_dir(root)

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        if acked:
            largest = max(int(key) for _, key in acked)
            next_id = self.next_id(root)
            assert next_id > largest, f"id {largest} was handed out, the counter would hand out {next_id} again"


class Unsynced(Counter):
    """BUG: the sidecar is rewritten in place, never fsynced."""

    def store(self, root: str, next_id: int) -> None:
        with open(os.path.join(root, SIDECAR), "w", encoding="ascii") as f:
            f.write(str(next_id))


correct = Counter()
unsynced = Unsynced()
workload, recover, check = correct.workload, correct.recover, correct.check
