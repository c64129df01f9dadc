"""The seed farm: `omen-sim sweep` and `hunt` on a Dask cluster (`--dask ADDRESS` or `--dask local[:N]`).

Why a package of its own: the local sweep (`scenarios.sweep`) must not change, nor import Dask,
when no farm is asked for. Nothing here imports `distributed` at module level except `engine`,
`cluster`, `sweep_farm` and `hunter`, which only the `--dask` paths of the CLI load.

    task        what a worker runs: one job in, its summary row and repro file contents out (as data)
    journal     the seed range written down before the farm starts, results appended as they arrive
    engine      the client loop: bounded runs in flight, wall-clock budgets, worker loss, progress
    sweep_farm  a sweep on the farm: the same summary as the local pool, resumable from its journal
    hunter      a hunt on the farm: the same catching seed as the local hunt
    cluster     `--dask` addresses: a running scheduler or a LocalCluster of N worker processes
    arguments   the CLI flags (no Dask import)
    command     the CLI glue
"""
