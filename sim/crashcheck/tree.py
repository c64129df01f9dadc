"""A file tree as plain data: what a snapshot of pyfakefs or SimDisk holds, and its comparison."""
from __future__ import annotations

import posixpath
import stat as stat_module
from dataclasses import dataclass
from typing import Any

from pyfakefs.fake_file import FakeDirectory

from sim.crashcheck.errors import UnsupportedOperationError

TREE_ENTRIES_MAX = 1_000_000
PERM_BITS = 0o7777


@dataclass(frozen=True)
class Tree:
    """dirs: (path, mode) sorted by path; files: (path, mode, bytes) sorted by path."""

    dirs: tuple[tuple[str, int], ...]
    files: tuple[tuple[str, int, bytes], ...]

    def differences(self, other: "Tree", *, limit: int = 10) -> list[str]:
        """What differs, as readable lines (at most `limit`)."""
        lines: list[str] = []
        mine_dirs, their_dirs = dict(self.dirs), dict(other.dirs)
        mine_files = {p: (m, d) for p, m, d in self.files}
        their_files = {p: (m, d) for p, m, d in other.files}
        for path in sorted(set(mine_dirs) | set(their_dirs)):
            if mine_dirs.get(path) != their_dirs.get(path):
                lines.append(f"dir {path}: {_mode(mine_dirs.get(path))} vs {_mode(their_dirs.get(path))}")
        for path in sorted(set(mine_files) | set(their_files)):
            mine, theirs = mine_files.get(path), their_files.get(path)
            if mine != theirs:
                lines.append(f"file {path}: {_describe(mine)} vs {_describe(theirs)}")
        return lines[:limit]


def _mode(mode: int | None) -> str:
    return "absent" if mode is None else f"mode {mode:o}"


def _describe(entry: tuple[int, bytes] | None) -> str:
    if entry is None:
        return "absent"
    mode, data = entry
    return f"mode {mode:o}, {len(data)} bytes {data[:24]!r}"


def fake_tree(root_dir: Any, *, objects: list[tuple[str, Any]] | None = None) -> Tree:
    """Snapshot a pyfakefs tree from its root directory object (symlinks are refused)."""
    dirs: list[tuple[str, int]] = []
    files: list[tuple[str, int, bytes]] = []
    stack: list[tuple[str, Any]] = [("/", root_dir)]
    for _ in range(TREE_ENTRIES_MAX):
        if not stack:
            break
        path, directory = stack.pop()
        dirs.append((path, directory.st_mode & PERM_BITS))
        for name, entry in sorted(directory.entries.items()):
            child = posixpath.join(path, name)
            if isinstance(entry, FakeDirectory):
                stack.append((child, entry))
            elif stat_module.S_ISREG(entry.st_mode):
                files.append((child, entry.st_mode & PERM_BITS, bytes(entry.byte_contents or b"")))
                if objects is not None:
                    objects.append((child, entry))
            else:
                raise UnsupportedOperationError(
                    f"{child} is neither a file nor a directory (a symlink?): the persistence model has no rule for it")
    else:
        raise UnsupportedOperationError(f"more than {TREE_ENTRIES_MAX} entries in the tree")
    return Tree(tuple(sorted(dirs)), tuple(sorted(files)))


def disk_tree(disk: Any) -> Tree:
    """Snapshot what reads of a SimDisk see now, through its public os-like API."""
    dirs: list[tuple[str, int]] = []
    files: list[tuple[str, int, bytes]] = []
    visible = disk.visible_files()
    stack = ["/"]
    for _ in range(TREE_ENTRIES_MAX):
        if not stack:
            break
        path = stack.pop()
        dirs.append((path, disk.stat(path).st_mode & PERM_BITS))
        for name in disk.listdir(path):
            child = posixpath.join(path, name)
            mode = disk.stat(child).st_mode
            if stat_module.S_ISDIR(mode):
                stack.append(child)
            else:
                files.append((child, mode & PERM_BITS, visible[child]))
    else:
        raise UnsupportedOperationError(f"more than {TREE_ENTRIES_MAX} entries in the tree")
    return Tree(tuple(sorted(dirs)), tuple(sorted(files)))


def state_tree(state: Any) -> Tree:
    """The tree a `CrashState` describes, with modes (from its install plan)."""
    dir_installs, file_installs = state.install
    assert len(dir_installs) == len(state.dirs) and len(file_installs) == len(state.files)
    dirs = tuple((path, install[1] & PERM_BITS) for path, install in zip(state.dirs, dir_installs))
    files = tuple((path, install[1] & PERM_BITS, data)
                  for (path, data), install in zip(state.files, file_installs))
    return Tree(dirs, files)
