"""One local Dask cluster of two worker processes for the farm's tests (starting one costs seconds),
closed after them (package scope): its scheduler runs in the test process and would slow later tests.

Tests that kill or restart a worker leave the cluster to heal: `farm_client` waits for both workers
before handing the client to the next test.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

WORKERS = 2
HEAL_TIMEOUT_S = 60


@pytest.fixture(scope="package")
def farm_cluster() -> Iterator[object]:
    from distributed import LocalCluster

    from scenarios.farm.cluster import local_cluster_config

    # The farm's own config: its tests kill the same worker twice within seconds (see the constant).
    with local_cluster_config(), LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                              dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        yield cluster


@pytest.fixture(scope="package")
def _shared_client(farm_cluster: object) -> Iterator[object]:
    from distributed import Client

    with Client(farm_cluster) as client:
        yield client


@pytest.fixture
def farm_client(_shared_client: object) -> object:
    _shared_client.wait_for_workers(WORKERS, timeout=HEAL_TIMEOUT_S)
    return _shared_client
