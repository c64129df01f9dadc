"""The recorded history: one `Op` per file-system operation the workload made, plus its acks.

Paths are absolute paths of the fake file system at the time of the op. A file's content ops
name the file by `file_id` (its identity), not by path, so a write through a descriptor of a
file that was renamed or unlinked since it was opened still lands on the right file.
"""
from __future__ import annotations

from dataclasses import dataclass

# kinds of ops, by what they change
ENTRY_KINDS = frozenset({"mkdir", "create", "unlink", "rmdir", "rename"})
DATA_KINDS = frozenset({"write", "truncate"})
SYNC_KINDS = frozenset({"fsync", "fdatasync", "fsync_dir", "sync"})
OTHER_KINDS = frozenset({"chmod", "ack"})
KINDS = ENTRY_KINDS | DATA_KINDS | SYNC_KINDS | OTHER_KINDS
DESCRIBE_BYTES_MAX = 16


@dataclass(frozen=True, slots=True)
class Op:
    """One recorded operation. Unused fields keep their defaults."""

    index: int
    kind: str
    path: str = ""  # mkdir create unlink rmdir fsync_dir chmod; rename: source; ack: the kind
    path2: str = ""  # rename: destination; ack: the key
    file_id: int = 0  # create write truncate fsync fdatasync
    offset: int = 0  # write: where; truncate: the new length
    data: bytes = b""  # write: the bytes
    mode: int = 0  # mkdir create chmod: permission bits

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert self.index >= 0 and self.offset >= 0, (self.index, self.offset)

    def describe(self) -> str:
        """One line a person can read in a violation report."""
        kind = self.kind
        if kind == "write":
            head = self.data[:DESCRIBE_BYTES_MAX]
            more = "..." if len(self.data) > DESCRIBE_BYTES_MAX else ""
            return f"write file#{self.file_id} [{self.offset}, {self.offset + len(self.data)}) {head!r}{more}"
        if kind == "truncate":
            return f"truncate file#{self.file_id} to {self.offset}"
        if kind in ("fsync", "fdatasync"):
            return f"{kind} file#{self.file_id}"
        if kind == "sync":
            return "os.sync()"
        if kind == "rename":
            return f"rename {self.path} -> {self.path2}"
        if kind == "create":
            return f"create {self.path} (file#{self.file_id})"
        if kind in ("mkdir", "chmod"):
            return f"{kind} {self.path} {self.mode:o}"
        if kind == "ack":
            return f"ack {self.path} {self.path2}"
        return f"{kind} {self.path}"
