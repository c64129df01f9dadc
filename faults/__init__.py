"""faults: fault kinds, fault plans, swarm sampling, and the injectors hooked into sim.

Imports `sim` only (and stdlib, pydantic, tomli-w): see tests/architecture/test_import_rule.py.
"""
from faults.injector import FaultInjector
from faults.kinds import FAULT_KINDS, FaultKindInfo, ParamRange, kinds_of_layer
from faults.plan import ClockSpec, CrashSpec, FaultPlan, FaultPlanError, FaultSpec
from faults.schedule import FaultSchedule, FaultScheduleError, ScheduleEntry
from faults.swarm import swarm_plan

__all__ = [
    "FAULT_KINDS",
    "ClockSpec",
    "CrashSpec",
    "FaultInjector",
    "FaultKindInfo",
    "FaultPlan",
    "FaultPlanError",
    "FaultSchedule",
    "FaultScheduleError",
    "FaultSpec",
    "ParamRange",
    "ScheduleEntry",
    "kinds_of_layer",
    "swarm_plan",
]
