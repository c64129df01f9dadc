"""Which inodes changed since a mark: what lets an observer of a large disk look only at what moved.

WHY: an observer that keeps an index of the disk (which signals are durable in which segment)
would otherwise re-check every file at every look, and a long run's ledger holds thousands of
segments, so each look costs more than the last (quadratic over the run). The disk stamps an
inode here whenever something an observer can see of it changes: a file's durable bytes (an
fsync that made pending writes durable, a flipped bit), a directory's entries (visible or
durable), a mode. The observer keeps a mark, asks for the inodes changed after it, and re-checks
only those.

The feed is bounded: it holds one stamp per inode (the latest), and when it holds more than
`CHANGE_FEED_INODES_MAX` it forgets the oldest half. A mark older than what it still holds, or
older than a reset (a crash installs a whole new state), gets None: "look at everything".
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

CHANGE_FEED_INODES_MAX = 65_536


class ChangeFeed:
    """inode -> the number of its latest change, oldest first (a dict keeps insertion order)."""

    __slots__ = ("_stamps", "_count", "_floor")

    def __init__(self) -> None:
        self._stamps: dict[int, int] = {}
        self._count = 0  # the number of the latest change; marks are such numbers
        self._floor = 0  # a mark below this cannot be answered

    @property
    def mark(self) -> int:
        """The mark that means "now": changes_since(mark) lists what changes after this call."""
        return self._count

    def mark_reader(self) -> Callable[[], int]:
        """A zero-argument callable that returns `mark`, without a Python frame per call: an
        incremental observer compares marks at every question (several times per simulated signal)."""
        return partial(getattr, self, "_count")

    def touch(self, ino: int) -> None:
        count = self._count = self._count + 1
        stamps = self._stamps
        stamps.pop(ino, None)
        stamps[ino] = count
        if len(stamps) > CHANGE_FEED_INODES_MAX:
            oldest = list(stamps.items())[: CHANGE_FEED_INODES_MAX // 2]
            for dropped_ino, _ in oldest:
                del stamps[dropped_ino]
            self._floor = oldest[-1][1]
            # the bound holds after every touch: it can only be passed here, by one stamp
            assert len(stamps) <= CHANGE_FEED_INODES_MAX

    def reset(self) -> None:
        """Everything may have changed (a crash installed a new state): every older mark gets None."""
        self._count += 1
        self._stamps.clear()
        self._floor = self._count

    def changes_since(self, mark: int) -> list[int] | None:
        """Inodes changed after `mark`, newest first; None when the feed cannot say."""
        count = self._count
        assert 0 <= mark <= count, (mark, count)
        if mark < self._floor:
            return None
        stamps = self._stamps
        if mark + 1 == count and stamps:
            # one change since the mark (the durability index's look after each fsync): a touch, as
            # a reset would have raised the floor past the mark, and a touch leaves its inode last
            ino = next(reversed(stamps))
            assert stamps[ino] == count, (ino, stamps[ino], count)
            return [ino]
        changed: list[int] = []
        for ino, stamp in reversed(stamps.items()):
            if stamp <= mark:
                break
            changed.append(ino)
        return changed

    def copy_to_reset(self) -> "ChangeFeed":
        """A copy for a disk that calls `reset()` on it next (a clone installing a crash state): the
        count and floor, without the stamps that reset drops (a long run's feed holds thousands).
        Reset, it is what `copy()` then `reset()` give."""
        twin = ChangeFeed()
        twin._count = self._count
        twin._floor = self._floor
        return twin

    def copy(self) -> "ChangeFeed":
        twin = ChangeFeed()
        twin._stamps = dict(self._stamps)
        twin._count = self._count
        twin._floor = self._floor
        return twin
