"""What a crash keeps: the seeded draw, the exhaustive enumeration, and the outcome.

The rules (docs/persistence-model.md says them for users):
- namespace: each directory keeps a prefix, in issue order, of its pending entry ops. A
  cross-directory rename is pending in both parents and survives only if it is inside both
  kept prefixes (a draw that keeps it on one side only is cut back before it on that side),
  so it is atomic: old name or new name, never neither, never both.
- data: each file that a surviving entry names keeps its durable bytes plus a prefix of its
  pending ops; the last kept write may be torn at a 512-byte sector boundary. A torn write
  keeps its head (whole sectors from its start) and either stops there ("absent") or the
  file size still covers the whole write ("size outran data"), the part past the old end
  of file then reading as zeros or garbage. Bytes a torn write would have overwritten
  inside the old file keep their old value. Regions an fsync EIO dropped read as zeros.
  Every zero/garbage region and every dropped region is reported as torn.
- everything no surviving entry names is gone; descriptors are gone.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Callable

from sim.disk.errors import CrashStateLimitError
from sim.disk.nodes import SECTOR_BYTES, DirNode, FileNode, apply_data_op

ROOT_INO = 1
TREE_NODES_MAX = 1_000_000
FILLS = ("absent", "zeros", "garbage")
# Exhaustive mode cannot enumerate every garbage byte string: it uses this one pattern.
GARBAGE_PATTERN = b"\xa5\x5a\xde\xad"

# A tear: (cut offset, fill) where fill is one of FILLS.
Tear = tuple[int, str]
FileChoice = tuple[int, "Tear | None"]


@dataclass(frozen=True, slots=True)
class TornRegion:
    """Bytes [start, end) of `path` that no write put there after a crash (see `fill`)."""

    path: str
    start: int
    end: int
    # "zeros" | "garbage" (torn write, past the old end of file) | "absent" (a torn write's bytes
    # that never landed: old bytes stay there, past the old end the file is shorter) |
    # "fsync_eio_zeros" (pages an fsync EIO dropped)
    fill: str


@dataclass(frozen=True)
class CrashState:
    """One post-crash state. Two states are equal when their trees and contents are equal."""

    dirs: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...]
    torn: tuple[TornRegion, ...] = field(default=(), compare=False)
    kept_entry_ops: tuple[str, ...] = field(default=(), compare=False)
    dropped_entry_ops: tuple[str, ...] = field(default=(), compare=False)
    # per surviving file with pending ops: (path, kept ops, dropped ops)
    data_ops: tuple[tuple[str, int, int], ...] = field(default=(), compare=False)
    # what `SimDisk.apply_crash_state` installs: ((ino, mode, ((name, ino), ...)) per dir,
    #                                            (ino, mode, bytes) per file)
    install: tuple = field(default=((), ()), compare=False, repr=False)

    def file_map(self) -> dict[str, bytes]:
        return dict(self.files)


@dataclass(frozen=True)
class CrashReport:
    """What `SimDisk.crash()` did: the state it drew, and the visible files it lost."""

    state: CrashState
    lost_files: tuple[str, ...]

    @property
    def torn(self) -> tuple[TornRegion, ...]:
        return self.state.torn

    def trace_fields(self) -> dict:
        state = self.state
        return {
            "kept_entry_ops": list(state.kept_entry_ops),
            "dropped_entry_ops": list(state.dropped_entry_ops),
            "data_ops": [{"path": p, "kept": k, "dropped": d} for p, k, d in state.data_ops],
            "lost_files": list(self.lost_files),
            "torn": [{"path": t.path, "start": t.start, "end": t.end, "fill": t.fill} for t in state.torn],
            "files": len(state.files),
        }


Nodes = dict[int, "FileNode | DirNode"]


def listing_of(directory: DirNode, keep: dict[int, int]) -> dict[str, int]:
    listing = dict(directory.durable)
    for op in directory.pending[:keep.get(directory.ino, 0)]:
        op.apply_to(listing, directory.ino)
    return listing


def walk(nodes: Nodes, listing: Callable[[DirNode], dict[str, int]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(dirs, files) reachable from the root under `listing`, each as (path, ino), sorted by path.

    WHY no sort per directory and no membership test per name: both lists are sorted whole at the
    end, so the order a directory's children are visited in reaches nothing (paths are unique, the
    bound counts directories, whatever their order); and an inode reachable twice (a broken crash
    model: a hard link it made, a cycle) is seen as the set of reached inodes growing by less than
    a directory's entries, two C passes per directory (see `_reached_twice`). Every crash, crash-state
    visit and namespace choice walks a tree, most of them a few dozen names."""
    dirs: list[tuple[str, int]] = []
    files: list[tuple[str, int]] = []
    stack = [("/", ROOT_INO)]
    seen = {ROOT_INO}
    for _ in range(TREE_NODES_MAX):
        if not stack:
            break
        path, ino = stack.pop()
        dirs.append((path, ino))
        children = listing(nodes[ino])
        if not children:
            continue
        reached, inodes = len(seen), children.values()
        if not seen.isdisjoint(inodes):
            _reached_twice(children, seen)
        seen.update(inodes)
        if len(seen) != reached + len(children):
            _reached_twice(children, set())
        prefix = "/" if path == "/" else path + "/"
        for name, child_ino in children.items():
            if nodes[child_ino].is_dir:
                stack.append((prefix + name, child_ino))
            else:
                files.append((prefix + name, child_ino))
    else:
        raise AssertionError("tree larger than TREE_NODES_MAX")
    dirs.sort()
    files.sort()
    return dirs, files


def _reached_twice(children: dict[str, int], earlier: set[int]) -> None:
    """Raise for the inode the walk's test per name found first: the first child, by name, reached
    before this directory (`earlier`) or by a sibling before it. Called only when there is one."""
    reached: set[int] = set()
    for _, child_ino in sorted(children.items()):
        if child_ino in earlier or child_ino in reached:
            raise AssertionError(f"inode {child_ino} reachable twice: the crash model broke atomicity")
        reached.add(child_ino)
    raise AssertionError("the crash model's walk found no inode reached twice where it counted one")


def visible_paths(nodes: Nodes) -> dict[int, str]:
    """ino -> its visible path now (for reports)."""
    dirs, files = walk(nodes, lambda d: d.entries)
    return {ino: path for path, ino in dirs + files}


def pending_dirs(nodes: Nodes, dirty: dict[int, None]) -> list[int]:
    return sorted(d for d in dirty if d in nodes and nodes[d].pending)


def _other_dir(op, dir_ino: int) -> int | None:
    if len(op.pending_in) != 2:
        return None
    return op.pending_in[1] if op.pending_in[0] == dir_ino else op.pending_in[0]


def _first_inconsistency(nodes: Nodes, keep: dict[int, int]) -> tuple[int, int] | None:
    """(dir, index) of a kept cross-dir rename whose other half is dropped, if any."""
    for dir_ino in sorted(keep):
        for index, op in enumerate(nodes[dir_ino].pending[:keep[dir_ino]]):
            other = _other_dir(op, dir_ino)
            if other is not None and nodes[other].pending.index(op) >= keep.get(other, 0):
                return dir_ino, index
    return None


def draw_namespace(nodes: Nodes, dirty: dict[int, None], rng: random.Random) -> dict[int, int]:
    keep = {d: rng.randint(0, len(nodes[d].pending)) for d in pending_dirs(nodes, dirty)}
    for _ in range(sum(len(nodes[d].pending) for d in keep) + 1):
        bad = _first_inconsistency(nodes, keep)
        if bad is None:
            return keep
        keep[bad[0]] = bad[1]
    raise AssertionError("namespace consistency did not converge")


def tear_cuts(pos: int, length: int) -> list[int]:
    """Where a write of `length` bytes at `pos` may be cut: its start and each sector boundary inside."""
    first_boundary = (pos // SECTOR_BYTES + 1) * SECTOR_BYTES
    return [pos] + list(range(first_boundary, pos + length, SECTOR_BYTES))


def draw_file_choice(node: FileNode, rng: random.Random) -> FileChoice:
    count = rng.randint(0, len(node.pending))
    if count == 0:
        return (0, None)
    pos, payload = node.pending[count - 1]
    if payload is None or not payload or rng.random() < 0.5:
        return (count, None)
    return (count, (rng.choice(tear_cuts(pos, len(payload))), rng.choice(FILLS)))


def file_options(node: FileNode) -> list[FileChoice]:
    options: list[FileChoice] = [(count, None) for count in range(len(node.pending) + 1)]
    for count, (pos, payload) in enumerate(node.pending, start=1):
        if payload is None or not payload:
            continue
        for cut in tear_cuts(pos, len(payload)):
            for fill in FILLS:
                if not (fill == "absent" and cut == pos):
                    options.append((count, (cut, fill)))
    return options


def file_outcome(node: FileNode, choice: FileChoice, garbage: Callable[[int], bytes]) -> tuple[bytes, list[tuple[int, int, str]]]:
    """The bytes `node` holds after a crash that made `choice`, and its torn regions."""
    count, tear = choice
    buf = bytearray(node.durable)
    ops = node.pending
    whole = count - 1 if tear is not None else count
    for op in ops[:whole]:
        apply_data_op(buf, op)
    torn: list[tuple[int, int, str]] = []
    if tear is not None:
        cut, fill = tear
        pos, payload = ops[count - 1]
        assert payload is not None and pos <= cut < pos + len(payload), (pos, cut)
        if cut > pos:
            apply_data_op(buf, (pos, payload[:cut - pos]))
        end = pos + len(payload)
        size = len(buf)
        if fill != "absent" and end > size:
            fill_start = max(pos, size)
            if fill_start > size:
                buf.extend(bytes(fill_start - size))
            buf += bytes(end - fill_start) if fill == "zeros" else garbage(end - fill_start)
            if cut < fill_start:
                torn.append((cut, fill_start, "absent"))
            torn.append((fill_start, end, fill))
        else:
            # the write's bytes past the cut never landed: old bytes stay, past the old end the
            # file is shorter. Reported, so a cut at a sector boundary is never silent.
            torn.append((cut, end, "absent"))
    for start, end in node.dropped:
        if start < len(buf):
            torn.append((start, min(end, len(buf)), "fsync_eio_zeros"))
    return bytes(buf), torn


@dataclass(frozen=True, slots=True)
class _Namespace:
    """What a post-crash state is made of before any file's bytes: the tree a namespace choice
    (`keep`) leaves, and its kept and dropped entry ops. The same for every file choice under one
    namespace choice, so the enumeration builds it once per namespace choice, not once per state."""

    dirs: tuple[str, ...]
    files: tuple[tuple[str, int], ...]  # (path, ino), sorted by path
    kept_ops: tuple[str, ...]
    dropped_ops: tuple[str, ...]
    dir_installs: tuple


def namespace_of(nodes: Nodes, keep: dict[int, int], names: dict[int, str]) -> _Namespace:
    listings: dict[int, dict[str, int]] = {}

    def listing(directory: DirNode) -> dict[str, int]:
        if directory.ino not in listings:
            listings[directory.ino] = listing_of(directory, keep)
        return listings[directory.ino]

    dirs, files = walk(nodes, listing)
    kept_ops: list[str] = []
    dropped_ops: list[str] = []
    for dir_ino in sorted(keep):
        label = names.get(dir_ino, f"<dir inode {dir_ino}>")
        pending = nodes[dir_ino].pending
        kept_ops.extend(f"{label}: {op.describe()}" for op in pending[:keep[dir_ino]])
        dropped_ops.extend(f"{label}: {op.describe()}" for op in pending[keep[dir_ino]:])
    dir_installs = tuple(
        (ino, nodes[ino].mode, tuple(sorted(listing(nodes[ino]).items()))) for _, ino in dirs)
    return _Namespace(tuple(path for path, _ in dirs), tuple(files), tuple(kept_ops), tuple(dropped_ops),
                      dir_installs)


def build_state(nodes: Nodes, keep: dict[int, int], choose: Callable[[FileNode], FileChoice],
                garbage: Callable[[int], bytes], names: dict[int, str],
                namespace: _Namespace | None = None) -> CrashState:
    """The state `keep` and the file choices `choose` makes (in path order) leave. `namespace`:
    `namespace_of(nodes, keep, names)` if already built."""
    if namespace is None:
        namespace = namespace_of(nodes, keep, names)
    file_items: list[tuple[str, bytes]] = []
    file_installs: list[tuple[int, int, bytes]] = []
    torn: list[TornRegion] = []
    data_ops: list[tuple[str, int, int]] = []
    for path, ino in namespace.files:
        node = nodes[ino]
        if not node.pending and not node.dropped:
            # `file_outcome(node, (0, None), garbage)`: the durable bytes, no torn region; the
            # node's own immutable copy, so every state holding this file shares one bytes object
            # (hashed once: the enumeration's dedup and the check's memo hash every state)
            data = node.durable_snapshot()
        else:
            choice = choose(node) if node.pending else (0, None)
            data, regions = file_outcome(node, choice, garbage)
            if node.pending:
                data_ops.append((path, choice[0], len(node.pending) - choice[0]))
            torn.extend(TornRegion(path, start, end, fill) for start, end, fill in regions)
        file_items.append((path, data))
        file_installs.append((ino, node.mode, data))
    return CrashState(
        dirs=namespace.dirs, files=tuple(file_items), torn=tuple(torn),
        kept_entry_ops=namespace.kept_ops, dropped_entry_ops=namespace.dropped_ops,
        data_ops=tuple(data_ops), install=(namespace.dir_installs, tuple(file_installs)))


def draw_state(nodes: Nodes, dirty: dict[int, None], rng: random.Random) -> CrashState:
    """The seeded crash: namespace prefixes first, then each surviving file in path order."""
    keep = draw_namespace(nodes, dirty, rng)
    # the paths only label the ops of the directories `keep` names (see `namespace_of`): with no
    # directory pending, the visible tree is not walked for them (as `enumerate_states` does)
    return build_state(nodes, keep, lambda node: draw_file_choice(node, rng), rng.randbytes,
                       visible_paths(nodes) if keep else {})


def _pattern(size: int) -> bytes:
    return (GARBAGE_PATTERN * (size // len(GARBAGE_PATTERN) + 1))[:size]


def enumerate_states(nodes: Nodes, dirty: dict[int, None], limit: int) -> list[CrashState]:
    """Every distinct state the model allows (garbage is the one fixed pattern), in a fixed order.

    `limit` bounds the candidate states examined (before duplicates are merged), so the
    cost is known before it is paid.
    """
    if limit < 1:
        raise CrashStateLimitError(f"limit must be >= 1, got {limit}")
    dirs = pending_dirs(nodes, dirty)
    ranges = [range(len(nodes[d].pending) + 1) for d in dirs]
    namespace_count = 1
    for r in ranges:
        namespace_count *= len(r)
    if namespace_count > limit:
        raise CrashStateLimitError(
            f"{namespace_count} namespace choices alone exceed the crash state limit {limit}: "
            "fsync directories earlier in the history you check, shorten it, or raise `limit`")
    names = visible_paths(nodes) if dirs else {}  # only the labels of pending directories' ops
    found: dict[CrashState, CrashState] = {}
    candidates = 0
    for combo in itertools.product(*ranges):
        keep = dict(zip(dirs, combo))
        if _first_inconsistency(nodes, keep) is not None:
            continue
        namespace = namespace_of(nodes, keep, names)
        pending_files = [nodes[ino] for _, ino in namespace.files if nodes[ino].pending]
        option_lists = [file_options(node) for node in pending_files]
        count = 1
        for options in option_lists:
            count *= len(options)
        candidates += count
        if candidates > limit:
            raise CrashStateLimitError(
                f"more than {limit} candidate crash states (at least {candidates}): fsync earlier in "
                "the history you check, shorten it, raise `limit`, or use seeded crash() instead")
        for picks in itertools.product(*option_lists):
            by_ino = {node.ino: pick for node, pick in zip(pending_files, picks)}
            state = build_state(nodes, keep, lambda node: by_ino[node.ino], _pattern, names, namespace)
            found.setdefault(state, state)
    return list(found.values())
