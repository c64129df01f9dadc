"""The bytes and entries the simulated disk holds, each in two versions: visible and durable.

A file keeps its visible bytes (what reads see: the page cache), its durable bytes (what a
crash that kept nothing pending leaves), and the list of writes/truncates issued since its
last fsync, in order. fsync replays only that list onto the durable copy, so the cost of an
fsync is the bytes written since the last one, never the file size: this keeps an append
+ fsync ledger O(1) per record however large its segment grows.

A directory keeps the same trio for its entries. An entry operation (link, unlink, rename)
is one `EntryOp` shared by every directory it touches, so a rename is one atomic thing.
"""
from __future__ import annotations

SECTOR_BYTES = 512
_new_object = object.__new__
_WRITE_BITS = 0o222  # a file with none of them set is settled once read (see `FileNode._settle`)

# A pending data op is a tuple: (offset, payload_bytes) for a write, (length, None) for a truncate.
DataOp = tuple[int, "bytes | None"]


def apply_data_op(buf: bytearray, op: DataOp) -> None:
    """Apply one write or truncate to `buf` in place, zero-filling any hole it opens."""
    pos, payload = op
    size = len(buf)
    if payload is None:
        if pos < size:
            del buf[pos:]
        elif pos > size:
            buf.extend(bytes(pos - size))
        return
    if pos == size:
        buf += payload
        return
    if pos > size:
        buf.extend(bytes(pos - size))
    buf[pos:pos + len(payload)] = payload


class FileNode:
    """A regular file's inode: visible data, durable data, pending data ops.

    `data` and `durable` are bytearrays, or (an installed crash state's file, until it first
    changes) one immutable bytes object both share: whatever changes either in place takes it
    through `writable_data` / `writable_durable` first; reading needs nothing (len, index, slice,
    memoryview and `bytes()` answer alike for both types)."""

    __slots__ = ("ino", "mode", "data", "durable", "pending", "dropped", "durable_rewrites", "visible_rewrites",
                 "snapshot", "snapshot_rewrites", "kept_durable", "kept_durable_rewrites", "stat_cache")
    is_dir = False

    def __init__(self, ino: int, mode: int) -> None:
        assert ino > 0
        self.ino = ino
        self.mode = mode
        self.data = bytearray()
        self.durable = bytearray()
        self.pending: list[DataOp] = []
        # (start, end) byte ranges whose writes an fsync EIO dropped from the durable path.
        self.dropped: list[tuple[int, int]] = []
        # how often the durable bytes changed other than by growing at the end (a truncate, an
        # overwrite, rot): an incremental reader of durable bytes knows its prefix is stale
        self.durable_rewrites = 0
        # the same for the visible bytes (what reads see): an overwrite, a truncate that cuts, rot
        self.visible_rewrites = 0
        # `bytes(data)` as of `snapshot_rewrites`, handed out while it is still what reads see (see
        # `visible_snapshot`); at most one per file, so at most the file's own size again
        self.snapshot: bytes | None = None
        self.snapshot_rewrites = 0
        # the same for the durable bytes, as of `kept_durable_rewrites` (see `durable_snapshot`)
        self.kept_durable: bytes | None = None
        self.kept_durable_rewrites = 0
        # (mode, size, its os.stat_result): see `SimDisk._stat_of`
        self.stat_cache: tuple | None = None

    @classmethod
    def installed(cls, ino: int, mode: int, data: bytes | bytearray) -> "FileNode":
        """The file a crash state installs: `data` both visible and durable, nothing pending, and
        (for immutable `data`, as a drawn or enumerated state's are) `data` itself already the bytes
        reads and durable readers see. `__init__` and then those fields set again, in one step: every
        installed state makes one per file (a spec holds every slot equal).

        Immutable `data` is not copied at all: both versions hold it until one of them first
        changes (`writable_data`, `writable_durable`). WHY: an exhaustive check installs every file
        of every state it clones, and copied each file's bytes twice, for a recovery that reads
        most of them and writes to one or two."""
        assert ino > 0
        node = _new_object(cls)
        node.ino = ino
        node.mode = mode
        if type(data) is bytes:
            node.data = node.durable = data
        else:
            node.data = bytearray(data)
            node.durable = bytearray(data)
        node.pending = []
        node.dropped = []
        node.durable_rewrites = 0
        node.visible_rewrites = 0
        node.snapshot = node.kept_durable = data if type(data) is bytes else None
        node.snapshot_rewrites = 0
        node.kept_durable_rewrites = 0
        node.stat_cache = None
        return node

    def writable_data(self) -> bytearray:
        """The visible bytes, as the bytearray a write changes in place: an installed file's shared
        immutable bytes are copied at the first change (see `installed`), never before."""
        data = self.data
        if type(data) is not bytearray:
            data = self.data = bytearray(data)
        return data

    def writable_durable(self) -> bytearray:
        """The durable bytes, as the bytearray an fsync or rot changes in place (see `writable_data`)."""
        durable = self.durable
        if type(durable) is not bytearray:
            durable = self.durable = bytearray(durable)
        return durable

    def visible_snapshot(self) -> bytes:
        """`bytes(self.data)`, the same object while the data is unchanged.

        WHY: a scrub reads every segment whole, and observers look at the
        same files again and again; each look copied every byte. Same `visible_rewrites` and same
        length mean the same bytes (the data only grew at the end, and it did not grow), which
        `tests/sim/disk/test_visible_version.py` holds over any history; the snapshot's callers
        get an immutable copy either way, and equal copies compare by identity first."""
        snapshot = self.snapshot
        if snapshot is None or len(snapshot) != len(self.data) or self.snapshot_rewrites != self.visible_rewrites:
            snapshot = self.snapshot = bytes(self.data)
            self.snapshot_rewrites = self.visible_rewrites
        if not self.mode & _WRITE_BITS and type(self.data) is bytearray:  # (a snapshot taken before a chmod too)
            self._settle(snapshot, self.durable)
        return snapshot

    def durable_snapshot(self) -> bytes:
        """`bytes(self.durable)`, the same object while the durable bytes are unchanged: what
        `visible_snapshot` is for reads, for the observers of durable bytes (same
        `durable_rewrites` and same length mean the same bytes, which the durability index already
        relies on)."""
        kept = self.kept_durable
        if kept is None or len(kept) != len(self.durable) or self.kept_durable_rewrites != self.durable_rewrites:
            kept = self.kept_durable = bytes(self.durable)
            self.kept_durable_rewrites = self.durable_rewrites
        if not self.mode & _WRITE_BITS and type(self.durable) is bytearray:  # (a snapshot taken before a chmod too)
            self._settle(kept, self.data)
        return kept

    def _settle(self, copy: bytes, other: bytes | bytearray) -> None:
        """Hold `copy` (a snapshot, equal to one version's bytes) as both versions and both snapshots,
        when nothing is pending and `other` (the other version) holds the same bytes: one immutable
        object instead of four copies of the file (its two bytearrays and two snapshots), until
        either version changes.

        WHY: a long run's closed segments (read-only, fsynced, read again by every scrub and by the
        durable observers) held every byte of the ledger four times, about a tenth of a 100,000-signal
        run's memory. A settled file is what `installed` makes: whatever changes a version in place
        copies it first (`writable_data`, `writable_durable`; the write and fsync fast paths test the
        type), so a settled file behaves exactly as before. Only read-only files are settled: one
        still written would be copied back at its next write, and settled again at its next read."""
        if self.pending or type(self.data) is not bytearray or type(self.durable) is not bytearray:
            return
        if len(other) != len(copy) or other != copy:
            return
        assert len(self.data) == len(self.durable) == len(copy)
        self.data = self.durable = self.snapshot = self.kept_durable = copy
        self.snapshot_rewrites = self.visible_rewrites
        self.kept_durable_rewrites = self.durable_rewrites

    def commit(self) -> None:
        """fsync: make every pending op durable, in issue order."""
        durable = self.writable_durable()
        for op in self.pending:
            pos, payload = op
            if pos == len(durable) and payload is not None:
                durable += payload  # an append: `apply_data_op`'s first case, without its frame
                continue
            if pos < len(durable):  # a truncate into, or a write over, bytes already durable
                self.durable_rewrites += 1
            apply_data_op(durable, op)
        self.pending = []

    def drop_pending(self) -> None:
        """fsync EIO: the pending ops will never be durable; reads keep seeing them."""
        for pos, payload in self.pending:
            if payload is not None and payload:
                self.dropped.append((pos, pos + len(payload)))
        self.pending = []


class EntryOp:
    """One directory entry operation, shared by the one or two directories it touches.

    link:   dst_dir/dst_name -> ino          (create, mkdir)
    unlink: src_dir/src_name removed         (unlink, rmdir)
    rename: src entry removed and dst entry -> ino, atomically (replacing what dst named)
    `pending_in` lists the directories where the op is not yet durable.
    """

    __slots__ = ("seq", "kind", "ino", "src_dir", "src_name", "dst_dir", "dst_name", "pending_in")

    def __init__(self, seq: int, kind: str, ino: int, src_dir: int | None, src_name: str | None,
                 dst_dir: int | None, dst_name: str | None) -> None:
        assert kind in ("link", "unlink", "rename"), kind
        assert (src_dir is None) == (src_name is None)
        assert (dst_dir is None) == (dst_name is None)
        self.seq = seq
        self.kind = kind
        self.ino = ino
        self.src_dir = src_dir
        self.src_name = src_name
        self.dst_dir = dst_dir
        self.dst_name = dst_name
        # the directories it touches, sorted, each once (no comprehension, set and sort: every create,
        # unlink and rename makes one)
        if src_dir is None or src_dir == dst_dir:
            pending_in = [dst_dir] if dst_dir is not None else []
        elif dst_dir is None:
            pending_in = [src_dir]
        else:
            pending_in = [src_dir, dst_dir] if src_dir < dst_dir else [dst_dir, src_dir]
        self.pending_in: list[int] = pending_in

    @property
    def is_cross_dir(self) -> bool:
        return len(self.pending_in) == 2 or (
            self.src_dir is not None and self.dst_dir is not None and self.src_dir != self.dst_dir)

    def apply_to(self, listing: dict[str, int], dir_ino: int) -> None:
        """Replay this op's effect on directory `dir_ino`'s listing."""
        if self.src_dir == dir_ino:
            assert self.src_name in listing, (self.src_name, dir_ino)
            del listing[self.src_name]
        if self.dst_dir == dir_ino:
            listing[self.dst_name] = self.ino

    def describe(self) -> str:
        if self.kind == "link":
            return f"link {self.dst_name}"
        if self.kind == "unlink":
            return f"unlink {self.src_name}"
        return f"rename {self.src_name} -> {self.dst_name}"


class DirNode:
    """A directory's inode: visible entries, durable entries, pending entry ops."""

    __slots__ = ("ino", "mode", "entries", "durable", "pending", "stat_cache")
    is_dir = True

    def __init__(self, ino: int, mode: int) -> None:
        assert ino > 0
        self.ino = ino
        self.mode = mode
        self.stat_cache: tuple | None = None  # (mode, 0, its os.stat_result): see `SimDisk._stat_of`
        self.entries: dict[str, int] = {}
        self.durable: dict[str, int] = {}
        self.pending: list[EntryOp] = []

    @classmethod
    def installed(cls, ino: int, mode: int, entries: tuple[tuple[str, int], ...]) -> "DirNode":
        """The directory a crash state installs: `entries` both visible and durable, nothing pending
        (`__init__` and then the two listings set again, in one step, as `FileNode.installed`)."""
        assert ino > 0
        node = _new_object(cls)
        node.ino = ino
        node.mode = mode
        node.stat_cache = None
        node.entries = listing = dict(entries)
        node.durable = listing.copy()  # a dict's copy, not a second build from the pairs
        node.pending = []
        return node
