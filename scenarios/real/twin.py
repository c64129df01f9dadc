"""The simulation and the real twin side by side: the same workload and fault mix in both, the
invariants each judged, and their verdicts (`omen-sim real --twin`; the table in docs/real-twin.md).

The real nemesis' actions map onto the simulation's fault kinds as closely as the two worlds allow:

| real (nemesis)                         | simulation (fault kind)                                |
|----------------------------------------|--------------------------------------------------------|
| kill.omen / kill.riskcast / kill.reconciler | proc.crash_omen / proc.crash_riskcast / proc.crash_reconciler |
| pause.* (SIGSTOP for 0.5-2 s)          | net.delay_spike (no simulated pause: every leg waits)  |
| proxy.drop_request / drop_response     | net.drop_request / net.drop_response                   |
| proxy.duplicate / proxy.reset          | net.duplicate / net.reset                              |
| proxy.delay                            | net.delay_spike                                        |
| disk.torn_tail (while OMEN is down)    | (implied: a simulated OMEN crash is a power loss)      |

A simulated OMEN crash is harsher than a SIGKILL: it drops what was not fsynced, as a power loss
does. A SIGKILL keeps the page cache; that difference is why power loss stays the simulation's job.
"""
from __future__ import annotations

from typing import Any

from faults import FaultPlan
from scenarios.real.run import RealRunConfig, RealRunResult, planned_signals, run_real
from scenarios.runner import RunResult, run

TICK_S = 0.5
KILLS_PER_PROCESS_PER_S = 3 / 26.0  # the nemesis' rate over a 30 s run's fault window
NET_PROBABILITY = 0.05

# what part of each invariant a real run can judge (docs/real-twin.md gives the reasons)
REAL_RUN_JUDGES: dict[str, str] = {
    "ledger_first": "no push before the record is in the files; RiskCast within the ledger at every kill",
    "exactly_once": "whole: one row and one 200 per signal, 409s carry the original ack_id, ledger = store",
    "monotonic_sequence": "whole: read order, and every number seen at a kill unchanged at the end",
    "recoverability": "restart unaided, reader = independent parser; not the enumerated crash states",
    "persist_before_ack": "whole: every 200's ack_id names a row that survived every kill",
    "sealed_immutable": "segments hashed when the seal is first seen, against the end",
    "reconcile_discipline": "whole: sealed before replay, state over stored ids, late partitions",
    "no_silent_loss": "within the promise only (no lying fsync or bit rot in a real run)",
    "utc_time": "whole",
    "liveness": "converges within a wall-clock bound after the heal",
    "manifests_match_records": "every manifest at the end against its frames (not at each seal or pass)",
    "reports_match_facts": "delivered/duplicate against RiskCast's answers, reconcile replays against "
                           "ingest; not `durable` at the instant of an emit (needs the page-cache model)",
}


def simulation_plan(families: frozenset[str]) -> FaultPlan:
    kinds: dict[str, Any] = {}
    if "kill" in families:
        for name in ("omen", "riskcast", "reconciler"):
            kinds[f"proc.crash_{name}"] = {"probability": KILLS_PER_PROCESS_PER_S * TICK_S,
                                           "params": {"restart_after_s": (0.2, 1.0)}}
    if "pause" in families or "proxy" in families:
        kinds["net.delay_spike"] = {"probability": NET_PROBABILITY, "params": {"delay_s": (0.2, 2.0)}}
    if "proxy" in families:
        for kind in ("net.drop_request", "net.drop_response", "net.duplicate", "net.reset"):
            kinds[kind] = {"probability": NET_PROBABILITY}
    return FaultPlan.from_data({"kinds": kinds, "tick_s": TICK_S}, source="the twin's plan")


def simulate(config: RealRunConfig) -> RunResult:
    """The simulated twin of a real run: the same workload spec and seed-derived size, the same
    day boundary half-way through, the equivalent fault plan."""
    count = len(planned_signals(config))
    overrides = {
        "workload": {"signal_count": count, "rate_per_s": config.rate_per_s, "late_fraction": 0.0},
        "duration_s": config.seconds,
        "start_before_midnight_s": config.seconds / 2,
        "seal_grace_s": 2.0,
        "group_commit_max_batch": config.group_commit,
    }
    return run("calm", config.seed, plan=simulation_plan(config.nemesis), overrides=overrides, bug=config.bug)


def side_by_side(config: RealRunConfig) -> tuple[RunResult, RealRunResult, str]:
    simulated = simulate(config)
    real = run_real(config)
    return simulated, real, table(simulated, real)


def _verdict(invariants: dict[str, dict[str, int]], name: str) -> str:
    verdict = invariants.get(name)
    if verdict is None or not verdict["checked"]:
        return "not judged"
    return "VIOLATED" if verdict["violated"] else "holds"


def table(simulated: RunResult, real: RealRunResult) -> str:
    lines = [
        f"Workload: {real.signals} signals at {real.config.rate_per_s:g}/s over {real.config.seconds:g} s, seed "
        f"{real.config.seed}, nemesis {','.join(sorted(real.config.nemesis)) or 'none'}"
        + (f", planted bug {real.config.bug}" if real.config.bug else "") + ".",
        f"Faults fired, simulation: {_faults(simulated.faults)}.",
        f"Faults fired, real: {_faults(real.faults)}.",
        "",
        "| invariant | simulation judges | simulation | real run judges | real run |",
        "|---|---|---|---|---|",
    ]
    for name in REAL_RUN_JUDGES:
        lines.append(f"| `{name}` | whole | {_verdict(simulated.invariants, name)} | {REAL_RUN_JUDGES[name]} | "
                     f"{_verdict(real.invariants, name)} |")
    return "\n".join(lines)


def _faults(faults: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in sorted(faults.items())) or "none"
