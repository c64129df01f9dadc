"""Typed errors of crashcheck: the run was driven wrongly, or the recorder lost track.

None is an `OSError` or an `AssertionError`, so user code cannot swallow them as a file error
and they are never mistaken for a check's verdict.
"""
from __future__ import annotations


class CrashcheckError(Exception):
    """Base of crashcheck's own errors."""


class CrashcheckUsageError(CrashcheckError, ValueError):
    """Bad arguments: an unknown profile, a bound out of range, a callable that is not one."""


class WorkloadError(CrashcheckError):
    """The workload itself raised while it was recorded: nothing can be checked."""


class UnsupportedOperationError(CrashcheckError):
    """The workload did something the persistence model has no rule for (a hard link, ...)."""


class RecordingMismatchError(CrashcheckError):
    """Replaying the whole log did not rebuild the fake file system's final tree: a recorder bug."""


class ReproFileError(CrashcheckError, ValueError):
    """A crashcheck repro file is unreadable, malformed, or of another format version."""
