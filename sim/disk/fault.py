"""The faults a fault plan can make the simulated disk suffer, and where each one applies.

The faults layer owns *when* a fault fires (it implements `decide`); the disk owns *what*
a fault does, so every front end gets the same, documented semantics.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sim.disk.errors import DiskUsageError

#: Every op name the disk passes to `FaultHook.decide`, in the order of the os-like API.
#: `fstat` and the `path.*` helpers report as "stat", `scandir` as "listdir", `remove` and
#: `rmdir` as "unlink"; `lseek` has its own name.
DISK_OPS: tuple[str, ...] = (
    "open", "write", "read", "pread", "lseek", "fsync", "fdatasync", "ftruncate", "replace",
    "rename", "unlink", "mkdir", "chmod", "close", "stat", "listdir",
)

#: Which ops each fault kind may be returned for. A hook that returns a fault for another op
#: has a bug; the disk says so (DiskUsageError) rather than silently ignoring it.
FAULT_OPS: dict[str, frozenset[str]] = {
    "short_write": frozenset({"write"}),
    "lost_write": frozenset({"write"}),
    "duplicate_write": frozenset({"write"}),
    "enospc": frozenset({"write", "open", "mkdir", "ftruncate"}),
    "write_eio": frozenset({"write"}),
    "read_eio": frozenset({"read", "pread"}),
    "fsync_eio": frozenset({"fsync", "fdatasync"}),
    "fsync_lie": frozenset({"fsync", "fdatasync"}),
    "crash": frozenset(DISK_OPS),
}


@dataclass(frozen=True, slots=True)
class DiskFault:
    """One fault, decided for one op.

    kinds:
      short_write  write only `keep` bytes (0 < keep < len(data) makes it truly short) and return that count
      lost_write   return the full count and store nothing: the file and the descriptor's offset stay as
                   they were, so the next write lands where this one should have (a write the device
                   acknowledged and dropped; the bytes never existed, in the page cache or on media)
      duplicate_write  store the data twice, back to back, and return the count once: the descriptor's
                   offset ends after the second copy (a retried or replayed write applied twice)
      enospc       raise ENOSPC (an open raises it only when it would create the file)
      write_eio    raise EIO, nothing written
      read_eio     raise EIO, nothing read, offset unchanged
      fsync_eio    Linux semantics: raise EIO once; the file's unsynced writes are dropped from the
                   durable path (never durable, even after a later successful fsync) while reads keep
                   seeing them until a crash. On a directory: raise EIO, entries stay pending.
      fsync_lie    return success, persist nothing
      crash        raise sim.crash.SimulatedCrash from inside the op; a write first applies a
                   seeded strict prefix of its data, so the writer is cut mid-way
    """

    kind: str
    keep: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_OPS:
            raise DiskUsageError(
                f"unknown disk fault kind {self.kind!r}; use one of {sorted(FAULT_OPS)}")
        if self.kind == "short_write":
            if self.keep is None or self.keep < 0:
                raise DiskUsageError(
                    f"short_write needs keep >= 0 (bytes to write), got keep={self.keep!r}")
        elif self.keep is not None:
            raise DiskUsageError(f"only short_write takes `keep`; {self.kind!r} got keep={self.keep!r}")


class FaultHook(Protocol):
    """What `SimDisk.fault_hook` must be: consulted at the start of every op."""

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None: ...
