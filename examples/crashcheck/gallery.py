"""The gallery's index: every (module, variant) and the verdict crashcheck must reach on it.

`correct` passes every crash state; every other variant holds one classic bug and must be
caught. tests/examples/test_crashcheck_gallery.py runs them all, in CI.
"""
from __future__ import annotations

# module -> {variant: "pass" | "caught"}
GALLERY: dict[str, dict[str, str]] = {
    "append_log": {"correct": "pass", "trusts_length": "caught", "continues_after_crc_mismatch": "caught",
                   "appends_after_torn_tail": "caught"},
    "settings_json": {"correct": "pass", "no_fsync_before_rename": "caught", "no_dir_fsync": "caught"},
    "marker_touch": {"correct": "pass", "no_dir_fsync": "caught"},
    "day_dirs": {"correct": "pass", "no_parent_fsync": "caught"},
    "sidecar_counter": {"correct": "pass", "unsynced": "caught"},
    "sequence_log": {"correct": "pass", "counts_records": "caught"},
    "filelock_store": {"correct": "pass", "rewrites_in_place": "caught"},
}
