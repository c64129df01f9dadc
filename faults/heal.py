"""The heal step between the safety phase and the liveness phase of a run.

WHY one function: a liveness phase only proves something if every fault has truly stopped.
`heal` stops the injector (nothing fires afterwards), ends the network's partitions and restarts
every node the process-fault driver has down, in that order, so no restart races a new fault.
"""
from __future__ import annotations

from typing import Any

from faults.injector import FaultInjector
from faults.process_faults import ProcessFaults


def heal(injector: FaultInjector, *, network: Any | None = None, process: ProcessFaults | None = None) -> None:
    """Faults stop, partitions end, down nodes restart. `network` is a sim SimNetwork (or None)."""
    injector.heal()
    if network is not None:
        network.heal()
    if process is not None:
        process.heal()
    injector.note("faults.heal", counters=injector.counters_sorted())
