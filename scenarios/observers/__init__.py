"""Observers: facts about a run read from file bytes, directory listings and database rows.

Never the system's opinion of itself: an observer reads a `FileView` (the simulated disk, a real
one, or a dict of bytes) and a `sqlite3.Connection`, so the same observers serve the simulated
world and a real twin. One observer per module:

- `durability`: which signals are durable right now (asked at every request);
- `seals`: when a partition became sealed, and its segment hashes then;
- `manifests`: what each manifest claims, beside the frames it describes;
- `reconcile_state`: whether the recorded highwater covers what RiskCast holds;
- `crash_snapshots`: what survived each power loss;
- `final_state`: the end of the run, as the `CheckContext` the checkers read.
"""
from scenarios.observers.crash_snapshots import snapshot_after_crash, surviving_ledger
from scenarios.observers.durability import DurableLedgerIndex
from scenarios.observers.files import FileView, MappingFiles, OsFiles, SimDiskView, faults_suspended, listdir_or_empty
from scenarios.observers.final_state import final_context, reader_view
from scenarios.observers.manifests import ManifestObserver, manifest_facts
from scenarios.observers.observations import CrashSnapshot, Observations
from scenarios.observers.reconcile_state import ReconcileStateObserver
from scenarios.observers.seals import SealObserver, manifest_says_sealed, segment_hashes

__all__ = [
    "CrashSnapshot",
    "DurableLedgerIndex",
    "FileView",
    "ManifestObserver",
    "MappingFiles",
    "Observations",
    "OsFiles",
    "ReconcileStateObserver",
    "SealObserver",
    "SimDiskView",
    "faults_suspended",
    "manifest_facts",
    "final_context",
    "listdir_or_empty",
    "manifest_says_sealed",
    "reader_view",
    "segment_hashes",
    "snapshot_after_crash",
    "surviving_ledger",
]
