"""The disk's fault hook: turns plan decisions into `sim.disk.DiskFault`s at the start of each op.

WHY an adapter: the disk asks `decide(op, path, nbytes)` at the start of every op; the faults layer
answers by asking the injector about the kinds that make sense for that op, in a fixed order (the
first that fires wins). The injection point is "disk.<op>" (e.g. "disk.write") on this node.

Order per op: disk.crash_at_op (any op), then
- write: disk.enospc, disk.write_eio, disk.short_write (keep = keep_fraction * nbytes, < nbytes),
  disk.lost_write, disk.duplicate_write (both beyond the promise: durable bytes are not what was written);
- open, mkdir, ftruncate: disk.enospc;
- read, pread: disk.read_eio;
- fsync, fdatasync: disk.fsync_eio, disk.fsync_lie.

disk.bitflip is bit rot of durable data at rest, not an op failure: it is decided at the start of
every op at point "disk.bitflip" (before the others) and, when it fires, flips one bit of a durable
file through `disk.flip_bit(path, bit_index)`; the file and bit are picked by the drawn fractions
among `disk.durable_files()` in sorted path order. It needs the disk: pass `disk=`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faults.injector import FaultInjector
from sim.disk.fault import DISK_OPS, FAULT_OPS, DiskFault

# The sim kind each op-level fault kind becomes (disk.bitflip is not an op failure: see above).
_DISK_FAULT_BY_KIND = {
    "disk.crash_at_op": "crash",
    "disk.enospc": "enospc",
    "disk.write_eio": "write_eio",
    "disk.short_write": "short_write",
    "disk.lost_write": "lost_write",
    "disk.duplicate_write": "duplicate_write",
    "disk.read_eio": "read_eio",
    "disk.fsync_eio": "fsync_eio",
    "disk.fsync_lie": "fsync_lie",
}
# The order the kinds are asked in at one op (the first that fires wins). Which op each may hit is
# not restated here: it is the disk's own table, `sim.disk.fault.FAULT_OPS`.
_DECISION_ORDER = ("disk.crash_at_op", "disk.enospc", "disk.write_eio", "disk.short_write",
                   "disk.lost_write", "disk.duplicate_write", "disk.read_eio", "disk.fsync_eio", "disk.fsync_lie")
assert set(_DECISION_ORDER) == set(_DISK_FAULT_BY_KIND)
# A kind that strikes only at some of the ops its sim kind may hit names them here (default: all).
_NARROWED_OPS: dict[str, frozenset[str]] = {}
assert all(ops <= FAULT_OPS[_DISK_FAULT_BY_KIND[kind]] for kind, ops in _NARROWED_OPS.items())
_KINDS_BY_OP: dict[str, tuple[str, ...]] = {
    op: tuple(kind for kind in _DECISION_ORDER
              if op in _NARROWED_OPS.get(kind, FAULT_OPS[_DISK_FAULT_BY_KIND[kind]]))
    for op in DISK_OPS
}
_ANY_OP_KINDS = ("disk.crash_at_op",)
_BITFLIP_KINDS = ("disk.bitflip",)  # decided at every op, before and apart from the op's own kinds
_DATA_KINDS = frozenset({"disk.lost_write", "disk.duplicate_write"})
# kind -> the injection points ("disk.<op>") that may carry it: for strategies and schedules
POINTS_BY_KIND: dict[str, tuple[str, ...]] = {
    **{kind: tuple(f"disk.{op}" for op in DISK_OPS if kind in _KINDS_BY_OP[op]) for kind in _DECISION_ORDER},
    "disk.bitflip": ("disk.bitflip",),
}
BITFLIP_FILES_MAX = 100_000


class DiskFaultInjector:
    """Implements `SimDisk.fault_hook.decide(op, path, nbytes)` for the disk of `node`."""

    __slots__ = ("injector", "node", "disk", "_points", "_kinds_by_op", "_any_op_kinds", "_bitflip_on",
                 "_kinds_by_op_empty", "_asks", "_asks_empty")

    def __init__(self, injector: FaultInjector, node: str, *, disk: Any | None = None) -> None:
        assert isinstance(injector, FaultInjector)
        if type(node) is not str or not node:
            raise ValueError(f"node must be the name of the disk's node, got {node!r}")
        self.injector = injector
        self.node = node
        self.disk = disk
        self._points: dict[str, str] = {op: f"disk.{op}" for op in DISK_OPS}
        # Only the kinds the run has on, in the same order: asking the injector about a kind that is
        # off returns None without a draw or a count (see FaultInjector.kinds_on), so skipping it
        # leaves every decision as it was. A fault-free run asks nothing at all.
        on = injector.kinds_on
        self._kinds_by_op: dict[str, tuple[str, ...]] = {
            op: tuple(kind for kind in kinds if kind in on) for op, kinds in _KINDS_BY_OP.items()}
        self._any_op_kinds = tuple(kind for kind in _ANY_OP_KINDS if kind in on)
        # An op of no bytes has nothing to cut short, lose or repeat: those kinds are not asked then.
        self._kinds_by_op_empty: dict[str, tuple[str, ...]] = {
            op: tuple(kind for kind in kinds if kind != "disk.short_write" and kind not in _DATA_KINDS)
            for op, kinds in self._kinds_by_op.items()}
        self._bitflip_on = disk is not None and "disk.bitflip" in on
        self._asks: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._asks_empty: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._index_asks()

    @property
    def asks_anything(self) -> bool:
        """Whether any op can be answered but None or have a bit flipped: some disk kind is on. A
        disk given no hook asks nothing, which is what this hook answers when none is (the kinds on
        are fixed for a run, and a kind that is off never draws or counts)."""
        return self._bitflip_on or bool(self._any_op_kinds) or any(self._kinds_by_op.values())

    def _index_asks(self) -> None:
        """op -> (its injection point, the kinds asked there), for an op of some bytes and of none,
        from `_points` and the two kind tables: what `decide` looks up, in one dict read (the disk
        asks at every op, about 38 k times over every scenario's seeds 0-2)."""
        self._asks = {op: (self._points[op], kinds) for op, kinds in self._kinds_by_op.items()}
        self._asks_empty = {op: (self._points[op], kinds) for op, kinds in self._kinds_by_op_empty.items()}

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        injector = self.injector
        if not injector.active:
            return None
        asks = (self._asks if nbytes > 0 else self._asks_empty).get(op)
        if asks is None:
            asks = self._asks_of_unknown_op(op)
        if self._bitflip_on:
            flip = injector.decide_first("disk.bitflip", _BITFLIP_KINDS, self.node)
            if flip is not None:
                self._flip(flip[1])
        point, kinds = asks
        if not kinds:
            return None  # a fault-free run asks nothing
        found = injector.decide_first(point, kinds, self.node)  # in order; the first that fires wins
        if found is None:
            return None
        kind, params = found
        if kind == "disk.short_write":
            keep = min(nbytes - 1, int(float(params["keep_fraction"]) * nbytes))
            return DiskFault("short_write", keep=keep)
        return DiskFault(_DISK_FAULT_BY_KIND[kind])

    def _asks_of_unknown_op(self, op: str) -> tuple[str, tuple[str, ...]]:
        """(point, kinds) of an op the disk's table does not name: only the any-op kinds. Not kept
        (an unknown op is a new front end's, never the simulated disk's own)."""
        point = self._points.get(op)
        if point is None:
            point = self._points[op] = f"disk.{op}"
        return point, self._any_op_kinds

    def _flip(self, params: dict) -> None:
        """Flip the picked bit; on an empty disk the fault fires with nothing to rot (traced anyway)."""
        sizes = _durable_sizes(self.disk)
        candidates = [(path, size) for path, size in sizes if size > 0]
        if not candidates:
            return
        path, size_bytes = candidates[min(len(candidates) - 1, int(float(params["file_fraction"]) * len(candidates)))]
        bit_count = size_bytes * 8
        bit_index = min(bit_count - 1, int(float(params["bit_fraction"]) * bit_count))
        self.disk.flip_bit(path, bit_index)


def _durable_sizes(disk: Any) -> list[tuple[str, int]]:
    """(path, durable size in bytes) for each durable file, sorted by path."""
    files = disk.durable_files()
    out: list[tuple[str, int]] = []
    if isinstance(files, Mapping):
        for path in sorted(files):
            value = files[path]
            out.append((path, value if isinstance(value, int) else len(value)))
    else:
        for path in sorted(files):
            out.append((path, len(disk.durable_bytes(path)) if hasattr(disk, "durable_bytes") else 0))
    assert len(out) <= BITFLIP_FILES_MAX, "too many durable files to pick a bit flip from"
    return out
