"""The hot-path emitter: ledger-first write, then a bounded, breaker-guarded push to RiskCast."""
from omen.emitter.backpressure import BackpressureController
from omen.emitter.breaker import Admission, BreakerState, CircuitBreaker
from omen.emitter.result import EmitResult, EmitStatus
from omen.emitter.signal_emitter import SignalEmitter

__all__ = [
    "Admission",
    "BackpressureController",
    "BreakerState",
    "CircuitBreaker",
    "EmitResult",
    "EmitStatus",
    "SignalEmitter",
]
