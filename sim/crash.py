"""The power-loss signal raised from inside a simulated operation.

It derives from BaseException on purpose: system code catches `OSError` (and sometimes
`Exception`) to turn failures into typed errors, and a simulated power loss must not be
caught that way. It unwinds the node's stack exactly as a real power cut ends the
process: no handler of the system gets to run.
"""
from __future__ import annotations


class SimulatedCrash(BaseException):
    """Raised by a simulated component when a planned crash fires mid-operation."""

    def __init__(self, node: str, reason: str) -> None:
        super().__init__(f"simulated crash of {node!r}: {reason}")
        self.node = node
        self.reason = reason
