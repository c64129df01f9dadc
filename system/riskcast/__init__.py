"""RiskCast: the signal store, its ingest handler, and reconcile against the OMEN ledger.

Real-only adapters live in named files and are NOT imported here: `riskcast.sql_thread`
(threads), `riskcast.app` (FastAPI, uuid4, wall clock), `riskcast.cli` (the server).
"""
from riskcast.ingest import BODY_MAX_BYTES_DEFAULT, IngestHandler
from riskcast.local_transport import IngestHandlerTransport
from riskcast.reconcile_job import ReconcileJob, run_reconcile_job
from riskcast.reconcile_result import ReconcileResult
from riskcast.reconcile_state import ReconcileHistoryEntry, ReconcileState, ReconcileStateStore
from riskcast.signal_store import DuplicateSignalError, SignalStore, StoredSignal
from riskcast.sql_inline import InlineSqlRunner
from riskcast.tables import init_schema

__all__ = [
    "BODY_MAX_BYTES_DEFAULT",
    "DuplicateSignalError",
    "IngestHandler",
    "IngestHandlerTransport",
    "InlineSqlRunner",
    "ReconcileHistoryEntry",
    "ReconcileJob",
    "ReconcileResult",
    "ReconcileState",
    "ReconcileStateStore",
    "SignalStore",
    "StoredSignal",
    "init_schema",
    "run_reconcile_job",
]
