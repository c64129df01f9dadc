"""A marker file made with `Path.touch`: "this job is done", as an empty file.

The promise: once the marker was acknowledged it exists after a crash. An empty file needs no
data fsync, but its directory entry needs the directory fsynced. Touching it again later (the
job re-runs) must change nothing. Variant: `no_dir_fsync` (touch, acknowledge, nothing durable).
"""
from __future__ import annotations

import os
from pathlib import Path

from sim.crashcheck import ack

MARKER = "export.done"


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Marker:
    fsync_parent = True

    def workload(self, root: str) -> None:
        marker = Path(root, MARKER)
        marker.touch()
        if self.fsync_parent:
            fsync_dir(root)
        ack("marker", MARKER)
        marker.touch()  # a re-run touches the existing marker: not a new entry

    def recover(self, root: str) -> None:
        return None

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        if ("marker", MARKER) in acked:
            assert Path(root, MARKER).exists(), "the marker was acknowledged and is gone"


class NoDirFsync(Marker):
    """BUG: the directory is never fsynced after the touch."""

    fsync_parent = False


correct = Marker()
no_dir_fsync = NoDirFsync()
workload, recover, check = correct.workload, correct.recover, correct.check
