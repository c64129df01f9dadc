"""A node is a simulated process: it groups its tasks so a crash can end them all at once.

WHY: a power loss or kill -9 ends every task of a process in the same instant, mid-step.
`crash()` cancels every task the node spawned, in one go, and refuses new ones until
`restart()`; the node records nothing in the trace (the composition root does, with its
own fields); the caller then builds fresh objects (the system's real recovery code) for
the new incarnation. A task that dies of `SimulatedCrash` (raised from inside a simulated
disk operation) crashes its whole node the same way.

Limit of asyncio: a cancelled task still runs its `finally` blocks and `except
CancelledError` handlers at its next step; a real power loss would run nothing. The
simulated disk and network are expected to refuse work from a dead node (see `alive`).
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine

from sim.clock import NodeClock
from sim.crash import SimulatedCrash
from sim.loop import SimLoop

__all__ = ["Node", "NodeDownError"]

NODE_TASKS_MAX = 100_000
CRASH_HOOKS_MAX = 64
TASK_ERRORS_MAX = 100  # task deaths kept per node: the first ones say what went wrong
_Task = asyncio.Task


class NodeDownError(AssertionError):
    """Work was handed to a node that is crashed: restart it first."""


class Node:
    """A named group of tasks with its own wall clock, crashable and restartable."""

    def __init__(self, name: str, *, loop: asyncio.AbstractEventLoop, clock: NodeClock) -> None:
        if type(name) is not str or not name:
            raise TypeError(f"a node name must be a non-empty str, got {name!r}")
        self.name = name
        self.alive = True
        self.incarnation = 0
        self.clock = clock
        self.loop = loop
        self.crash_count = 0
        self.last_crash_reason: str | None = None
        self._tasks: dict[asyncio.Task, None] = {}
        self._crash_hooks: list[Callable[[Node], None]] = []
        # (task name, exception) of each task that died of anything but a crash or a cancel: a
        # composition root turns them into findings (a task nobody awaits would die unseen)
        self.task_errors: list[tuple[str, BaseException]] = []
        # the done callback every task of the node gets, bound once (a bound method per spawn was an
        # object made and freed each time; it compares equal to `self._on_task_done` all the same)
        self._task_done = self._on_task_done

    @property
    def tasks(self) -> list[asyncio.Task]:
        """The node's live tasks, in spawn order."""
        return list(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task:
        """Run `coro` as a task of this node, named '<node>/<name>'. Refused when the node is down."""
        if not self.alive:
            coro.close()  # never started: close it so Python does not warn it was never awaited
            raise NodeDownError(f"node {self.name!r} is crashed; call restart() before spawning {name!r}")
        if len(self._tasks) >= NODE_TASKS_MAX:
            coro.close()
            raise RuntimeError(f"node {self.name!r} already has {NODE_TASKS_MAX} live tasks; is a loop spawning without awaiting?")
        loop = self.loop
        if type(loop) is SimLoop and loop._plain:  # open, out of debug mode, no task factory
            # `loop.create_task(coro, name=...)` on its fast path, inline (one frame less per task: a
            # request's handler and a signal's emission each make one); a test holds the two equal
            loop._task_serial += 1
            task = _Task(coro, loop=loop, name=f"{self.name}/{name}")
        else:
            task = loop.create_task(coro, name=f"{self.name}/{name}")
        self._tasks[task] = None
        task.add_done_callback(self._task_done)
        return task

    def crash(self, reason: str = "crash") -> None:
        """Cancel all of the node's tasks at once and mark it down. A crash of a down node is a no-op."""
        if not self.alive:
            return
        doomed = list(self._tasks)
        self._tasks = {}
        self.alive = False
        self.crash_count += 1
        self.last_crash_reason = reason
        for task in doomed:
            task.cancel(msg=f"node {self.name} crashed: {reason}")
        for hook in list(self._crash_hooks):
            hook(self)

    def restart(self) -> None:
        """Bring a crashed node back as a new incarnation; the caller then builds fresh objects."""
        if self.alive:
            raise RuntimeError(f"node {self.name!r} is running; crash() it before restart()")
        self.alive = True
        self.incarnation += 1

    def on_crash(self, hook: Callable[["Node"], None]) -> None:
        """Call `hook(node)` at every crash, after the tasks are cancelled (e.g. to apply a disk crash)."""
        if not callable(hook):
            raise TypeError(f"a crash hook must be callable, got {hook!r}")
        if len(self._crash_hooks) >= CRASH_HOOKS_MAX:
            raise RuntimeError(f"node {self.name!r} has {CRASH_HOOKS_MAX} crash hooks; register hooks once, not per restart")
        self._crash_hooks.append(hook)

    def _on_task_done(self, task: asyncio.Task) -> None:
        self._tasks.pop(task, None)
        # Peek without retrieving: task.exception() would mark any other error as handled
        # and silence asyncio's "exception was never retrieved" report of a real bug. A cancelled
        # task holds no exception (asyncio sets one only on a pending future, and cancelling ends
        # pending), so None answers both "returned" and "cancelled" in one test: nearly every task.
        error = task._exception
        if error is None:
            return
        assert not task.cancelled(), "a task that holds an exception was not cancelled"
        if isinstance(error, SimulatedCrash):
            task.exception()  # handled here: the whole node goes down
            if self.alive:
                self.crash(reason=error.reason)
        elif len(self.task_errors) < TASK_ERRORS_MAX:
            self.task_errors.append((task.get_name(), error))

    def __repr__(self) -> str:
        state = "alive" if self.alive else "down"
        return f"Node({self.name!r}, {state}, incarnation={self.incarnation}, tasks={len(self._tasks)})"
