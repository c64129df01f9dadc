"""`Node.spawn` builds its task the way `SimLoop.create_task` does on its fast path, inline; on any
other loop, or a SimLoop in debug mode, closed or with a task factory, it asks `create_task`."""
from __future__ import annotations

import asyncio
import contextvars

import pytest

from sim.clock import NodeClock
from sim.loop import SimLoop
from sim.node import Node
from sim.simulation import DEFAULT_EPOCH


def node_on(loop: asyncio.AbstractEventLoop, name: str = "omen") -> Node:
    return Node(name, loop=loop, clock=NodeClock(loop.time, DEFAULT_EPOCH))


async def work(results: list, value: int) -> int:
    await asyncio.sleep(0)
    results.append(value)
    return value


def test_a_spawned_task_is_the_task_create_task_makes_and_counts_in_the_same_serial() -> None:
    ours, theirs = SimLoop(), SimLoop()
    try:
        node = node_on(ours)
        results_ours: list = []
        results_theirs: list = []
        for value in range(3):
            spawned = node.spawn(work(results_ours, value), name=f"w{value}")
            made = theirs.create_task(work(results_theirs, value), name=f"omen/w{value}")
            assert type(spawned) is type(made) is asyncio.Task
            assert spawned.get_name() == made.get_name() == f"omen/w{value}"
            assert spawned.get_loop() is ours and ours._task_serial == theirs._task_serial == value + 1
            step = ours._ready[-1]
            assert type(step._context) is contextvars.Context  # the task's own copy of the context
            assert step._callback.__self__ is spawned and theirs._ready[-1]._callback.__self__ is made
            assert len(ours._ready) == len(theirs._ready)
        unnamed = theirs.create_task(work(results_theirs, 9))
        assert unnamed.get_name() == "work#4"  # the serial counts the spawned tasks too
        ours.run_until_complete(asyncio.gather(*node.tasks))
        theirs.run_until_complete(asyncio.gather(*asyncio.all_tasks(theirs)))
        assert results_ours == [0, 1, 2] and node.tasks == []
    finally:
        ours.close()
        theirs.close()


class CountingLoop(SimLoop):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def create_task(self, coro, *, name=None, context=None):
        self.asked.append(name)
        return super().create_task(coro, name=name, context=context)


@pytest.mark.parametrize("setup", ["subclass", "debug", "factory", "fast"])
def test_any_other_loop_state_asks_create_task(setup: str) -> None:
    loop = CountingLoop() if setup == "subclass" else SimLoop()
    try:
        if setup != "subclass":  # a SimLoop itself, its create_task watched through an instance attribute
            loop.asked = []
            create_task = loop.create_task

            def watched(coro, *, name=None, context=None):
                loop.asked.append(name)
                return create_task(coro, name=name, context=context)

            loop.create_task = watched
        if setup == "debug":
            loop.set_debug(True)
        elif setup == "factory":
            loop.set_task_factory(lambda loop, coro, **kwargs: asyncio.Task(coro, loop=loop, **kwargs))
        node = node_on(loop)
        task = node.spawn(work([], 1), name="w")
        assert loop.asked == ([] if setup == "fast" else ["omen/w"]) and task.get_name() == "omen/w"
        assert loop.run_until_complete(task) == 1
    finally:
        loop.close()


def test_a_node_on_a_plain_asyncio_loop_spawns_through_create_task() -> None:
    loop = asyncio.new_event_loop()
    try:
        node = node_on(loop)
        task = node.spawn(work([], 5), name="w")
        assert task.get_name() == "omen/w" and loop.run_until_complete(task) == 5
    finally:
        loop.close()
