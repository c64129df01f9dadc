"""The garbage collector's settings for a process whose job is simulated runs (the CLI, sweep and hunt workers).

WHY: a run allocates millions of short-lived containers (coroutine frames, futures, events,
request dicts). With CPython's default thresholds (700, 10, 10) the cyclic collector ran so often
that it took 10-13% of a sweep's CPU time (timed with `gc.callbacks`): its young collections
kept finding the run's live objects, and each full collection walked every module, class and
pydantic schema imported at start-up. Freezing what start-up made (`gc.freeze`: those objects
are never collected anyway) and collecting the young generation every 10,000 allocations instead
of every 700 halves that (5-7%). Reference counting still frees almost everything at once; the
collector only finds cycles, later. Nothing a run records depends on when it runs (trace hashes
are the same under either setting; `tests/scenarios/test_gc_tuning.py`).

Applied only to processes the test bed owns: the `omen-sim` command and its worker processes.
A library user's process (pytest with the plugin, a notebook) keeps its own settings.
"""
from __future__ import annotations

import gc

YOUNG_COLLECTION_ALLOCATIONS = 10_000  # net container allocations between young collections
OLDER_COLLECTION_RATIO = 10  # as CPython's default: each older generation is collected 10x less often


def tune_gc_for_runs() -> None:
    """Freeze what exists now and collect less often. Idempotent; call once the imports are done."""
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, OLDER_COLLECTION_RATIO, OLDER_COLLECTION_RATIO)
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_ALLOCATIONS


__all__ = ["tune_gc_for_runs", "YOUNG_COLLECTION_ALLOCATIONS"]
