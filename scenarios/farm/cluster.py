"""`--dask` targets to a connected `Client`: a running scheduler, or a LocalCluster made for the command."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

from scenarios.farm.arguments import DaskTarget
from scenarios.farm.engine import FarmError

CONNECT_TIMEOUT_S = 30.0
FIRST_WORKER_TIMEOUT_S = 120.0
# A LocalCluster hard-closes a worker's nanny `distributed.deploy.lost-worker-timeout` (15 s) after
# the worker left if, at that moment, no worker of its name is registered. The timer is per death,
# not per worker: when a worker dies again within 15 s (a killed run, then a hung run's restart),
# the first death's timer can fire while the nanny is restarting it after the second, and the slot
# is gone for good (seen in the farm's tests under load: "Closing Nanny ... Reason: nanny-close",
# then every wait for two workers timed out). A nanny restarts its own worker, so the hard close
# buys a local farm nothing: it is put past any farm's life.
LOCAL_LOST_WORKER_CLOSE_S = 30 * 24 * 3600.0


@contextmanager
def local_cluster_config() -> Iterator[None]:
    """Dask config for a farm's LocalCluster, for its whole life (the timer reads it at each death)."""
    with dask.config.set({"distributed.deploy.lost-worker-timeout": f"{LOCAL_LOST_WORKER_CLOSE_S:.0f}s"}):
        yield


@contextmanager
def connect(target: DaskTarget) -> Iterator[Client]:
    """A client with at least one worker; a local cluster is closed with it."""
    if target.local_workers is not None:
        # One thread per worker process: runs never share a process (a planted bug patches it whole).
        with local_cluster_config(), LocalCluster(
                n_workers=target.local_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
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
