"""A directory-per-day layout made with `mkdir(parents=True, exist_ok=True)`.

Records of a day go to `root/YYYY/MM/DD/events.log`. `mkdir(parents=True)` may create three
directories; each new entry is durable only once *its parent* is fsynced, so the correct code
fsyncs every parent of a directory it created (deepest first, then up to the root).
The promise: an acknowledged record is in its day's file after a crash.
Variant: `no_parent_fsync` (fsyncs the file and the day directory only: the file survives, its
path does not).
"""
from __future__ import annotations

import os
from pathlib import Path

from sim.crashcheck import ack

DAYS = ("2026/03/01", "2026/03/02", "2026/04/01")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DayDirs:
    def make_day(self, root: Path, day: str) -> Path:
        directory = root / day
        missing = [p for p in [directory, *directory.parents] if not p.exists()]
        directory.mkdir(parents=True, exist_ok=True)
        for created in missing:  # deepest first; each new entry lives in its parent
            fsync_dir(created.parent)
        return directory

    def append(self, directory: Path, line: str) -> None:
        path = directory / "events.log"
        new = not path.exists()
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        if new:
            fsync_dir(directory)

    def workload(self, root: str) -> None:
        for day in DAYS:
            directory = self.make_day(Path(root), day)
            self.append(directory, f"event of {day}")
            ack("event", day)

    def recover(self, root: str) -> None:
        return None

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        for _, day in acked:
            path = Path(root, day, "events.log")
            assert path.exists(), f"the event of {day} was acknowledged and {day}/events.log is gone"
            assert f"event of {day}\n" in path.read_text(encoding="utf-8"), f"{day}/events.log lost its event"


class NoParentFsync(DayDirs):
    """BUG: after mkdir(parents=True) only the new day directory itself is fsynced."""

    def make_day(self, root: Path, day: str) -> Path:
        directory = root / day
        directory.mkdir(parents=True, exist_ok=True)
        fsync_dir(directory)
        return directory


correct = DayDirs()
no_parent_fsync = NoParentFsync()
workload, recover, check = correct.workload, correct.recover, correct.check
