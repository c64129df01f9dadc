"""The phases of one run, in order: safety (workload under faults), heal, liveness (convergence)."""
from scenarios.phases.heal import heal_phase
from scenarios.phases.liveness import liveness_phase
from scenarios.phases.safety import SAFETY_TAIL_S, safety_phase

__all__ = ["SAFETY_TAIL_S", "heal_phase", "liveness_phase", "safety_phase"]
