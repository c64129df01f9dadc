"""The simulated, crash-aware disk: an os-like port with a persistence model.

See docs/persistence-model.md for what is durable when, and what a crash keeps.
"""
from sim.disk.crash_model import CrashReport, CrashState, TornRegion
from sim.disk.disk import PROFILES, SimDirEntry, SimDisk
from sim.disk.errors import CrashStateLimitError, DiskUsageError
from sim.disk.fault import DISK_OPS, FAULT_OPS, DiskFault, FaultHook

__all__ = [
    "CrashReport", "CrashState", "CrashStateLimitError", "DISK_OPS", "DiskFault", "DiskUsageError",
    "FAULT_OPS", "FaultHook", "PROFILES", "SimDirEntry", "SimDisk", "TornRegion",
]
