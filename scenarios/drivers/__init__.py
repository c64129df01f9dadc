"""Drivers: what makes things happen in a run, apart from faults.

- `workload_driver`: the upstream source handing planned signals to OMEN;
- `periodic`: OMEN's sealer and the reconcile pass on their timers;
- `scenario_driver`: the protocol of a scenario's own drivers, and two of them:
  `concurrent_posts` (the audit's burst of POSTs) and `exhaustive_points` (every crash state).
"""
from scenarios.drivers.concurrent_posts import ConcurrentPosts
from scenarios.drivers.exhaustive_points import ExhaustiveCrashPoints
from scenarios.drivers.periodic import PeriodicJobs
from scenarios.drivers.scenario_driver import ScenarioDriver
from scenarios.drivers.workload_driver import WorkloadDriver

__all__ = ["ConcurrentPosts", "ExhaustiveCrashPoints", "PeriodicJobs", "ScenarioDriver", "WorkloadDriver"]
