"""SimDisk: the `os` subset the ledger uses, on a crash-aware in-memory model.

Same names, arguments, return values and errno values as `os`, so system code runs on it
unchanged. What reads see and what is durable are kept apart (see `nodes`, `namespace`);
`crash()` draws a post-crash state from the seeded `disk` stream (see `crash_model`).

Deliberate choices, where the real `os` is arbitrary or machine-dependent:
- `listdir` returns names sorted: the real order is arbitrary; sorted is deterministic.
- paths are normalized with posixpath.normpath, so ".." is resolved lexically (no symlinks
  exist here, so this differs from the kernel only through a missing or non-directory
  component before the ".."). A relative path is relative to "/".
- a file created with mode m gets m & ~umask (umask 0o022 by default, settable).
- `chmod` is durable at once (mode changes are not part of the crash model).
- capacity: the sum of visible file sizes. A write that does not fit writes what fits
  and returns that count; the next write, with no room left, raises ENOSPC (as Linux).
  An unlinked file frees its bytes at unlink, even if a descriptor still holds it.
- time stamps in stat results are 0: the disk reads no clock.
"""
from __future__ import annotations

import errno
import heapq
import os
import posixpath
import random
import stat as stat_module
from collections.abc import Iterable, Iterator
from typing import Callable

from sim.crash import SimulatedCrash
from sim.disk import crash_model
from sim.disk.change_feed import ChangeFeed
from sim.disk.crash_model import ROOT_INO, CrashReport, CrashState
from sim.disk.errors import DiskUsageError, os_error
from sim.disk.fault import FAULT_OPS, DiskFault
from sim.disk.namespace import commit_dir, commit_links_of
from sim.disk.nodes import DirNode, EntryOp, FileNode
from sim.disk.path_view import DiskPath

PROFILES = ("posix", "ext4-ordered")
FD_FIRST = 3
OPEN_FILES_MAX = 65_536
PATH_DEPTH_MAX = 4096
_ACCESS_MASK = os.O_RDONLY | os.O_WRONLY | os.O_RDWR
# the flags and mode bits `open` tests, bound once: a module global is one lookup, `os.O_CREAT` two
# (every read of a file and every fsync of a directory opens one, about 26 per exhaustive crash state)
_O_WRONLY, _O_RDONLY, _O_CREAT, _O_EXCL, _O_TRUNC, _O_APPEND, _O_DIRECTORY = (
    os.O_WRONLY, os.O_RDONLY, os.O_CREAT, os.O_EXCL, os.O_TRUNC, os.O_APPEND, os.O_DIRECTORY)
_S_IRUSR, _S_IWUSR = stat_module.S_IRUSR, stat_module.S_IWUSR
_new_object = object.__new__
_heappop, _heappush = heapq.heappop, heapq.heappush  # every open and close: one global read, not two
# Every disk op normalizes its path; a ledger uses the same few hundred paths over and over.
NORM_MEMO_MAX = 4096
# given path -> (given, normalized, had a trailing slash): what `_norm` returns for it.
_norm_memo: dict[str, tuple[str, str, bool]] = {}
# normalized path (not "/") -> (its components, the directory ones, the last one): the path walks' split.
_split_memo: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {}


def _split(norm: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(components, directory components, last component) of a normalized path other than "/";
    memoized, pure (like `_norm_memo`): every path walk splits the same few hundred paths."""
    found = _split_memo.get(norm)
    if found is None:
        parts = tuple(norm[1:].split("/"))
        found = (parts, parts[:-1], parts[-1])
        if len(_split_memo) >= NORM_MEMO_MAX:
            _split_memo.clear()  # dropping a pure function's memo changes nothing but speed
        _split_memo[norm] = found
    return found


def _sync_op(op: str) -> Callable[["SimDisk", object], None]:
    """`SimDisk.fsync` / `SimDisk.fdatasync`: the descriptor's pending writes (a file) or entry ops (a
    directory) become durable, unless the hook decided an fsync fault ("fsync_lie", "fsync_eio")."""
    def sync(self: "SimDisk", fd) -> None:
        if not isinstance(fd, int):
            fd = fd.fileno()
        # `self._open_file(fd, op, 0)`, inline (the same count, trace and question, in order)
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op=op, path=path, nbytes=0, op_index=self.op_count)
        hook = self.fault_hook
        fault = hook.decide(op, path, 0) if hook is not None else None
        if fault is not None:
            fault = self._fault_begins(op, path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        node = open_file.node
        if fault is not None:
            if fault.kind == "fsync_lie":
                self._fault(op, open_file.path, "fsync_lie", pending_ops=len(node.pending))
                return
            assert fault.kind == "fsync_eio", fault
            self._fault(op, open_file.path, "fsync_eio", dropped_ops=0 if node.is_dir else len(node.pending))
            if not node.is_dir:
                node.drop_pending()
            raise os_error(errno.EIO)
        pending = node.pending
        if node.is_dir:
            if pending:  # `commit_dir` of no op changes nothing: its frame only when there is one
                commit_dir(self._nodes, node, len(pending), self._changes.touch)
            self._dirty.pop(node.ino, None)
            return
        if pending:
            durable = node.durable
            if (len(pending) == 1 and pending[0][0] == len(durable) and pending[0][1] is not None
                    and type(durable) is bytearray):  # (a settled file's shared bytes: `commit` copies them)
                durable += pending[0][1]  # one append (a ledger's record): `commit`'s first case, inline
                node.pending = []
            else:
                node.commit()
            self._changes.touch(node.ino)
        if self.profile == "ext4-ordered" and self._dirty:
            commit_links_of(self._nodes, self._dirty, node.ino, self._changes.touch)

    sync.__name__ = sync.__qualname__ = op
    sync.__doc__ = f"`os.{op}(fd)` on the simulated disk (see `_sync_op`)."
    return sync


def _whole_file_read(hook_off: bool) -> Callable[..., tuple[bytes, int] | None]:
    """`SimDisk.read_whole_file`, made once per hook rule (`hook_off`: as if no hook were set, what
    the shared volume's five calls would see): one body, and no frame between the caller and it."""

    def read_whole_file(self: "SimDisk", path, read_max_bytes: int) -> tuple[bytes, int] | None:
        """What `open(path, O_RDONLY)`, `fstat`, `lseek(0, SEEK_SET)`, `read(st_size)` (none for an
        empty file) and `close` give, as (bytes, st_mode), when none of the five can fail, no fault
        hook is set (or `hook_off`: as if none were) and no op is traced: the same op count,
        descriptor taken and freed, snapshot and bytes object. None, having done nothing, whenever
        one of these does not hold: the caller then makes the five calls itself (see
        `omen.ledger.fs_ops.read_file_and_mode`).

        WHY: a scrub reads every segment of every day (about 740 of the open day alone, on average,
        at 100,000 signals) through the five calls, and each is a frame with its own path, descriptor
        and count bookkeeping: about two thirds of an unchanged segment's reread. With no hook and
        no trace there is no question to ask between them and nothing to record, so what is left
        of the five is their counts and their effects, made here in one frame. `read_max_bytes` is
        the caller's single read: a file that large is read in chunks, by the caller."""
        if self.trace_ops or (self.fault_hook is not None and not hook_off) or type(path) is not str:
            return None
        found = _norm_memo.get(path)
        if found is None or found[2]:
            return None  # a path not seen yet, or with a trailing slash: the calls make their errors
        norm = found[1]
        split = _split_memo.get(norm)
        if split is None or len(split[0]) > PATH_DEPTH_MAX:
            return None
        nodes = self._nodes
        directory = nodes[ROOT_INO]
        for part in split[1]:
            ino = directory.entries.get(part)
            if ino is None:
                return None
            directory = nodes[ino]
            if not directory.is_dir:
                return None
        ino = directory.entries.get(split[2])
        if ino is None:
            return None
        node = nodes[ino]
        if node.is_dir or (not self.root_user and not node.mode & _S_IRUSR) or len(self._fds) >= OPEN_FILES_MAX:
            return None
        size_bytes = len(node.data)
        if size_bytes >= read_max_bytes:
            return None
        # `open`'s descriptor, taken and freed by `close`: a free one is the heap's smallest, and
        # pushed back it leaves the heap's content as it was (the next open gets the descriptor it
        # would have got); with none free, a new one is made and left free
        free_fds = self._free_fds
        if not free_fds:
            free_fds.append(self._next_fd)
            self._next_fd += 1
        if size_bytes == 0:
            self.op_count += 4  # open, fstat, lseek, close: an empty file is not read
            return b"", node.mode
        self.op_count += 5
        # `read`'s whole-file answer: the node's snapshot while unchanged (`visible_snapshot`)
        data = node.snapshot
        if data is None or len(data) != size_bytes or node.snapshot_rewrites != node.visible_rewrites:
            data = node.visible_snapshot()
        return data, node.mode

    return read_whole_file


class OpenFile:
    """One open descriptor: which inode, how it was opened, where it is."""

    __slots__ = ("node", "path", "readable", "writable", "append", "offset")

    def __init__(self, node: FileNode | DirNode, path: str, readable: bool, writable: bool,
                 append: bool) -> None:
        self.node = node
        self.path = path
        self.readable = readable
        self.writable = writable
        self.append = append
        self.offset = 0


class SimDirEntry:
    """What `scandir` yields: the os.DirEntry subset (no symlinks exist here)."""

    __slots__ = ("name", "path", "_stat")

    def __init__(self, name: str, path: str, stat_result: os.stat_result) -> None:
        self.name = name
        self.path = path
        self._stat = stat_result

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        return stat_module.S_ISDIR(self._stat.st_mode)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        return stat_module.S_ISREG(self._stat.st_mode)

    def is_symlink(self) -> bool:
        return False

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return self._stat

    def inode(self) -> int:
        return self._stat.st_ino

    def __repr__(self) -> str:
        return f"<SimDirEntry {self.name!r}>"


class _ScandirIterator:
    def __init__(self, entries: list[SimDirEntry]) -> None:
        self._iter = iter(entries)

    def __iter__(self):
        return self

    def __next__(self) -> SimDirEntry:
        return next(self._iter)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def close(self) -> None:
        return None


class SimDisk:
    """An os-like, crash-aware, deterministic disk. See the module docstring."""

    O_RDONLY = os.O_RDONLY
    O_WRONLY = os.O_WRONLY
    O_RDWR = os.O_RDWR
    O_CREAT = os.O_CREAT
    O_EXCL = os.O_EXCL
    O_TRUNC = os.O_TRUNC
    O_APPEND = os.O_APPEND
    O_DIRECTORY = os.O_DIRECTORY
    SEEK_SET = os.SEEK_SET
    SEEK_CUR = os.SEEK_CUR
    SEEK_END = os.SEEK_END
    sep = "/"

    def __init__(self, rng: random.Random, record: Callable[..., int] | None = None, *,
                 profile: str = "posix", capacity_bytes: int | None = None, node: str = "omen",
                 root_user: bool = False, trace_ops: bool = False) -> None:
        if not isinstance(rng, random.Random):
            raise DiskUsageError(f"rng must be a random.Random (the 'disk' stream), got {type(rng).__name__}")
        if profile not in PROFILES:
            raise DiskUsageError(f"unknown disk profile {profile!r}; use one of {list(PROFILES)}")
        if capacity_bytes is not None and capacity_bytes < 0:
            raise DiskUsageError(f"capacity_bytes must be >= 0 or None, got {capacity_bytes}")
        self._rng_moment: _StreamMoment | None = None  # see `rng`
        self.rng = rng
        self.record = record
        self.profile = profile
        self.capacity_bytes = capacity_bytes
        self.node = node
        self.root_user = root_user
        self.trace_ops = trace_ops
        self.fault_hook = None
        self.op_count = 0
        self.umask = 0o022
        self.path = DiskPath(self)
        self._nodes: dict[int, FileNode | DirNode] = {ROOT_INO: DirNode(ROOT_INO, stat_module.S_IFDIR | 0o755)}
        self._next_ino = ROOT_INO + 1
        self._dirty: dict[int, None] = {}
        self._seq = 0
        self._fds: dict[int, OpenFile] = {}
        self._free_fds: list[int] = []
        self._next_fd = FD_FIRST
        self._used_bytes = 0
        self._changes = ChangeFeed()
        self._installs = 0  # crash states installed: every inode after one is a new file, whatever its number

    # ---------------------------------------------------------------- bookkeeping

    @property
    def rng(self) -> random.Random:
        """The seeded 'disk' stream (crash draws, a crash fault's cut of a write).

        A twin made to install a crash state holds only the stream's state as its parent's visits
        began (a `_StreamMoment`, one for all the visits until the parent's stream may move), and
        builds its own generator at its first draw. WHY: a check's clone draws nothing, and copying a
        Mersenne Twister per clone (seed, get and set its 625 words) cost about as much as installing
        the state; the draws are the ones a copy makes.

        The stream moves only through this property (every draw of the disk's own is
        `self.rng.<draw>`, and the stream is the disk's: no other component is handed it): so a
        moment not yet taken is taken here, before anyone may draw, and the parent's stream is still
        where its visits began whenever a twin takes it. WHY: taking it (`getstate`, 625 ints, about
        24 us) at every batch of visits was paid for twins that never draw."""
        rng = self._rng
        if rng is None:
            state = self._rng_state
            if type(state) is _StreamMoment:
                state = state.state()
            rng = random.Random(0)  # any seed: the state is overwritten with the parent's
            rng.setstate(state)
            self._rng, self._rng_state = rng, None
        moment = self._rng_moment
        if moment is not None:  # the stream may move now: the visits' twins keep where it was
            moment.take()
            self._rng_moment = None
        return rng

    @rng.setter
    def rng(self, rng: random.Random) -> None:
        moment = self._rng_moment
        if moment is not None:
            moment.take()
            self._rng_moment = None
        self._rng = rng
        self._rng_state = None

    @property
    def entry_op_count(self) -> int:
        """Entry ops (a link, an unlink, a rename) made so far: it moves whenever a name is made or
        dropped, so a caller that saw no name of a kind knows none was made while it did not move."""
        return self._seq

    @property
    def used_bytes(self) -> int:
        """Sum of visible file sizes: what `capacity_bytes` limits."""
        return self._used_bytes

    def _trace(self, kind: str, **fields) -> None:
        if self.record is not None:
            self.record(self.node, kind, **fields)

    def _begin(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        """Count the op, trace it if asked, and ask the fault hook; fire a non-write crash here."""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op=op, path=path, nbytes=nbytes, op_index=self.op_count)
        hook = self.fault_hook
        if hook is None:
            return None
        fault = hook.decide(op, path, nbytes)
        if fault is None:
            return None
        return self._fault_begins(op, path, fault)

    def _fault_begins(self, op: str, path: str, fault: DiskFault) -> DiskFault:
        """A fault the hook decided at the start of `op`: check it may apply there, fire a non-write
        crash now, else hand it to the op."""
        if not isinstance(fault, DiskFault):
            raise DiskUsageError(f"fault_hook.decide must return a DiskFault or None, got {fault!r}")
        if op not in FAULT_OPS[fault.kind]:
            raise DiskUsageError(
                f"fault {fault.kind!r} cannot apply to op {op!r}; it applies to {sorted(FAULT_OPS[fault.kind])}")
        if fault.kind == "crash" and op != "write":
            self._fire_crash(op, path)
        return fault

    def _fault(self, op: str, path: str, kind: str, **fields) -> None:
        self._trace("disk.fault", op=op, path=path, fault=kind, op_index=self.op_count, **fields)

    def _fire_crash(self, op: str, path: str, **fields) -> None:
        self._fault(op, path, "crash", **fields)
        raise SimulatedCrash(self.node, f"planned crash inside disk op #{self.op_count} ({op} {path})")

    def _new_ino(self) -> int:
        ino = self._next_ino
        self._next_ino += 1
        return ino

    def _entry_op(self, kind: str, ino: int, src_dir: int | None, src_name: str | None,
                  dst_dir: int | None, dst_name: str | None) -> None:
        self._seq += 1
        op = EntryOp(self._seq, kind, ino, src_dir, src_name, dst_dir, dst_name)
        # `record_entry_op(self._nodes, self._dirty, op)`, inline (every create, rename and unlink)
        nodes, dirty = self._nodes, self._dirty
        for dir_ino in op.pending_in:
            directory = nodes[dir_ino]
            assert directory.is_dir
            directory.pending.append(op)
            dirty[dir_ino] = None
        touch = self._changes.touch
        if src_dir is not None:
            touch(src_dir)
        if dst_dir is not None:
            touch(dst_dir)

    # ---------------------------------------------------------------- paths

    @staticmethod
    def _norm(path) -> tuple[str, str, bool]:
        """(given, normalized absolute path, had a trailing slash).

        Memoized whole for str paths: every op and every observer look normalizes its path, and
        a run names the same few hundred paths over and over. A pure function of the string, so a
        hit returns exactly what the computation would (errors are never memoized)."""
        if type(path) is str:
            found = _norm_memo.get(path)
            if found is not None:
                return found
        given = os.fspath(path)
        if not isinstance(given, str):
            raise TypeError(f"SimDisk paths are str, got {type(given).__name__}: {given!r}")
        if given == "":
            raise os_error(errno.ENOENT, given)
        norm = posixpath.normpath(given if given.startswith("/") else "/" + given)
        if norm.startswith("//"):
            norm = "/" + norm.lstrip("/")
        result = (given, norm, given.endswith("/") and norm != "/")
        if type(given) is str:  # not a str subclass: its equality and hash could differ
            if len(_norm_memo) >= NORM_MEMO_MAX:
                _norm_memo.clear()  # a pure function's memo: dropping it changes nothing but speed
            _norm_memo[given] = result
        return result

    def _parent(self, norm: str, filename: str, filename2: str | None = None) -> tuple[DirNode, str]:
        """The directory that holds `norm`'s last component, and that component."""
        assert norm != "/" and norm.startswith("/"), norm
        parts, directories, name = _split_memo.get(norm) or _split(norm)  # a hit without the frame
        if len(parts) > PATH_DEPTH_MAX:
            raise os_error(errno.ENAMETOOLONG, filename, filename2)
        nodes = self._nodes
        directory = nodes[ROOT_INO]
        for part in directories:
            ino = directory.entries.get(part)
            if ino is None:
                raise os_error(errno.ENOENT, filename, filename2)
            child = nodes[ino]
            if not child.is_dir:
                raise os_error(errno.ENOTDIR, filename, filename2)
            directory = child
        return directory, name

    def _lookup(self, path) -> tuple[str, FileNode | DirNode]:
        given, norm, trailing = (type(path) is str and _norm_memo.get(path)) or self._norm(path)
        if norm == "/":
            return given, self._nodes[ROOT_INO]
        directory, name = self._parent(norm, given)
        ino = directory.entries.get(name)
        if ino is None:
            raise os_error(errno.ENOENT, given)
        node = self._nodes[ino]
        if trailing and not node.is_dir:
            raise os_error(errno.ENOTDIR, given)
        return given, node

    def _peek(self, norm: str) -> FileNode | DirNode | None:
        """The node at `norm` through the visible entries, or None if any component is missing or not a directory."""
        return self._walk(norm, durable=False)

    def _walk(self, norm: str, *, durable: bool) -> FileNode | DirNode | None:
        """The node at `norm` through the durable entries (or the visible ones), else None."""
        nodes = self._nodes
        node = nodes[ROOT_INO]
        for part in (_split_memo.get(norm) or _split(norm))[0] if norm != "/" else ():
            if not node.is_dir:
                return None
            ino = (node.durable if durable else node.entries).get(part)
            if ino is None:
                return None
            node = nodes[ino]
        return node

    def _check_writable_dir(self, directory: DirNode, filename: str, filename2: str | None = None) -> None:
        if not self.root_user and not directory.mode & stat_module.S_IWUSR:
            raise os_error(errno.EACCES, filename, filename2)

    def _open_file(self, fd: int, op: str, nbytes: int) -> tuple[OpenFile, DiskFault | None]:
        """The descriptor's open file and the op's fault: `_begin` for an op on a descriptor, inline.

        WHY inline: `_begin` without its path walk, for ftruncate; write, fsync, lseek, fstat and
        close (about 8 per simulated signal with every fault kind on, 55 per state of an exhaustive
        check) do these same steps in their own frame, in the same order, one frame less each."""
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op=op, path=path, nbytes=nbytes, op_index=self.op_count)
        hook = self.fault_hook
        fault = hook.decide(op, path, nbytes) if hook is not None else None
        if fault is not None:
            fault = self._fault_begins(op, path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        return open_file, fault

    # ---------------------------------------------------------------- descriptors

    def open(self, path, flags: int, mode: int = 0o777, *, dir_fd=None) -> int:
        if dir_fd is not None:
            raise NotImplementedError("SimDisk.open does not support dir_fd; pass an absolute path")
        given = path if type(path) is str else os.fspath(path)  # `os.fspath` returns a str as it is
        # `self._begin("open", ...)`, inline (the same count, trace and question to the hook, in the
        # same order): every read of a file and every fsync of a directory opens one, about 26 opens
        # per state of an exhaustive check
        self.op_count += 1
        hook = self.fault_hook
        if self.trace_ops or hook is not None:
            op_path = given if isinstance(given, str) else repr(given)
            if self.trace_ops:
                self._trace("disk.op", op="open", path=op_path, nbytes=0, op_index=self.op_count)
            fault = hook.decide("open", op_path, 0) if hook is not None else None
            if fault is not None:
                fault = self._fault_begins("open", op_path, fault)
        else:
            fault = None
        # `self._norm(given)`, a memo hit without the frame
        given, norm, trailing = (type(given) is str and _norm_memo.get(given)) or self._norm(given)
        access = flags & _ACCESS_MASK
        if access == _ACCESS_MASK:
            raise os_error(errno.EINVAL, given)
        readable = access != _O_WRONLY
        writable = access != _O_RDONLY
        nodes = self._nodes
        if norm == "/":
            node: FileNode | DirNode | None = nodes[ROOT_INO]
            parent, name = None, ""
        else:
            # `self._parent(norm, given)`, inline: the same walk and the same errors
            parts, directories, name = _split_memo.get(norm) or _split(norm)
            if len(parts) > PATH_DEPTH_MAX:
                raise os_error(errno.ENAMETOOLONG, given, None)
            parent = nodes[ROOT_INO]
            for part in directories:
                ino = parent.entries.get(part)
                if ino is None:
                    raise os_error(errno.ENOENT, given, None)
                parent = nodes[ino]
                if not parent.is_dir:
                    raise os_error(errno.ENOTDIR, given, None)
            ino = parent.entries.get(name)
            node = nodes[ino] if ino is not None else None
        if node is None:
            if not flags & _O_CREAT:
                raise os_error(errno.ENOENT, given)
            if trailing:
                raise os_error(errno.EISDIR, given)
            assert parent is not None
            self._check_writable_dir(parent, given)
            if fault is not None and fault.kind == "enospc":
                self._fault("open", given, "enospc")
                raise os_error(errno.ENOSPC, given)
            node = FileNode(self._new_ino(), stat_module.S_IFREG | (mode & 0o7777 & ~self.umask))
            self._nodes[node.ino] = node
            parent.entries[name] = node.ino
            self._entry_op("link", node.ino, None, None, parent.ino, name)
        else:
            if flags & _O_CREAT and flags & _O_EXCL:
                raise os_error(errno.EEXIST, given)
            if node.is_dir:
                if writable or flags & (_O_CREAT | _O_TRUNC):
                    raise os_error(errno.EISDIR, given)
            elif trailing or flags & _O_DIRECTORY:
                raise os_error(errno.ENOTDIR, given)
            if not self.root_user:
                if readable and not node.mode & _S_IRUSR:
                    raise os_error(errno.EACCES, given)
                if (writable or flags & _O_TRUNC) and not node.mode & _S_IWUSR:
                    raise os_error(errno.EACCES, given)
            if writable and type(node.data) is not bytearray:
                # an installed file's shared bytes, copied for the writes to come (see
                # `FileNode.installed`): only a writable descriptor writes, and only what it writes
                # makes an fsync change the durable bytes, so the write and fsync paths need no test
                node.writable_data()
                node.writable_durable()
            if not node.is_dir and flags & _O_TRUNC and node.data:
                self._truncate(node, 0)
        if len(self._fds) >= OPEN_FILES_MAX:
            raise os_error(errno.EMFILE, given)
        if self._free_fds:
            fd = _heappop(self._free_fds)
        else:
            fd = self._next_fd
            self._next_fd += 1
        # `OpenFile(node, norm, readable, writable, (flags & _O_APPEND) != 0)` without its `__init__`
        # frame (every op on a path opens one: about 26 per exhaustive crash state); a directory is
        # never writable here (EISDIR above), so `writable` is `__init__`'s `writable and not is_dir`
        handle = _new_object(OpenFile)
        handle.node = node
        handle.path = norm
        handle.readable = readable
        handle.writable = writable
        handle.append = (flags & _O_APPEND) != 0
        handle.offset = 0
        self._fds[fd] = handle
        return fd

    def close(self, fd: int) -> None:
        # `self._open_file(fd, "close", 0)`, inline (the same count, trace and question, in order):
        # every open is closed, about 22 per state of an exhaustive check
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op="close", path=path, nbytes=0, op_index=self.op_count)
        hook = self.fault_hook
        if hook is not None:
            fault = hook.decide("close", path, 0)
            if fault is not None:
                self._fault_begins("close", path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        del self._fds[fd]
        _heappush(self._free_fds, fd)

    # The fused whole-file read (see `_whole_file_read`): as OMEN's own calls make it, and as the
    # shared volume's calls make it, with the hook off (the volume suspends it for each call)
    read_whole_file = _whole_file_read(hook_off=False)
    read_whole_file_hook_off = _whole_file_read(hook_off=True)

    def write(self, fd: int, data) -> int:
        payload = data if type(data) is bytes else bytes(memoryview(data))
        # `self._open_file(fd, "write", len(payload))`, inline (the same count, trace and question)
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op="write", path=path, nbytes=len(payload), op_index=self.op_count)
        hook = self.fault_hook
        fault = hook.decide("write", path, len(payload)) if hook is not None else None
        if fault is not None:
            fault = self._fault_begins("write", path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        if not open_file.writable:
            raise os_error(errno.EBADF)
        node = open_file.node
        size = len(node.data)
        pos = size if open_file.append else open_file.offset
        if fault is not None:
            kind = fault.kind
            path = open_file.path
            if kind == "write_eio":
                self._fault("write", path, kind, offset=pos, nbytes=len(payload))
                raise os_error(errno.EIO)
            if kind == "enospc":
                self._fault("write", path, kind, offset=pos, nbytes=len(payload))
                raise os_error(errno.ENOSPC)
            if kind == "short_write":
                self._fault("write", path, kind, offset=pos, nbytes=len(payload), kept=min(fault.keep, len(payload)))
                payload = payload[:fault.keep]
            elif kind == "lost_write":
                self._fault("write", path, kind, offset=pos, nbytes=len(payload), written=0)
                return len(payload)
            elif kind == "duplicate_write":
                self._fault("write", path, kind, offset=pos, nbytes=len(payload), written=2 * len(payload))
                return min(len(payload), self._write_fitting(open_file, node, pos, size, payload + payload))
            else:
                assert kind == "crash", kind
                cut_bytes = self.rng.randrange(len(payload)) if payload else 0
                self._apply_write(open_file, node, pos, payload[:cut_bytes])
                self._fire_crash("write", path, offset=pos, nbytes=len(payload), written=cut_bytes)
        if self.capacity_bytes is None:  # `_write_fitting` without a capacity: all of it fits, one frame less
            count = len(payload)
            data = node.data
            if pos == size and count and type(data) is bytearray:  # (settled bytes: `_apply_write` copies them)
                # `_apply_write`'s append (a ledger's record), inline: nothing rewritten, all of it growth
                data += payload
                self._used_bytes += count
                node.pending.append((pos, payload))
                open_file.offset = pos + count
                return count
            return self._apply_write(open_file, node, pos, payload)
        return self._write_fitting(open_file, node, pos, size, payload)

    def _write_fitting(self, open_file: OpenFile, node: FileNode, pos: int, size: int, payload: bytes) -> int:
        """Write what fits in the disk's capacity at `pos` of a file of `size` bytes; the count written."""
        capacity = self.capacity_bytes
        if capacity is not None:
            growth = pos + len(payload) - size
            if growth > 0 and self._used_bytes + growth > capacity:
                fit = size + max(0, capacity - self._used_bytes) - pos
                self._trace("disk.capacity", op="write", path=open_file.path, op_index=self.op_count,
                            nbytes=len(payload), written=max(0, fit), capacity_bytes=capacity)
                if fit <= 0:
                    raise os_error(errno.ENOSPC)
                payload = payload[:fit]
        return self._apply_write(open_file, node, pos, payload)

    def _apply_write(self, open_file: OpenFile, node: FileNode, pos: int, payload: bytes) -> int:
        count = len(payload)
        if count == 0:
            return 0
        buf = node.writable_data()
        size = len(buf)
        if pos == size:
            buf += payload
        else:
            if pos > size:
                buf.extend(bytes(pos - size))
            else:
                node.visible_rewrites += 1
            buf[pos:pos + count] = payload
        end = pos + count
        if end > size:
            self._used_bytes += end - size
        # the file now ends at the later of its old end and this write's; the bookkeeping never goes negative
        assert len(buf) == max(size, end) and self._used_bytes >= 0, (len(buf), size, end, self._used_bytes)
        node.pending.append((pos, payload))
        open_file.offset = end
        return count

    def read(self, fd: int, n: int) -> bytes:
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        # `self._begin("read", path, n)`, inline (the same count, trace and question, in order)
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op="read", path=path, nbytes=n, op_index=self.op_count)
        hook = self.fault_hook
        fault = hook.decide("read", path, n) if hook is not None else None
        if fault is not None:
            fault = self._fault_begins("read", path, fault)
        if fault is None and n >= 0 and open_file is not None and open_file.readable and not open_file.node.is_dir:
            # `_read_at`'s answer when none of its errors applies, one frame less
            offset = open_file.offset
            node = open_file.node
            if offset or n < len(node.data):
                data = bytes(memoryview(node.data)[offset:offset + n])
            else:
                # the whole file: the node's snapshot (no copy while unchanged), checked here as
                # `visible_snapshot` checks it, one frame less on a hit
                data = node.snapshot
                if (data is None or len(data) != len(node.data)
                        or node.snapshot_rewrites != node.visible_rewrites):
                    data = node.visible_snapshot()
        else:
            data = self._read_at(open_file, fault, "read", n, open_file.offset if open_file else 0)
        open_file.offset += len(data)
        return data

    def pread(self, fd: int, n: int, offset: int) -> bytes:
        open_file = self._fds.get(fd)
        fault = self._begin("pread", open_file.path if open_file is not None else "", n)
        if offset < 0:
            raise os_error(errno.EINVAL)
        return self._read_at(open_file, fault, "pread", n, offset)

    def _read_at(self, open_file: OpenFile | None, fault: DiskFault | None, op: str, n: int,
                 offset: int) -> bytes:
        # Order as CPython + Linux: a negative count is EINVAL before the descriptor is looked at.
        if n < 0:
            raise os_error(errno.EINVAL)
        if open_file is None or not open_file.readable:
            raise os_error(errno.EBADF)
        if open_file.node.is_dir:
            raise os_error(errno.EISDIR)
        if fault is not None:
            assert fault.kind == "read_eio", fault
            self._fault(op, open_file.path, "read_eio", offset=offset, nbytes=n)
            raise os_error(errno.EIO)
        return bytes(memoryview(open_file.node.data)[offset:offset + n])  # one copy, not a slice's two

    def lseek(self, fd: int, pos: int, how: int) -> int:
        # `self._open_file(fd, "lseek", 0)`, inline (the same count, trace and question, in order):
        # every whole-file read seeks first
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op="lseek", path=path, nbytes=0, op_index=self.op_count)
        hook = self.fault_hook
        if hook is not None:
            fault = hook.decide("lseek", path, 0)
            if fault is not None:
                self._fault_begins("lseek", path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        if how == os.SEEK_SET:
            new = pos
        elif how == os.SEEK_CUR:
            new = open_file.offset + pos
        elif how == os.SEEK_END:
            new = (0 if open_file.node.is_dir else len(open_file.node.data)) + pos
        else:
            raise os_error(errno.EINVAL)
        if new < 0:
            raise os_error(errno.EINVAL)
        open_file.offset = new
        return new

    # `os.fsync` and `os.fdatasync` (the same here: metadata is not modelled apart), each its own
    # function rather than a call of a shared one: one frame less per fsync, about one per signal
    fsync = _sync_op("fsync")
    fdatasync = _sync_op("fdatasync")

    def ftruncate(self, fd: int, length: int) -> None:
        open_file, fault = self._open_file(fd, "ftruncate", length)
        if open_file.node.is_dir or not open_file.writable or length < 0:
            raise os_error(errno.EINVAL)
        if fault is not None:
            assert fault.kind == "enospc", fault
            self._fault("ftruncate", open_file.path, "enospc", length=length)
            raise os_error(errno.ENOSPC)
        self._truncate(open_file.node, length)

    def _truncate(self, node: FileNode, length: int) -> None:
        size = len(node.data)
        if length == size:
            return
        if length < size:
            del node.writable_data()[length:]
            node.visible_rewrites += 1
        else:
            node.writable_data().extend(bytes(length - size))
        self._used_bytes += length - size
        assert len(node.data) == length and self._used_bytes >= 0, (len(node.data), length, self._used_bytes)
        node.pending.append((length, None))

    def fstat(self, fd: int) -> os.stat_result:
        # `self._open_file(fd, "stat", 0)`, inline (the same count, trace and question, in order):
        # every whole-file read stats its descriptor
        open_file = self._fds.get(fd)
        path = open_file.path if open_file is not None else ""
        self.op_count += 1
        if self.trace_ops:
            self._trace("disk.op", op="stat", path=path, nbytes=0, op_index=self.op_count)
        hook = self.fault_hook
        if hook is not None:
            fault = hook.decide("stat", path, 0)
            if fault is not None:
                self._fault_begins("stat", path, fault)
        if open_file is None:
            raise os_error(errno.EBADF)
        node = open_file.node
        cached = node.stat_cache  # `_stat_of`'s hit, checked as it checks it, one frame less
        if cached is not None and cached[0] == node.mode and cached[1] == (0 if node.is_dir else len(node.data)):
            return cached[2]
        return self._stat_of(node)

    # ---------------------------------------------------------------- paths and entries

    def stat(self, path, *, dir_fd=None, follow_symlinks: bool = True) -> os.stat_result:
        self._begin("stat", str(path), 0)
        return self._stat_of(self._lookup(path)[1])

    @staticmethod
    def _stat_of(node: FileNode | DirNode) -> os.stat_result:
        """The node's stat result: the one made last while its mode and size are unchanged.

        WHY: building an `os.stat_result` costs more than the rest of an fstat, and every segment
        read and writer recovery stats its file. A result's other fields never change for a node
        (inode, link count, owner, times 0), and a stat result is immutable, so sharing it is safe."""
        is_dir = node.is_dir
        size = 0 if is_dir else len(node.data)
        cached = node.stat_cache
        if cached is not None and cached[0] == node.mode and cached[1] == size:
            return cached[2]
        if is_dir:
            result = os.stat_result((node.mode, node.ino, 1, 2, 0, 0, 0, 0, 0, 0))
        else:
            result = os.stat_result((node.mode, node.ino, 1, 1, 0, 0, size, 0, 0, 0))
        node.stat_cache = (node.mode, size, result)
        return result

    def listdir(self, path="/") -> list[str]:
        """Entry names, sorted (the real order is arbitrary; sorted is deterministic)."""
        self._begin("listdir", str(path), 0)
        given, node = self._lookup(path)
        if not node.is_dir:
            raise os_error(errno.ENOTDIR, given)
        if not self.root_user and not node.mode & stat_module.S_IRUSR:
            raise os_error(errno.EACCES, given)
        return sorted(node.entries)

    def scandir(self, path="/") -> _ScandirIterator:
        names = self.listdir(path)
        given = os.fspath(path)
        _, node = self._lookup(given)
        assert node.is_dir
        return _ScandirIterator([
            SimDirEntry(name, posixpath.join(given, name), self._stat_of(self._nodes[node.entries[name]]))
            for name in names])

    def mkdir(self, path, mode: int = 0o777, *, dir_fd=None) -> None:
        fault = self._begin("mkdir", str(path), 0)
        given, norm, _ = self._norm(path)
        if norm == "/":
            raise os_error(errno.EEXIST, given)
        parent, name = self._parent(norm, given)
        if name in parent.entries:
            raise os_error(errno.EEXIST, given)
        self._check_writable_dir(parent, given)
        if fault is not None:
            assert fault.kind == "enospc", fault
            self._fault("mkdir", given, "enospc")
            raise os_error(errno.ENOSPC, given)
        directory = DirNode(self._new_ino(), stat_module.S_IFDIR | (mode & 0o7777 & ~self.umask))
        self._nodes[directory.ino] = directory
        parent.entries[name] = directory.ino
        self._entry_op("link", directory.ino, None, None, parent.ino, name)

    def makedirs(self, name, mode: int = 0o777, exist_ok: bool = False) -> None:
        """os.makedirs: each missing directory is one `mkdir` op."""
        given, norm, _ = self._norm(name)
        parts = norm[1:].split("/") if norm != "/" else []
        prefix = ""
        for index, part in enumerate(parts):
            prefix += "/" + part
            node = self._peek(prefix)
            if node is None:
                self.mkdir(prefix, mode)
            elif index == len(parts) - 1 and not (exist_ok and node.is_dir):
                raise os_error(errno.EEXIST, given)
        if not parts and not exist_ok:
            raise os_error(errno.EEXIST, given)

    def rename(self, src, dst, *, src_dir_fd=None, dst_dir_fd=None) -> None:
        self._rename("rename", src, dst)

    def replace(self, src, dst, *, src_dir_fd=None, dst_dir_fd=None) -> None:
        self._rename("replace", src, dst)

    def _rename(self, op: str, src, dst) -> None:
        self._begin(op, str(src), 0)
        # `self._norm(...)`, memo hits without the frame (every replace of a temp comes through here)
        given_src, norm_src, _ = (type(src) is str and _norm_memo.get(src)) or self._norm(src)
        given_dst, norm_dst, trailing_dst = (type(dst) is str and _norm_memo.get(dst)) or self._norm(dst)
        if norm_src == "/" or norm_dst == "/":
            raise os_error(errno.EBUSY, given_src, given_dst)
        # Linux resolves both parents before it looks the source entry up.
        src_dir, src_name = self._parent(norm_src, given_src, given_dst)
        dst_dir, dst_name = self._parent(norm_dst, given_src, given_dst)
        ino = src_dir.entries.get(src_name)
        if ino is None:
            raise os_error(errno.ENOENT, given_src, given_dst)
        node = self._nodes[ino]
        if node.is_dir and norm_dst.startswith(norm_src + "/"):
            raise os_error(errno.EINVAL, given_src, given_dst)
        target_ino = dst_dir.entries.get(dst_name)
        target = self._nodes[target_ino] if target_ino is not None else None
        if target is not None:
            if target_ino == ino:
                return
            if target.is_dir and not node.is_dir:
                raise os_error(errno.EISDIR, given_src, given_dst)
            if node.is_dir and not target.is_dir:
                raise os_error(errno.ENOTDIR, given_src, given_dst)
            if target.is_dir and target.entries:
                raise os_error(errno.ENOTEMPTY, given_src, given_dst)
        elif trailing_dst and not node.is_dir:
            raise os_error(errno.ENOTDIR, given_src, given_dst)
        # `_check_writable_dir` of both, inline: either refusing raises the same error
        if not self.root_user and (not src_dir.mode & stat_module.S_IWUSR or not dst_dir.mode & stat_module.S_IWUSR):
            raise os_error(errno.EACCES, given_src, given_dst)
        del src_dir.entries[src_name]
        if target is not None and not target.is_dir:
            self._used_bytes -= len(target.data)
        dst_dir.entries[dst_name] = ino
        self._entry_op("rename", ino, src_dir.ino, src_name, dst_dir.ino, dst_name)

    def unlink(self, path, *, dir_fd=None) -> None:
        self._begin("unlink", str(path), 0)
        given, norm, trailing = (type(path) is str and _norm_memo.get(path)) or self._norm(path)
        if norm == "/":
            raise os_error(errno.EISDIR, given)
        parent, name = self._parent(norm, given)
        ino = parent.entries.get(name)
        if ino is None:
            raise os_error(errno.ENOENT, given)
        node = self._nodes[ino]
        if node.is_dir:
            raise os_error(errno.EISDIR, given)
        if trailing:
            raise os_error(errno.ENOTDIR, given)
        self._check_writable_dir(parent, given)
        del parent.entries[name]
        self._used_bytes -= len(node.data)
        assert self._used_bytes >= 0, self._used_bytes
        self._entry_op("unlink", ino, parent.ino, name, None, None)

    remove = unlink

    def rmdir(self, path, *, dir_fd=None) -> None:
        self._begin("unlink", str(path), 0)
        given, norm, _ = self._norm(path)
        if norm == "/":
            raise os_error(errno.EBUSY, given)
        parent, name = self._parent(norm, given)
        ino = parent.entries.get(name)
        if ino is None:
            raise os_error(errno.ENOENT, given)
        node = self._nodes[ino]
        if not node.is_dir:
            raise os_error(errno.ENOTDIR, given)
        if node.entries:
            raise os_error(errno.ENOTEMPTY, given)
        self._check_writable_dir(parent, given)
        del parent.entries[name]
        self._entry_op("unlink", ino, parent.ino, name, None, None)

    def chmod(self, path, mode: int, *, dir_fd=None, follow_symlinks: bool = True) -> None:
        """Change permission bits. Durable at once: modes are outside the crash model."""
        self._begin("chmod", str(path), 0)
        _, node = self._lookup(path)
        node.mode = (node.mode & ~0o7777) | (mode & 0o7777)
        self._changes.touch(node.ino)

    # ---------------------------------------------------------------- crash model

    def crash(self) -> CrashReport:
        """Power loss now: draw the surviving state from `rng`, install it, trace it."""
        before = self._visible_paths()
        state = crash_model.draw_state(self._nodes, self._dirty, self.rng)
        return self._install(state, "seeded", before)

    def draw_crash_state(self, rng: random.Random) -> CrashState:
        """The seeded draw `crash()` makes, from `rng`, without installing it: the disk is unchanged."""
        if not isinstance(rng, random.Random):
            raise DiskUsageError(f"rng must be a random.Random, got {type(rng).__name__}")
        return crash_model.draw_state(self._nodes, self._dirty, rng)

    def crash_states(self, limit: int = 10_000) -> list[CrashState]:
        """Exhaustive mode: every distinct state a crash now may leave (garbage = one fixed pattern).

        Raises CrashStateLimitError when more than `limit` candidates would be examined.
        """
        return crash_model.enumerate_states(self._nodes, self._dirty, limit)

    def apply_crash_state(self, state: CrashState) -> None:
        """Put the disk in `state` (one of `crash_states()`), as a crash would; fds are gone."""
        if not isinstance(state, CrashState):
            raise DiskUsageError(f"apply_crash_state needs a CrashState from crash_states(), got {type(state).__name__}")
        self._install(state, "chosen", self._visible_paths())

    def clone_in_state(self, state: CrashState) -> "SimDisk":
        """`clone()` then `apply_crash_state(state)` on the clone, in one step: the same disk (and the
        same `disk.crash` trace event), but the inodes the state replaces are never copied. WHY: the
        exhaustive check makes one such disk per enumerated state, and copying every file's bytes
        only to drop them was a tenth of its cost. The clone keeps no fault hook (a check's probes
        must not draw faults) and this disk is untouched."""
        if not isinstance(state, CrashState):
            raise DiskUsageError(f"clone_in_state needs a CrashState from crash_states(), got {type(state).__name__}")
        return next(self.clones_in_states((state,)))

    def clones_in_states(self, states: Iterable[CrashState]) -> Iterator["SimDisk"]:
        """`clone_in_state(state)` for each state in turn (each clone records its `disk.crash` event
        as the clone is made), the files visible now listed once for all of them: every visit of
        `crash_state_visits` cloned. WHY: the exhaustive check clones the disk once per state of an
        instant, and each clone walked the whole tree for the same list. The disk must not change
        between two clones (asserted)."""
        for visit in self.crash_state_visits(states):
            yield visit.clone()

    def crash_state_visits(self, states: Iterable[CrashState]) -> Iterator["CrashStateVisit"]:
        """`clones_in_states(states)` with each clone made only if asked (`CrashStateVisit.clone`):
        each visit records the `disk.crash` event its clone would record (same fields, same point of
        the trace: as the visit is yielded), and a clone asked for records none. WHY: the exhaustive
        check reuses the outcome of a state it already recovered, and made a clone of the disk only
        for that clone to record its event. The disk must not change between two visits (asserted)."""
        before = self._visible_paths()
        unchanged = (self._seq, self._installs)
        # every twin's stream starts here: a draw of this disk's own moves its op count (a crash
        # fault's cut) or its installs (a crash), both asserted unchanged when a twin is made; the
        # stream's state is taken only when first needed (see `rng`)
        rng = self._rng
        if rng is None:
            rng = self.rng  # a twin's own stream, built (nothing is drawn from it here)
        moment = self._rng_moment
        if moment is None:
            moment = self._rng_moment = _StreamMoment(rng)
        for state in states:
            assert (self._seq, self._installs) == unchanged, "the disk changed between two of its visits"
            if not isinstance(state, CrashState):
                raise DiskUsageError(
                    f"a disk visits or clones only CrashStates from crash_states(), got {type(state).__name__}")
            # a clone's `_install` traces with the clone's node, profile and op count: this disk's
            self._trace_crash(CrashReport(state, _lost_paths(before, state)), "chosen")
            visit = CrashStateVisit(self, state, (*unchanged, self.op_count), rng, moment)
            yield visit
            visit.closed = True

    def _twin_for_state(self, moment: "_StreamMoment") -> "SimDisk":
        """A twin about to install a crash state: no fault hook (a check's probes must not draw
        faults), its own change feed (`_install` resets it, as a crash does), its stream built from
        `moment` (this disk's stream as a batch of visits began) at its first draw."""
        twin = self._twin(None)
        twin._rng_state = moment
        twin.fault_hook = None
        twin._changes = self._changes.copy_to_reset()
        return twin

    def _twin(self, rng: random.Random | None) -> "SimDisk":
        """A disk sharing every field with this one but its stream (`rng`, None for one built at
        its first draw) and path view: the start of `clone` and `clone_in_state`, which then replace
        what each must own."""
        unknown = set(vars(self)) - _CLONED_ATTRIBUTES
        assert not unknown, f"SimDisk cannot copy {sorted(unknown)}: add it to _CLONED_ATTRIBUTES and to clone()"
        twin = object.__new__(type(self))
        twin.__dict__.update(vars(self))
        twin._rng, twin._rng_state, twin._rng_moment = rng, None, None
        twin.path = DiskPath(twin)
        return twin

    def _visible_paths(self) -> list[str]:
        """The paths `visible_files` would list (sorted), without copying their bytes."""
        return [path for path, _ in crash_model.walk(self._nodes, lambda d: d.entries)[1]]

    def _install(self, state: CrashState, how: str | None, before: Iterable[str]) -> CrashReport | None:
        """Replace every inode by the state's; `before` names the files visible until now. `how`:
        the `disk.crash` event's, None for no event (a `CrashStateVisit` recorded it already)."""
        dir_installs, file_installs = state.install
        nodes: dict[int, FileNode | DirNode] = {}
        install_dir, install_file = DirNode.installed, FileNode.installed
        for ino, mode, entries in dir_installs:
            nodes[ino] = install_dir(ino, mode, entries)
        used = 0
        for ino, mode, data in file_installs:
            nodes[ino] = install_file(ino, mode, data)
            used += len(data)
        assert ROOT_INO in nodes and nodes[ROOT_INO].is_dir
        self._nodes = nodes
        self._installs += 1
        self._next_ino = max(self._next_ino, max(nodes) + 1)
        self._dirty = {}
        self._fds = {}
        self._free_fds = []
        self._next_fd = FD_FIRST
        self._used_bytes = used
        self._changes.reset()
        if how is None:
            return None
        report = CrashReport(state, _lost_paths(before, state))
        self._trace_crash(report, how)
        return report

    def _trace_crash(self, report: CrashReport, how: str) -> None:
        self._trace("disk.crash", how=how, profile=self.profile, op_index=self.op_count,
                    **report.trace_fields())

    def clone(self) -> "SimDisk":
        """A deep copy (rng state included) sharing `record` and `fault_hook`.

        Copied field by field rather than by `copy.deepcopy`: the exhaustive crash-state check
        clones the disk once per enumerated state, and the generic deepcopy of every inode, byte
        array and entry op cost more than checking the state itself. An `EntryOp` shared by two
        directories (a rename) stays one shared object in the copy.
        """
        rng = random.Random(0)  # any seed: the state is overwritten with this disk's
        rng.setstate(self.rng.getstate())
        twin = self._twin(rng)
        ops: dict[int, EntryOp] = {}
        twin._nodes = {ino: _copy_node(node, ops) for ino, node in self._nodes.items()}
        twin._dirty = dict(self._dirty)
        twin._changes = self._changes.copy()
        twin._free_fds = list(self._free_fds)
        twin._fds = {}
        for fd, handle in self._fds.items():
            copied = OpenFile(twin._nodes[handle.node.ino], handle.path, handle.readable, handle.writable,
                              handle.append)
            copied.offset = handle.offset
            twin._fds[fd] = copied
        return twin

    def flip_bit(self, path: str, bit_index: int) -> None:
        """Bit rot at rest: flip one bit of the durable data, and of the cached copy if it holds that byte."""
        norm = self._norm(path)[1]
        # rot lives on the durable inode: a file durable under this name but already renamed or
        # unlinked in the page cache (a `_CURRENT.tmp` after its replace) can still rot
        node = self._durable_node(norm) or self._peek(norm)
        if node is None or node.is_dir:
            raise DiskUsageError(f"flip_bit needs an existing file, {path!r} is not one")
        byte_index, mask = bit_index // 8, 1 << (bit_index % 8)
        if bit_index < 0 or byte_index >= len(node.durable):
            raise DiskUsageError(
                f"bit {bit_index} is outside the {len(node.durable)} durable bytes of {path!r}")
        if byte_index < len(node.data) and node.data[byte_index] == node.durable[byte_index]:
            node.writable_data()[byte_index] ^= mask
            node.visible_rewrites += 1
        node.writable_durable()[byte_index] ^= mask
        node.durable_rewrites += 1
        self._changes.touch(node.ino)
        self._fault("flip_bit", norm, "bit_flip", bit_index=bit_index)

    def durable_files(self) -> dict[str, bytes]:
        """path -> durable bytes of every file whose entry chain is durable (sorted by path)."""
        _, files = crash_model.walk(self._nodes, lambda d: d.durable)
        return {path: self._nodes[ino].durable_snapshot() for path, ino in files}

    def visible_files(self) -> dict[str, bytes]:
        """path -> bytes that reads see now (sorted by path)."""
        _, files = crash_model.walk(self._nodes, lambda d: d.entries)
        return {path: self._nodes[ino].visible_snapshot() for path, ino in files}

    def visible_state(self) -> tuple[tuple, dict[str, bytes]]:
        """(a key such that two disks with equal keys answer every op of the `os`-like API alike from
        now on, `visible_files()`), from one walk of the tree.

        WHY: the exhaustive check reads each recovered crash state through the API (the system's
        reader) and many states recover to the same disk; equal keys let it read one. What an op
        can see: every reachable directory's inode, mode and entries, every reachable file's inode,
        mode and bytes (stat shows inode, mode and size), the open descriptors and the next ones
        handed out, the next inode, the used bytes against the capacity, the umask and whether
        permissions are checked. Durable bytes and pending ops are left out: no op of the API
        reads them (only a crash, and the seeded rng drawing it, which the key does not cover)."""
        nodes = self._nodes
        dirs, files = crash_model.walk(nodes, lambda d: d.entries)
        visible = {path: nodes[ino].visible_snapshot() for path, ino in files}
        open_files = []
        for fd, handle in sorted(self._fds.items()):
            node = handle.node  # an unlinked file read through its descriptor: its bytes too
            held = tuple(sorted(node.entries.items())) if node.is_dir else node.visible_snapshot()
            open_files.append((fd, node.ino, node.mode, held, handle.path, handle.readable, handle.writable,
                               handle.append, handle.offset))
        key = (
            tuple((ino, nodes[ino].mode, tuple(sorted(nodes[ino].entries.items()))) for _, ino in dirs),
            tuple((ino, nodes[ino].mode, visible[path]) for path, ino in files),
            tuple(open_files), tuple(sorted(self._free_fds)), self._next_fd, self._next_ino,
            self._used_bytes, self.capacity_bytes, self.umask, self.root_user, self.profile,
        )
        return key, visible

    def durable_size(self, path: str) -> int | None:
        """Durable byte length of `path` if its whole entry chain is durable, else None."""
        node = self._durable_node(path)
        return None if node is None else len(node.durable)

    def durable_state(self, path: str, start_bytes: int = 0,
                      ino: int | None = None) -> tuple[int, tuple[int, int], int, bytes] | None:
        """(durable_size, durable_version, durable_inode, durable_bytes from `start_bytes`) of the file
        at `path`, in one path walk; None when `durable_size` would be None. For an incremental
        reader that asks all four at every look (the durability index, at every segment refresh).

        `ino`: the inode the caller knows `path` reaches through durable entries now, so the path is
        not walked again. WHY: the durability index's change feed watches every directory on the
        path (any entry of theirs that moves marks the look stale and the index lists the directory
        again), so the inode it found at its last look is still the one the walk would find; it
        asks once per simulated signal. An inode that is not a file of this disk is walked."""
        assert start_bytes >= 0, start_bytes
        nodes = self._nodes
        node = None if ino is None else nodes.get(ino)
        if node is None or node.is_dir:
            # `self._durable_node(path)`, inline (the same memo reads and the same walk): no frame of its own
            norm = ((type(path) is str and _norm_memo.get(path)) or self._norm(path))[1]
            node = nodes[ROOT_INO]
            if norm != "/":
                for part in (_split_memo.get(norm) or _split(norm))[0]:
                    if node.is_dir:
                        child = node.durable.get(part)
                        if child is not None:
                            node = nodes[child]
                            continue
                    return None
            if node.is_dir:
                return None
        durable = node.durable
        size = len(durable)
        # nothing past `start_bytes` (a look with nothing new): the empty bytes, without a view and a copy
        tail = bytes(memoryview(durable)[start_bytes:]) if start_bytes < size else b""
        return size, (node.ino, node.durable_rewrites), node.ino, tail

    def durable_version(self, path: str) -> tuple[int, int] | None:
        """(inode, rewrites) of the durable file at `path`, else None: it changes whenever the durable
        bytes change other than by growing at the end, so a reader that parsed a prefix knows when
        that prefix went stale (a same-size rewrite after a rollback would otherwise look unchanged)."""
        node = self._durable_node(path)
        return None if node is None else (node.ino, node.durable_rewrites)

    def visible_version(self, path: str) -> tuple[int, int, int] | None:
        """(crash states installed, inode, rewrites) of the file reads see at `path`, else None. It
        changes whenever what reads see changes other than by growing at the end (an overwrite, a
        truncate that cuts, rot, a crash installing a new state), so an observer that holds the bytes
        of a version and size needs to read none of them again."""
        node = self._file_node(path, durable=False)
        return None if node is None else (self._installs, node.ino, node.visible_rewrites)

    def visible_size(self, path: str) -> int | None:
        """The byte length reads of `path` see now, else None (observers only; no bytes copied)."""
        node = self._file_node(path, durable=False)
        return None if node is None else len(node.data)

    @property
    def change_mark(self) -> int:
        """A mark for `changes_since`: the changes made after this read are the ones it lists."""
        return self._changes.mark

    def change_mark_reader(self) -> Callable[[], int]:
        """A zero-argument callable returning `change_mark` without a Python frame (see ChangeFeed)."""
        return self._changes.mark_reader()

    def changes_since(self, mark: int) -> list[int] | None:
        """Inodes whose durable bytes, entries (visible or durable) or mode changed after `mark`,
        newest first; None when the bounded feed cannot say (look at everything). See change_feed."""
        return self._changes.changes_since(mark)

    def durable_inode(self, path: str) -> int | None:
        """The inode `path` reaches through durable entries (a file or a directory), else None."""
        node = self._durable_any(path)
        return None if node is None else node.ino

    def durable_entries(self, path: str) -> dict[str, int] | None:
        """name -> inode of the durable entries of the directory `path` reaches through durable
        entries (a copy), else None: what a power loss now would leave in it."""
        node = self._durable_any(path)
        return dict(node.durable) if node is not None and node.is_dir else None

    def _durable_any(self, path: str) -> FileNode | DirNode | None:
        return self._walk(self._norm(path)[1], durable=True)

    def visible_names(self, path: str) -> list[str]:
        """`listdir` for observers: the same names and errors, but not a disk op (no op count, no
        fault hook), so how often an observer looks never shows in the system's op numbering."""
        given, node = self._lookup(path)
        if not node.is_dir:
            raise os_error(errno.ENOTDIR, given)
        if not self.root_user and not node.mode & stat_module.S_IRUSR:
            raise os_error(errno.EACCES, given)
        return sorted(node.entries)

    def visible_files_in(self, path: str) -> dict[str, tuple[tuple[int, int, int], int]] | None:
        """name -> (`visible_version`, `visible_size`) of each file directly in the directory at
        `path` as reads see it now, None when `path` is no readable directory (observers only: no
        op, no fault hook). WHY: the manifest observer looks at every segment of a partition at
        each manifest change; asking each file's version and size walked its path twice, so a long
        day's looks grew as the square of its segments."""
        norm = ((type(path) is str and _norm_memo.get(path)) or self._norm(path))[1]
        node = self._peek(norm)
        if node is None or not node.is_dir or (not self.root_user and not node.mode & stat_module.S_IRUSR):
            return None
        nodes, installs = self._nodes, self._installs
        files: dict[str, tuple[tuple[int, int, int], int]] = {}
        for name, ino in node.entries.items():
            child = nodes[ino]
            if not child.is_dir:
                files[name] = ((installs, ino, child.visible_rewrites), len(child.data))
        return files

    def visible_inode(self, path: str) -> int | None:
        """The inode `path` names now (a file or a directory), else None."""
        node = self._peek(self._norm(path)[1])
        return None if node is None else node.ino

    def durable_bytes(self, path: str, start_bytes: int = 0) -> bytes | None:
        """Durable bytes of `path` if its whole entry chain is durable, else None (one file of durable_files()).

        `start_bytes` skips a prefix the caller already holds: an incremental reader of a growing
        file copies only its new tail, not the whole file at every look.
        """
        assert start_bytes >= 0, start_bytes
        node = self._durable_node(path)
        if node is None:
            return None
        return node.durable_snapshot() if not start_bytes else bytes(memoryview(node.durable)[start_bytes:])

    def settled_bytes(self, path: str) -> bytes | None:
        """The one immutable copy a settled file holds as both its versions (see `FileNode._settle`),
        settling the file first if it can be; None when it is not settled (writable, pending, its two
        versions apart) or not durable at `path`. For observers that keep a file's bytes: holding
        this object holds no second copy. Not a disk op (no op count, no fault hook)."""
        node = self._durable_node(path)
        if node is None or node.is_dir:
            return None
        kept = node.durable_snapshot()  # a read-only file settles here, if its versions agree
        return kept if node.durable is kept and node.data is kept else None

    def visible_bytes(self, path: str) -> bytes | None:
        """What reads of `path` see now, without an fd and without the fault hook (observers only)."""
        node = self._file_node(path, durable=False)
        return None if node is None else node.visible_snapshot()

    def _durable_node(self, path: str) -> FileNode | None:
        return self._file_node(path, durable=True)

    def _file_node(self, path: str, *, durable: bool) -> FileNode | None:
        """The file at `path` through the durable entries (or the visible ones), else None."""
        # `self._norm(path)`, a memo hit without the frame (observers look at every refresh), and
        # `self._walk(norm, durable=durable)` inline: the same walk, one frame less
        norm = ((type(path) is str and _norm_memo.get(path)) or self._norm(path))[1]
        nodes = self._nodes
        node = nodes[ROOT_INO]
        if norm != "/":
            for part in (_split_memo.get(norm) or _split(norm))[0]:
                if node.is_dir:
                    ino = (node.durable if durable else node.entries).get(part)
                    if ino is not None:
                        node = nodes[ino]
                        continue
                return None
        return None if node.is_dir else node


def _lost_paths(before: Iterable[str], state: CrashState) -> tuple[str, ...]:
    """The paths of `before` (files visible until a crash) that `state` does not keep."""
    after = {path for path, _ in state.files}
    return tuple(path for path in before if path not in after)


class _StreamMoment:
    """A disk's stream as one batch of visits began, its state taken (`getstate`) at the first of: a
    twin's first draw, the disk letting its stream move (`SimDisk.rng`). Until then the stream is
    still at that moment, so what is taken is what taking it at once would have given."""

    __slots__ = ("_rng", "_state")

    def __init__(self, rng: random.Random) -> None:
        self._rng: random.Random | None = rng
        self._state: tuple | None = None

    def take(self) -> None:
        if self._rng is not None:
            self._state = self._rng.getstate()
            self._rng = None  # taken once: the stream may move from now on

    def state(self) -> tuple:
        self.take()
        assert self._state is not None
        return self._state


class CrashStateVisit:
    """One state of `SimDisk.crash_state_visits`, its `disk.crash` event already recorded: `clone()`
    makes the disk in that state, at most once and before the next visit (the disk it clones must
    be the one the event was recorded for)."""

    __slots__ = ("state", "closed", "_disk", "_unchanged", "_cloned", "_rng", "_rng_state")

    def __init__(self, disk: SimDisk, state: CrashState, unchanged: tuple[int, int, int], rng: random.Random,
                 rng_state: "_StreamMoment") -> None:
        self.state = state
        self.closed = False
        self._disk = disk
        self._unchanged = unchanged
        self._cloned = False
        self._rng = rng  # the disk's stream, and its state as the visits began
        self._rng_state = rng_state

    def clone(self) -> SimDisk:
        """What `clone_in_state(self.state)` makes, but for its `disk.crash` event (recorded once)."""
        assert not self.closed, "a visit's clone is made before the next visit"
        assert not self._cloned, "a visit records one event: its clone is made once"
        disk = self._disk
        # the op count too: a clone copies it, and the eager clone copied it as the event was recorded
        assert (disk._seq, disk._installs, disk.op_count) == self._unchanged, "the disk changed since its event"
        # `_rng`, not `rng`: reading the property lets the stream move (see `SimDisk.rng`)
        assert disk._rng is self._rng, "the disk's stream was replaced since its event"
        self._cloned = True
        twin = disk._twin_for_state(self._rng_state)
        twin._install(self.state, None, ())
        return twin


_CLONED_ATTRIBUTES = frozenset({
    "_rng", "_rng_state", "_rng_moment", "record", "profile", "capacity_bytes", "node", "root_user", "trace_ops", "fault_hook", "op_count",
    "umask", "path", "_nodes", "_next_ino", "_dirty", "_seq", "_fds", "_free_fds", "_next_fd", "_used_bytes",
    "_changes", "_installs",
})


def _copy_node(node: FileNode | DirNode, ops: dict[int, EntryOp]) -> FileNode | DirNode:
    """An independent copy of one inode; `ops` maps id(original op) -> its copy, so shared ops stay shared."""
    if isinstance(node, FileNode):
        file_copy = FileNode(node.ino, node.mode)
        # an installed file's shared immutable bytes stay shared (see `FileNode.installed`)
        data, durable = node.data, node.durable
        file_copy.data = data if type(data) is bytes else bytearray(data)
        file_copy.durable = durable if type(durable) is bytes else bytearray(durable)
        file_copy.pending = list(node.pending)  # (offset, bytes | None) tuples: immutable
        file_copy.dropped = list(node.dropped)
        file_copy.durable_rewrites = node.durable_rewrites
        file_copy.visible_rewrites = node.visible_rewrites
        file_copy.snapshot = node.snapshot  # immutable: shared, and valid in the copy exactly when in the original
        file_copy.snapshot_rewrites = node.snapshot_rewrites
        file_copy.kept_durable = node.kept_durable
        file_copy.kept_durable_rewrites = node.kept_durable_rewrites
        return file_copy
    dir_copy = DirNode(node.ino, node.mode)
    dir_copy.entries = dict(node.entries)
    dir_copy.durable = dict(node.durable)
    dir_copy.pending = [_copy_entry_op(op, ops) for op in node.pending]
    return dir_copy


def _copy_entry_op(op: EntryOp, ops: dict[int, EntryOp]) -> EntryOp:
    found = ops.get(id(op))
    if found is None:
        found = ops[id(op)] = EntryOp(op.seq, op.kind, op.ino, op.src_dir, op.src_name, op.dst_dir, op.dst_name)
        found.pending_in = list(op.pending_in)
    return found
