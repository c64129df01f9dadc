"""The real twin: OMEN, RiskCast and the reconciler as real processes on loopback, faulted for real
(SIGKILL, SIGSTOP, a faulty proxy), judged by the simulation's own checkers (see docs/real-twin.md)."""
