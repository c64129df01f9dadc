"""The invariant checkers (docs/scenarios-and-invariants.md), by their stable names.

Checkers read the trace and the final state; they never trust the system's own report
of itself. Each yields `Violation`s naming the invariant, the signals or partition, and
the trace indices that prove it.
"""
from __future__ import annotations

from scenarios.invariants.delivery_checks import exactly_once, no_silent_loss, persist_before_ack
from scenarios.invariants.ledger_checks import ledger_first, monotonic_sequence, recoverability, sealed_immutable
from scenarios.invariants.manifest_checks import manifests_match_records
from scenarios.invariants.model import BEYOND_PROMISE_FAULTS, CheckContext, Checker, Violation
from scenarios.invariants.reconcile_checks import liveness, reconcile_discipline, utc_time
from scenarios.invariants.report_checks import reports_match_facts

CHECKERS: dict[str, Checker] = {
    "ledger_first": ledger_first,
    "exactly_once": exactly_once,
    "monotonic_sequence": monotonic_sequence,
    "recoverability": recoverability,
    "persist_before_ack": persist_before_ack,
    "sealed_immutable": sealed_immutable,
    "reconcile_discipline": reconcile_discipline,
    "no_silent_loss": no_silent_loss,
    "utc_time": utc_time,
    "liveness": liveness,
    "manifests_match_records": manifests_match_records,
    "reports_match_facts": reports_match_facts,
}

__all__ = ["BEYOND_PROMISE_FAULTS", "CHECKERS", "CheckContext", "Checker", "Violation"]
