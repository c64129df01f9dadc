"""The nodes of the world, by name: each a factory the world starts, crashes and restarts.

The names are the crashable nodes of the fault catalogue (`faults.CRASH_KIND_BY_NODE`, itself
derived from the `proc.crash_<node>` kinds): one table, checked here at import.
"""
from __future__ import annotations

from collections.abc import Callable

from faults import CRASH_KIND_BY_NODE
from scenarios.nodes.definition import NodeDefinition
from scenarios.nodes.omen_node import OmenNode
from scenarios.nodes.reconciler_node import ReconcilerNode
from scenarios.nodes.riskcast_node import RiskcastNode

# start order matters (it is the order of the first events in the trace): OMEN, RiskCast, reconciler
NODE_DEFINITIONS: dict[str, Callable[[], NodeDefinition]] = {
    OmenNode.name: OmenNode,
    RiskcastNode.name: RiskcastNode,
    ReconcilerNode.name: ReconcilerNode,
}
NODE_NAMES: tuple[str, ...] = tuple(NODE_DEFINITIONS)

assert set(NODE_NAMES) == set(CRASH_KIND_BY_NODE), (
    f"every crashable node needs a definition and vice versa: {NODE_NAMES} vs {tuple(CRASH_KIND_BY_NODE)}")

__all__ = ["NODE_DEFINITIONS", "NODE_NAMES", "NodeDefinition", "OmenNode", "ReconcilerNode", "RiskcastNode"]
