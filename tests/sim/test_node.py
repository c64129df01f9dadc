"""Nodes group tasks so a crash ends all of one node's tasks at once, and nothing else."""
from __future__ import annotations

import asyncio

import pytest

from sim.crash import SimulatedCrash
from sim.node import NodeDownError
from sim.simulation import Simulation


@pytest.fixture
def sim() -> Simulation:
    created = Simulation(5)
    yield created
    created.close()


async def _forever(ticks: list[str], label: str) -> None:
    while True:
        await asyncio.sleep(1)
        ticks.append(label)


def test_crashing_a_node_cancels_its_tasks_and_not_another_nodes(sim: Simulation) -> None:
    ticks: list[str] = []
    a, b = sim.node("a"), sim.node("b")

    async def main() -> None:
        doomed = [a.spawn(_forever(ticks, "a"), name=f"w{index}") for index in range(3)]
        survivor = b.spawn(_forever(ticks, "b"), name="w")
        await asyncio.sleep(2.5)
        a.crash()
        assert a.tasks == [] and not a.alive
        await asyncio.sleep(2)
        assert all(task.cancelled() for task in doomed)
        assert not survivor.done() and b.tasks == [survivor]

    sim.run(main())
    assert ticks.count("a") == 6  # 3 tasks x ticks at t=1, t=2
    assert ticks.count("b") == 4


def test_spawned_tasks_are_named_after_their_node_and_listed_in_spawn_order(sim: Simulation) -> None:
    node = sim.node("omen")

    async def main() -> list[str]:
        first = node.spawn(asyncio.sleep(1), name="writer")
        second = node.spawn(asyncio.sleep(1), name="emitter")
        names = [task.get_name() for task in node.tasks]
        await asyncio.gather(first, second)
        assert node.tasks == []
        return names

    assert sim.run(main()) == ["omen/writer", "omen/emitter"]


def test_a_crashed_node_refuses_new_tasks_until_restarted(sim: Simulation) -> None:
    node = sim.node("n")
    node.crash()
    with pytest.raises(NodeDownError, match="restart"):
        node.spawn(asyncio.sleep(0), name="late")
    node.restart()
    assert node.alive and node.incarnation == 1

    async def main() -> str:
        return await node.spawn(_value("fresh"), name="again")

    assert sim.run(main()) == "fresh"


async def _value(value: str) -> str:
    return value


def test_restart_increments_the_incarnation_each_time_and_refuses_a_running_node(sim: Simulation) -> None:
    node = sim.node("n")
    assert node.incarnation == 0
    with pytest.raises(RuntimeError, match="crash"):
        node.restart()
    for expected in (1, 2, 3):
        node.crash()
        node.restart()
        assert node.incarnation == expected


def test_a_second_crash_of_a_down_node_is_a_no_op(sim: Simulation) -> None:
    node = sim.node("n")
    node.crash("first")
    node.crash("second")
    assert node.crash_count == 1
    assert node.last_crash_reason == "first"


def test_the_node_leaves_the_trace_to_the_composition_root(sim: Simulation) -> None:
    node = sim.node("n")
    node.crash()
    node.restart()
    assert len(sim.trace) == 0


def test_a_task_dying_of_a_simulated_crash_crashes_its_whole_node(sim: Simulation) -> None:
    node, other = sim.node("n"), sim.node("other")
    hooked: list[str] = []
    node.on_crash(lambda crashed: hooked.append(crashed.name))

    async def writer() -> None:
        await asyncio.sleep(1)
        raise SimulatedCrash("n", "crash at fsync")

    async def main() -> None:
        sibling = node.spawn(asyncio.sleep(100), name="sibling")
        bystander = other.spawn(asyncio.sleep(100), name="bystander")
        node.spawn(writer(), name="writer")
        await asyncio.sleep(2)
        assert sibling.cancelled()
        assert not bystander.done()

    sim.run(main())
    assert not node.alive and other.alive
    assert hooked == ["n"]
    assert node.last_crash_reason == "crash at fsync"


def test_the_node_clock_follows_virtual_time(sim: Simulation) -> None:
    node = sim.node("n")

    async def main() -> None:
        await asyncio.sleep(60)

    sim.run(main())
    assert (node.clock.now() - sim.epoch).total_seconds() == 60.0


def test_an_ordinary_task_error_is_left_for_asyncio_to_report(sim: Simulation) -> None:
    node = sim.node("n")

    async def failing() -> None:
        raise KeyError("real bug")

    async def main() -> asyncio.Task:
        task = node.spawn(failing(), name="buggy")
        await asyncio.sleep(1)
        return task

    task = sim.run(main())
    assert node.alive
    assert task._log_traceback is True  # not silently marked as handled
    assert [(name, type(error)) for name, error in node.task_errors] == [("n/buggy", KeyError)], \
        "and kept on the node, for the composition root to report"
    assert isinstance(task.exception(), KeyError)


def test_only_a_task_that_died_of_an_error_is_kept_as_a_task_error(sim: Simulation) -> None:
    node = sim.node("n")

    async def main() -> None:
        node.spawn(asyncio.sleep(1), name="done")
        doomed = node.spawn(asyncio.sleep(100), name="cancelled")
        await asyncio.sleep(2)
        doomed.cancel()
        await asyncio.sleep(1)

    sim.run(main())
    assert node.task_errors == []
