"""`drops_manifest_rename`: what excuses a manifest that went back (`manifests_match_records`) and a
sealed day that reopened (`sealed_immutable`) is a power loss that dropped that partition's own
manifest rename, nothing else of it and nothing of another partition."""
from __future__ import annotations

from scenarios.invariants.model import drops_manifest_rename

DROPPED_SEAL = "/ledger/2026-01-01: rename _manifest.json.tmp -> _manifest.json"


def test_the_partitions_own_manifest_rename_dropped_is_the_excuse() -> None:
    assert drops_manifest_rename({"dropped_entry_ops": [DROPPED_SEAL]}, "2026-01-01")


def test_another_partitions_rename_or_another_file_or_a_kept_rename_is_not() -> None:
    assert not drops_manifest_rename({"dropped_entry_ops": [DROPPED_SEAL]}, "2026-01-02")
    late = "/ledger/2026-01-01-late: rename _manifest.json.tmp -> _manifest.json"
    assert not drops_manifest_rename({"dropped_entry_ops": [late]}, "2026-01-01")
    assert not drops_manifest_rename({"dropped_entry_ops": ["/ledger/2026-01-01: rename a.tmp -> segment-000002.log"]},
                                     "2026-01-01")
    assert not drops_manifest_rename({"kept_entry_ops": [DROPPED_SEAL], "dropped_entry_ops": []}, "2026-01-01")
    assert not drops_manifest_rename({}, "2026-01-01")
