"""faults: fault kinds, fault plans, swarm sampling, and the injectors hooked into sim.

Imports `sim` only (and stdlib, pydantic, tomli-w): see tests/architecture/test_import_rule.py.
"""
from faults.disk_faults import DiskFaultInjector
from faults.heal import heal
from faults.injector import FaultInjector
from faults.net_faults import NetworkFaultInjector
from faults.process_faults import CRASH_KIND_BY_NODE, ProcessFaults
from faults.kinds import FAULT_KINDS, FaultKindInfo, ParamRange, kinds_of_layer
from faults.plan import ClockSpec, CrashSpec, FaultPlan, FaultPlanError, FaultSpec
from faults.schedule import FaultSchedule, FaultScheduleError, ScheduleEntry
from faults.swarm import swarm_plan

__all__ = [
    "CRASH_KIND_BY_NODE",
    "DiskFaultInjector",
    "NetworkFaultInjector",
    "ProcessFaults",
    "heal",
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
