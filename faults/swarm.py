"""Swarm mode: a fault plan drawn from the seed (TigerBeetle's swarm testing; Groce et al. 2012).

WHY: one plan with every fault at a fixed rate explores badly, because frequent faults of one kind
mask the bugs another kind would reveal (a node that crashes every second never fills a segment).
Each seed instead switches on a random subset of kinds, each at a random intensity, so that across a
sweep some runs are calm, some are storms, and most combinations get their turn.

The draw uses only the rng it is handed, in catalogue order, so a seed always gives the same plan.
"""
from __future__ import annotations

import math
import random
from typing import Iterable

from faults.kinds import FAULT_KINDS
from faults.plan import FaultPlan, FaultSpec

SWARM_KIND_ON_PROBABILITY = 0.5  # each candidate kind is on in about half the plans
SWARM_WINDOW_PROBABILITY = 0.25  # an enabled kind gets a time window in about a quarter of plans


def swarm_plan(
    rng: random.Random, *, duration_s: float, kinds: Iterable[str] | None = None
) -> FaultPlan:
    """A random subset of `kinds` (default: all), each with a random intensity and maybe a window.

    At least one kind is on whenever there is a candidate: an empty plan is the fault-free run,
    which sweeps run on purpose, not by chance.
    """
    if not (math.isfinite(duration_s) and duration_s > 0.0):
        raise ValueError(f"duration_s must be a positive number of simulated seconds, got {duration_s}")
    candidates = list(FAULT_KINDS) if kinds is None else list(dict.fromkeys(kinds))
    unknown = [name for name in candidates if name not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known kinds: {', '.join(sorted(FAULT_KINDS))}")
    # Catalogue order, not caller order: the same set of kinds gives the same plan.
    candidates = [name for name in FAULT_KINDS if name in set(candidates)]
    chosen = [name for name in candidates if rng.random() < SWARM_KIND_ON_PROBABILITY]
    if not chosen and candidates:
        chosen = [candidates[rng.randrange(len(candidates))]]
    specs: dict[str, FaultSpec] = {}
    for name in chosen:
        lo, hi = FAULT_KINDS[name].swarm_probability
        # Log-uniform: intensities spread over orders of magnitude, not clustered near `hi`.
        probability = math.exp(rng.uniform(math.log(lo), math.log(hi))) if lo > 0 else rng.uniform(lo, hi)
        window = None
        if rng.random() < SWARM_WINDOW_PROBABILITY:
            start_s = rng.uniform(0.0, duration_s)
            window = (start_s, rng.uniform(start_s, duration_s))
        specs[name] = FaultSpec(probability=min(1.0, probability), window_s=window)
    return FaultPlan(kinds=specs)
