"""`--dask` targets to a connected `Client`: a running scheduler, or a LocalCluster made for the command."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from scenarios.farm.arguments import DaskTarget
from scenarios.farm.engine import FarmError

CONNECT_TIMEOUT_S = 30.0
FIRST_WORKER_TIMEOUT_S = 120.0


@contextmanager
def connect(target: DaskTarget) -> Iterator[Client]:
    """A client with at least one worker; a local cluster is closed with it."""
    if target.local_workers is not None:
        # One thread per worker process: runs never share a process (a planted bug patches it whole).
        with LocalCluster(n_workers=target.local_workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            client.wait_for_workers(target.local_workers, timeout=FIRST_WORKER_TIMEOUT_S)
            yield client
        return
    assert target.address is not None
    try:
        client = Client(target.address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise FarmError(f"cannot reach the Dask scheduler at {target.address} within {CONNECT_TIMEOUT_S:g} s "
                        f"({error}); start one with `dask scheduler`") from error
    with client:
        try:
            client.wait_for_workers(1, timeout=FIRST_WORKER_TIMEOUT_S)
        except TimeoutError as error:
            raise FarmError(f"no worker joined {target.address} within {FIRST_WORKER_TIMEOUT_S:g} s; start some "
                            f"with `dask worker {target.address} --nthreads 1`") from error
        yield client
