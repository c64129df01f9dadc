"""When directory entry operations become durable.

posix: an entry op becomes durable at an fsync of its directory. A cross-directory rename
is one op pending in both directories; an fsync of EITHER parent commits it in both
(with the other parent's earlier pending ops, to keep every directory's durable state a
prefix of its history). That is what a journaling file system does: the rename is one
journal transaction, and transactions commit in order. The rule keeps the rename atomic
(old name or new name, never neither, never both) at every crash.

ext4-ordered: additionally, an fsync of a file commits the pending ops (and everything
before them in the same directory) that link the file's inode, then, recursively, those
that link each directory so committed into its parent.
"""
from __future__ import annotations

from collections.abc import Callable

from sim.disk.nodes import DirNode, EntryOp, FileNode

Nodes = dict[int, "FileNode | DirNode"]

# A directory chain deeper than this is a bug in the model (entries cannot form cycles).
DIR_DEPTH_MAX = 4096


def record_entry_op(nodes: Nodes, dirty: dict[int, None], op: EntryOp) -> None:
    """Queue `op` as pending in each directory it touches."""
    for dir_ino in op.pending_in:
        directory = nodes[dir_ino]
        assert directory.is_dir
        directory.pending.append(op)
        dirty[dir_ino] = None


def _unwatched(ino: int) -> None:
    return None


def commit_dir(nodes: Nodes, directory: DirNode, count: int, changed: Callable[[int], None] = _unwatched) -> None:
    """Make the first `count` pending entry ops of `directory` durable (fsync of the dir); `changed`
    hears of every directory whose durable entries this changed."""
    assert 0 <= count <= len(directory.pending), (count, len(directory.pending))
    if count == 0:
        return
    changed(directory.ino)
    ops = directory.pending[:count]
    directory.pending = directory.pending[count:]
    durable, dir_ino = directory.durable, directory.ino
    for op in ops:
        pending_in = op.pending_in
        assert dir_ino in pending_in
        pending_in.remove(dir_ino)
        op.apply_to(durable, dir_ino)
        if pending_in:  # a cross-directory rename: commit it in the other parent too (with what precedes it)
            for other_ino in tuple(pending_in):
                other = nodes[other_ino]
                commit_dir(nodes, other, other.pending.index(op) + 1, changed)
        assert not pending_in


def commit_links_of(nodes: Nodes, dirty: dict[int, None], ino: int,
                    changed: Callable[[int], None] = _unwatched) -> None:
    """ext4-ordered: persist the entry ops that link `ino`, and recursively its new parents."""
    targets = [ino]
    for _ in range(DIR_DEPTH_MAX):
        if not targets:
            return
        target = targets.pop()
        for dir_ino in sorted(dirty):
            directory = nodes.get(dir_ino)
            if directory is None or not directory.pending:
                continue
            last = -1
            for index, op in enumerate(directory.pending):
                if op.ino == target and op.dst_dir == dir_ino:
                    last = index
            if last >= 0:
                commit_dir(nodes, directory, last + 1, changed)
                targets.append(dir_ino)
        for dir_ino in [d for d in dirty if d not in nodes or not nodes[d].pending]:
            del dirty[dir_ino]
    raise AssertionError("directory chain deeper than DIR_DEPTH_MAX: entries form a cycle")
