"""What a node definition is: a factory the world starts, crashes and restarts by name.

WHY factories (as turmoil's `sim.host(name, || ...)`): a restart must rebuild a process from
what is durable, never resume the old objects. The world keeps one definition per node name and
calls `start` at the first boot and at every restart, `on_crash` right after the kernel cancelled
the node's tasks. The world itself holds no per-node code: a new node is a new definition in
`scenarios/nodes/__init__.py`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scenarios.world import World


class NodeDefinition(Protocol):
    name: str

    def start(self, world: "World") -> None:
        """Build the node's components from durable state and spawn its tasks (boot and restart)."""

    def on_crash(self, world: "World") -> None:
        """Drop the node's in-memory state and apply what a crash does to its machine (disk, open transaction)."""
