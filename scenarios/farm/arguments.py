"""The farm's CLI flags and the `--dask` target, parsed without importing Dask."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

LOCAL_WORKERS_MAX = 256
DEFAULT_RUNS_PER_WORKER = 2
DEFAULT_RUN_BUDGET_S = 600.0


class DaskTargetError(ValueError):
    """A `--dask` value that is neither `local[:N]` nor a scheduler address."""


@dataclass(frozen=True)
class DaskTarget:
    """Either a running scheduler (`address`) or a LocalCluster of `local_workers` processes."""

    address: str | None = None
    local_workers: int | None = None

    def __post_init__(self) -> None:
        assert (self.address is None) != (self.local_workers is None), self

    def describe(self) -> str:
        if self.address is not None:
            return f"the scheduler at {self.address}"
        return f"a local cluster of {self.local_workers} worker process(es)"


def parse_dask_target(text: str, *, default_local_workers: int) -> DaskTarget:
    """'local' -> a LocalCluster of default_local_workers; 'local:N' -> of N; anything else: an address."""
    value = text.strip()
    if not value:
        raise DaskTargetError("--dask needs a scheduler address (tcp://HOST:8786) or local[:N]")
    head, sep, tail = value.partition(":")
    if head != "local":
        return DaskTarget(address=value)
    if not sep:
        return DaskTarget(local_workers=default_local_workers)
    try:
        workers = int(tail)
    except ValueError:
        raise DaskTargetError(f"--dask {text!r}: N in local:N must be an integer, as in local:4") from None
    if not 1 <= workers <= LOCAL_WORKERS_MAX:
        raise DaskTargetError(f"--dask {text!r}: N in local:N must be 1..{LOCAL_WORKERS_MAX}")
    return DaskTarget(local_workers=workers)


def add_farm_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags `sweep` and `hunt` share."""
    group = parser.add_argument_group("farm (needs the farm extra: pip install omen-testbed[farm])")
    group.add_argument("--dask", metavar="ADDRESS|local[:N]",
                       help="run on a Dask cluster: a scheduler address, or local:N worker processes on this machine")
    group.add_argument("--runs-per-worker", type=int, default=DEFAULT_RUNS_PER_WORKER,
                       help=f"runs in flight per worker (default {DEFAULT_RUNS_PER_WORKER})")
    group.add_argument("--run-budget-s", type=float, default=DEFAULT_RUN_BUDGET_S,
                       help="wall seconds one run may take before it is reported as a harness liveness problem "
                            f"(default {DEFAULT_RUN_BUDGET_S:g})")


def add_farm_sweep_arguments(parser: argparse.ArgumentParser, seeds: argparse._MutuallyExclusiveGroup) -> None:
    """The farm flags of `sweep`: `--resume` stands in for the seed range (the journal holds it)."""
    add_farm_arguments(parser)
    seeds.add_argument("--resume", metavar="JOURNAL",
                       help="finish the farm sweep this journal describes (its seeds, scenarios and bug)")
    parser.add_argument("--journal", metavar="FILE",
                        help="the farm's journal (default: REPRO_DIR/farm-journal.jsonl); resume it with --resume")
