"""Ingest over real HTTP: `riskcast serve` on loopback, 50 concurrent clients, 30% duplicates.

Both sides at the same durability (WAL, synchronous=FULL, every 200 sent after its commit):
- group commit (`--commit-rows-max 256`, the default: concurrent ingests share one transaction)
  against one transaction per signal (`--commit-rows-max 1`, how the store committed before);
  target >= 10x the rate the issue measured (104 requests/s), recorded next to the ratio.
The rates are requests answered per wall second of the load alone (server start excluded).
With --benchmark-disable the load is small (a smoke run of the same path).
"""
from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from benchmarks.conftest import record, timed
from tests.riskcast.served import load_bodies, percentile_s, post_all, start_served

CLIENTS = 50
DUPLICATE_FRACTION = 0.3
REQUESTS_FULL, REQUESTS_SMOKE = 5_000, 300
ISSUE_RATE_PER_S = 104.0  # what the issue measured before group commit
_counter = itertools.count()


def served_load(base: Path, commit_rows_max: int, requests: int) -> tuple[float, float, float]:
    """(requests/s, p50 s, p99 s) of one load against a fresh server and database."""
    directory = base / f"served-{commit_rows_max}-{next(_counter)}"
    directory.mkdir()
    served = start_served(directory, "--commit-rows-max", str(commit_rows_max))
    try:
        bodies = load_bodies(requests, duplicate_fraction=DUPLICATE_FRACTION, seed=1)
        started = time.perf_counter()
        answers = asyncio.run(post_all(served.base_url, bodies, clients=CLIENTS))
        elapsed_s = time.perf_counter() - started
    finally:
        served.stop()
    statuses = sorted({a.status for a in answers}, key=str)
    assert statuses == [200, 409], statuses  # a benchmark of errors would measure nothing
    latencies_s = [a.latency_s for a in answers]
    return len(answers) / elapsed_s, percentile_s(latencies_s, 0.5), percentile_s(latencies_s, 0.99)


def test_group_commit_against_one_commit_per_signal_over_real_http(benchmark, tmp_path, full) -> None:
    requests = REQUESTS_FULL if full else REQUESTS_SMOKE
    _, (group_rate, group_p50, group_p99) = timed(benchmark, lambda: served_load(tmp_path, 256, requests), rounds=1)
    single_rate, single_p50, single_p99 = served_load(tmp_path, 1, requests)
    record(benchmark, "served ingest, group commit", group_rate, unit="req/s",
           target=f">= {10 * ISSUE_RATE_PER_S:.0f} (10x the issue's {ISSUE_RATE_PER_S:.0f})",
           met=group_rate >= 10 * ISSUE_RATE_PER_S if full else None)
    record(benchmark, "served ingest, one commit per signal", single_rate, unit="req/s")
    record(benchmark, "group commit / one commit per signal", group_rate / single_rate)
    record(benchmark, "served ingest p50, group commit", group_p50 * 1000, unit="ms")
    record(benchmark, "served ingest p99, group commit", group_p99 * 1000, unit="ms")
    record(benchmark, "served ingest p99, one commit per signal", single_p99 * 1000, unit="ms")
    assert single_p50 > 0 and group_p50 > 0
