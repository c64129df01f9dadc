"""sim: the deterministic kernel. Virtual-time loop, seeded streams, trace, clocks, nodes.

Generic on purpose: it imports nothing of `system`, `faults` or `scenarios`.
"""
from sim.clock import NodeClock
from sim.crash import SimulatedCrash
from sim.loop import DeadlockError, SimLoop, SimulationTimeLimit, ThreadsForbiddenError
from sim.node import Node, NodeDownError
from sim.rng import SeededStreams, derive_seed
from sim.simulation import DEFAULT_EPOCH, Simulation
from sim.trace import Trace, TraceEvent, TraceFieldError, canonical_line, hash_lines

__all__ = [
    "DEFAULT_EPOCH",
    "DeadlockError",
    "Node",
    "NodeClock",
    "NodeDownError",
    "SeededStreams",
    "SimLoop",
    "SimulatedCrash",
    "Simulation",
    "SimulationTimeLimit",
    "ThreadsForbiddenError",
    "Trace",
    "TraceEvent",
    "TraceFieldError",
    "canonical_line",
    "derive_seed",
    "hash_lines",
]
