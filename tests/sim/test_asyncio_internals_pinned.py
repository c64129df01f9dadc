"""The private asyncio internals sim/loop.py relies on. If one of these fails after a Python
upgrade, SimLoop._run_once must be re-checked against the new base_events.py before use."""
from __future__ import annotations

import asyncio
import asyncio.base_events
import collections
import heapq
import inspect
import random
import sys

from sim.loop import SimLoop, shuffle_like_random


def test_the_python_line_is_the_one_the_loop_was_written_against() -> None:
    assert sys.version_info[:2] in {(3, 11), (3, 12), (3, 13)}, "re-check SimLoop._run_once against this asyncio"


def test_base_event_loop_has_run_once_and_run_forever_drives_it() -> None:
    assert callable(getattr(asyncio.BaseEventLoop, "_run_once", None))
    assert "self._run_once()" in inspect.getsource(asyncio.BaseEventLoop.run_forever)


def test_run_forever_only_calls_run_once_until_stopping() -> None:
    """SimLoop._run_once runs turns until `_stopping` is set: that is the same as one turn per call
    only while run_forever's loop does nothing else between its calls than check `_stopping`."""
    lines = [line.strip() for line in inspect.getsource(asyncio.BaseEventLoop.run_forever).splitlines()]
    at = lines.index("while True:")
    assert lines[at + 1:at + 4] == ["self._run_once()", "if self._stopping:", "break"]
    assert lines[at + 4] == "finally:"
    after = lines[at + 5:]
    if "self._run_forever_cleanup()" in after:  # CPython 3.12 moved the reset into a method of its own
        after = [line.strip() for line in inspect.getsource(asyncio.BaseEventLoop._run_forever_cleanup).splitlines()]
    assert "self._stopping = False" in after


def test_the_loops_turns_stop_where_run_forever_would() -> None:
    """A stop() asked inside a turn ends run_forever after that turn; the callbacks still ready run
    at the next run, in the order they were queued."""
    loop = SimLoop()
    order: list[str] = []
    try:
        loop.call_soon(order.append, "a")
        loop.call_soon(loop.stop)
        loop.call_soon(order.append, "b")
        loop.run_forever()
        loop.call_soon(order.append, "c")
        assert order == ["a", "b"] and loop.iterations == 1
        loop.call_soon(loop.stop)
        loop.run_forever()
        assert order == ["a", "b", "c"] and loop.iterations == 2
    finally:
        loop.close()


def test_the_loops_get_debug_and_create_future_are_asyncios() -> None:
    """SimLoop binds `get_debug` and `create_future` as C callables on the instance: asyncio's must
    still be exactly `return self._debug` and `return futures.Future(loop=self)`."""
    assert inspect.getsource(asyncio.BaseEventLoop.get_debug).strip().endswith("return self._debug")
    assert inspect.getsource(asyncio.BaseEventLoop.create_future).strip().endswith(
        "return futures.Future(loop=self)")
    assert asyncio.futures.Future is asyncio.Future
    loop = SimLoop()
    try:
        assert loop.get_debug() is False
        loop.set_debug(True)
        assert loop.get_debug() is True and loop._debug is True
        loop.set_debug(False)
        future = loop.create_future()
        assert type(future) is asyncio.Future and future.get_loop() is loop and not future.done()
    finally:
        loop.close()


def test_the_ready_queue_is_a_deque_and_the_timers_a_list_heap() -> None:
    loop = SimLoop()
    try:
        assert isinstance(loop._ready, collections.deque)
        assert isinstance(loop._scheduled, list)
        assert loop._timer_cancelled_count == 0
        assert loop._stopping is False
        later = loop.call_later(5, print)
        sooner = loop.call_later(1, print)
        assert loop._scheduled[0].handle is sooner and loop._scheduled[0] == 1.0
        assert heapq.nsmallest(1, loop._scheduled)[0].handle is sooner
        assert loop.scheduled_timers() == [sooner, later]
        assert later._when == 5 and later._scheduled is True
        later.cancel()
        assert later._cancelled is True and loop._timer_cancelled_count == 1
        handle = loop.call_soon(print)
        assert loop._ready[-1] is handle and callable(handle._run)
    finally:
        loop.close()


def test_timer_handles_order_by_when_only() -> None:
    loop = SimLoop()
    try:
        early, late = loop.call_at(1.0, print), loop.call_at(2.0, print)
        assert early < late
    finally:
        loop.close()


def test_call_later_reads_the_clock_through_loop_time() -> None:
    assert "self.time()" in inspect.getsource(asyncio.BaseEventLoop.call_later)


def test_timer_cancellation_reports_through_timer_handle_cancelled() -> None:
    assert "_timer_handle_cancelled" in inspect.getsource(asyncio.TimerHandle.cancel)
    assert "_timer_cancelled_count" in inspect.getsource(asyncio.BaseEventLoop._timer_handle_cancelled)


def test_base_event_loop_init_still_sets_the_attributes_the_loop_reads() -> None:
    source = inspect.getsource(asyncio.BaseEventLoop.__init__)
    for attribute in ("self._ready", "self._scheduled", "self._stopping", "self._timer_cancelled_count"):
        assert attribute in source


def test_a_task_exposes_its_exception_without_marking_it_retrieved() -> None:
    loop = SimLoop()
    try:
        async def failing() -> None:
            raise KeyError("x")

        task = loop.create_task(failing())
        loop.run_until_complete(asyncio.sleep(0))
        assert isinstance(task._exception, KeyError)
        assert task._log_traceback is True  # still unretrieved: asyncio would report it
        task.exception()
        assert task._log_traceback is False
    finally:
        loop.close()


def test_a_timer_is_a_timer_handle_and_a_woken_task_is_a_handle_bound_to_the_task() -> None:
    """SimLoop runs the one task a timer wakes in the timer's slot: it recognizes the timer by its
    type and the wakeup by the Task its callback is bound to (`_callback.__self__`)."""
    loop = SimLoop()
    try:
        timer = loop.call_later(1, print)
        assert type(timer) is asyncio.TimerHandle
        timer.cancel()
        future = loop.create_future()

        async def waiter() -> None:
            await future

        task = loop.create_task(waiter())
        step = loop._ready[-1]
        assert type(step._callback.__self__) is asyncio.Task and step._callback.__self__ is task
        loop.run_until_complete(asyncio.sleep(0))  # the task now waits on the future
        waiting = len(loop._ready)
        future.set_result(None)
        assert len(loop._ready) == waiting + 1, "set_result schedules exactly the waiter's wakeup"
        assert loop._ready[-1]._callback.__self__ is task
        loop.run_until_complete(task)
    finally:
        loop.close()


def test_call_at_is_what_the_loops_fast_path_repeats() -> None:
    """SimLoop.call_at pushes the TimerHandle itself outside debug mode: asyncio's must still do
    exactly that (build, push onto `_scheduled`, mark `_scheduled`), behind `_closed`/`_debug`."""
    source = inspect.getsource(asyncio.BaseEventLoop.call_at)
    assert "events.TimerHandle(when, callback, args, self, context)" in source
    assert "heapq.heappush(self._scheduled, timer)" in source and "timer._scheduled = True" in source
    assert "self._check_closed()" in source and "self._debug" in source
    loop = SimLoop()
    assert loop._closed is False and loop._debug is False
    timer = loop.call_later(2.0, print)
    assert type(timer) is asyncio.TimerHandle and timer._when == 2.0 and loop.scheduled_timers() == [timer]
    loop.close()
    assert loop._closed is True
    try:
        loop.call_later(1.0, print)
    except RuntimeError as error:
        assert "closed" in str(error)
    else:
        raise AssertionError("a closed loop took a timer")


def test_the_loops_shuffle_draws_and_orders_exactly_as_random_shuffle() -> None:
    """The loop shuffles each ready batch without `Random.shuffle`'s per-item calls; every seed must
    still give the same order and leave the stream in the same state, batch size by batch size."""
    import random

    for seed in range(200):
        for size in (0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100):
            ours, theirs = random.Random(seed), random.Random(seed)
            mine, reference = list(range(size)), list(range(size))
            shuffle_like_random(ours, mine)
            theirs.shuffle(reference)
            assert mine == reference, (seed, size)
            assert ours.getstate() == theirs.getstate(), (seed, size)


def test_the_timer_heap_orders_as_a_heap_of_timer_handles_would() -> None:
    """The heap holds floats standing for the handles: pushed and popped with ties and cancels, it
    yields the handles in the order a heap of TimerHandles (compared by __lt__) yields them."""
    import random

    draw = random.Random(7)
    loop = SimLoop()
    try:
        reference: list[asyncio.TimerHandle] = []
        for _ in range(2000):
            when = float(draw.randrange(50))  # many ties
            timer = loop.call_at(when, print)
            heapq.heappush(reference, timer)
            if draw.random() < 0.3:
                popped = heapq.heappop(loop._scheduled).handle
                assert popped is heapq.heappop(reference)
        assert [entry.handle for entry in loop._scheduled] == reference
    finally:
        loop.close()


def test_the_loops_handles_are_asyncios_handles_slot_for_slot() -> None:
    """SimLoop builds Handles and TimerHandles without their __init__ (out of debug mode): every slot
    asyncio's __init__ sets must get the same value, and asyncio must have no slot it does not set."""
    import contextvars

    from sim.loop import _handle, _timer_handle

    handle_slots = {"_callback", "_args", "_cancelled", "_loop", "_source_traceback", "_repr", "_context"}
    assert set(asyncio.Handle.__slots__) - {"__weakref__"} == handle_slots
    assert set(asyncio.TimerHandle.__slots__) == {"_scheduled", "_when"}
    assert asyncio.Handle.__init__.__code__.co_names.count("get_debug") == 1  # the one branch skipped
    loop = SimLoop()
    try:
        context = contextvars.copy_context()
        for given in (context, None):
            ours, theirs = _handle(print, (1, 2), loop, given), asyncio.Handle(print, (1, 2), loop, given)
            ours_timer = _timer_handle(3.5, print, (1,), loop, given)
            theirs_timer = asyncio.TimerHandle(3.5, print, (1,), loop, given)
            for name in sorted(handle_slots - {"_context"}):
                assert getattr(ours, name) == getattr(theirs, name), name
                assert getattr(ours_timer, name) == getattr(theirs_timer, name), name
            for name in ("_scheduled", "_when"):
                assert getattr(ours_timer, name) == getattr(theirs_timer, name), name
            if given is None:  # each gets a fresh copy of the current context, as asyncio's does
                assert type(ours._context) is contextvars.Context and ours._context is not theirs._context
            else:
                assert ours._context is theirs._context is given
            assert type(ours) is asyncio.Handle and type(ours_timer) is asyncio.TimerHandle
            assert ours_timer < asyncio.TimerHandle(4.0, print, (), loop) and not ours._cancelled
            ours_timer.cancel()
            assert ours_timer._cancelled and ours_timer._callback is None
    finally:
        loop.close()


def test_call_soon_and_call_later_build_the_handles_asyncio_builds() -> None:
    """call_soon and call_later build their handles inline (not through `_handle`/`_timer_handle`):
    each must still equal asyncio's own, slot for slot, and sit where asyncio would put it."""
    import contextvars

    handle_slots = ("_callback", "_args", "_cancelled", "_loop", "_source_traceback", "_repr")
    loop = SimLoop()
    try:
        context = contextvars.copy_context()
        for given in (context, None):
            ours = loop.call_soon(print, 1, 2, context=given)
            theirs = asyncio.Handle(print, (1, 2), loop, given)
            ours_timer = loop.call_later(3.5, print, 1, context=given)
            theirs_timer = asyncio.TimerHandle(3.5, print, (1,), loop, given)
            theirs_timer._scheduled = True  # call_at marks it so once pushed
            assert type(ours) is asyncio.Handle and type(ours_timer) is asyncio.TimerHandle
            for name in handle_slots:
                assert getattr(ours, name) == getattr(theirs, name), name
                assert getattr(ours_timer, name) == getattr(theirs_timer, name), name
            for name in ("_scheduled", "_when"):
                assert getattr(ours_timer, name) == getattr(theirs_timer, name), name
            if given is None:
                assert type(ours._context) is contextvars.Context and ours._context is not context
                assert type(ours_timer._context) is contextvars.Context and ours_timer._context is not context
            else:
                assert ours._context is given and ours_timer._context is given
            assert loop._ready[-1] is ours and any(entry.handle is ours_timer for entry in loop._scheduled)
    finally:
        loop.close()


def test_the_loops_timer_cancel_is_asyncios_cancel() -> None:
    """SimLoop.cancel_timer changes the same fields the same way as TimerHandle.cancel: pending,
    already cancelled, and already run (popped from the heap) timers alike."""
    def state(loop: SimLoop, timer: asyncio.TimerHandle) -> tuple:
        return (timer._cancelled, timer._callback, timer._args, timer._scheduled, loop._timer_cancelled_count)

    ours, theirs = SimLoop(), SimLoop()
    try:
        for loop in (ours, theirs):
            loop.fired = loop.call_later(0.5, print)
            loop.run_until_complete(asyncio.sleep(1))  # the first timer ran: no longer scheduled
            loop.pending = loop.call_later(5, print, "x")
        for name in ("pending", "fired"):
            for _ in range(2):  # a second cancel is a no-op either way
                ours.cancel_timer(getattr(ours, name))
                getattr(theirs, name).cancel()
                assert state(ours, getattr(ours, name)) == state(theirs, getattr(theirs, name)), name
        assert ours._timer_cancelled_count == 1
        assert "_timer_handle_cancelled" in inspect.getsource(asyncio.TimerHandle.cancel)
        assert "self._callback = None" in inspect.getsource(asyncio.Handle.cancel)
    finally:
        ours.close()
        theirs.close()


def test_the_loops_sleep_takes_asyncios_steps() -> None:
    """SimLoop.sleep is asyncio.sleep's future, timer and await: the same wakeups at the same times,
    in the same order against other sleepers, and a cancelled sleeper leaves a cancelled timer."""
    import random

    def woken(use_ours: bool) -> list:
        loop = SimLoop(random.Random(5))
        order: list = []

        async def sleeper(name: int, delay_s: float) -> None:
            await (loop.sleep(delay_s) if use_ours else asyncio.sleep(delay_s))
            order.append((name, loop.time()))

        async def main() -> None:
            tasks = [loop.create_task(sleeper(n, (n % 4) * 0.25), name=f"s{n}") for n in range(12)]
            victim = loop.create_task(sleeper(99, 5.0), name="victim")
            await asyncio.sleep(0.1)
            victim.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            order.append(("cancelled timers", loop._timer_cancelled_count))

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
        return order

    assert woken(True) == woken(False)


def test_a_failing_callback_reaches_the_exception_handler_as_handle_run_sends_it() -> None:
    """SimLoop runs each callback inline, not through Handle._run: a callback that raises must still
    reach the exception handler with Handle._run's context, and the next callbacks still run."""
    assert "self._context.run(self._callback, *self._args)" in inspect.getsource(asyncio.Handle._run)
    assert "call_exception_handler(context)" in inspect.getsource(asyncio.Handle._run)

    def failing(n: int) -> None:
        raise ValueError(n)

    seen: list[dict] = []
    ours, reference = SimLoop(), SimLoop()
    try:
        ours.set_exception_handler(lambda loop, context: seen.append(context))
        after: list[int] = []
        handle = ours.call_soon(failing, 7)
        ours.call_soon(after.append, 1)
        ours.call_later(0.5, failing, 8)
        ours.run_until_complete(asyncio.sleep(1))
        expected: list[dict] = []
        reference.set_exception_handler(lambda loop, context: expected.append(context))
        twin = asyncio.Handle(failing, (7,), reference)
        twin._run()
        assert after == [1] and len(seen) == 2
        assert seen[0]["message"] == expected[0]["message"] and seen[0]["handle"] is handle
        assert type(seen[0]["exception"]) is ValueError and seen[0]["exception"].args == (7,)
        assert set(seen[0]) == set(expected[0]) and seen[1]["exception"].args == (8,)
    finally:
        ours.close()
        reference.close()


def test_the_loops_sleep_pushes_the_timer_call_later_would() -> None:
    """SimLoop.sleep builds its timer inline (call_later's fast path): while it sleeps, its timer must
    equal the one `call_later(delay_s, _set_result_unless_cancelled, future, None)` pushes, slot for
    slot, and stand in the heap at the same `when`; in debug mode it takes call_later itself."""
    import contextvars

    slots = ("_callback", "_cancelled", "_loop", "_source_traceback", "_repr", "_scheduled", "_when")
    for debug in (False, True):
        loop = SimLoop(start_time_s=1.25)
        loop.set_debug(debug)
        try:
            async def main() -> None:
                sleeper = loop.create_task(loop.sleep(0.375))
                await asyncio.sleep(0)
                (entry,) = loop._scheduled
                ours = entry.handle
                future = ours._args[0]
                theirs = loop.call_later(0.375 + 1.25 - loop.time(), asyncio.futures._set_result_unless_cancelled,
                                         future, None)
                for name in slots:
                    if debug and name == "_source_traceback":  # where each was made: both kept
                        assert ours._source_traceback and theirs._source_traceback
                        continue
                    assert getattr(ours, name) == getattr(theirs, name), name
                assert type(ours) is asyncio.TimerHandle and ours._args == (future, None) == theirs._args
                assert type(ours._context) is contextvars.Context and ours._context is not theirs._context
                assert entry == ours._when == 1.625 and type(entry).__name__ == "_TimerEntry"
                loop.cancel_timer(theirs)
                await sleeper

            loop.run_until_complete(main())
        finally:
            loop.close()


def test_the_loops_sleep_leaves_its_timer_as_timer_cancel_would() -> None:
    """SimLoop.sleep cancels its timer inline (cancel_timer's steps): a sleep that ended and a sleep
    cancelled midway leave their timers, and the loop's count of cancelled timers, as
    TimerHandle.cancel leaves them."""
    def fields(loop: SimLoop, timer: asyncio.TimerHandle) -> tuple:
        return (timer._cancelled, timer._callback, timer._args, timer._scheduled, loop._timer_cancelled_count)

    def run(sleep_of_the_loop: bool) -> list:
        loop = SimLoop()
        seen: list = []

        async def sleep(delay_s: float) -> None:
            if sleep_of_the_loop:
                await loop.sleep(delay_s)
                return
            future = loop.create_future()
            timer = loop.call_later(delay_s, asyncio.futures._set_result_unless_cancelled, future, None)
            try:
                await future
            finally:
                timer.cancel()

        def the_sleeps_timer() -> asyncio.TimerHandle:
            # the one live timer in the heap: the sleep's (SimLoop.sleep pushes its own, not through
            # call_later, so the timer is found where both kinds of sleep put it)
            (timer,) = [timer for timer in loop.scheduled_timers() if not timer._cancelled]
            return timer

        async def main() -> None:
            sleeper = loop.create_task(sleep(0.5))
            await asyncio.sleep(0)
            timer = the_sleeps_timer()
            await sleeper
            seen.append(fields(loop, timer))
            sleeper = loop.create_task(sleep(5.0))
            await asyncio.sleep(0)
            timer = the_sleeps_timer()
            sleeper.cancel()
            await asyncio.gather(sleeper, return_exceptions=True)
            seen.append(fields(loop, timer))

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
        return seen

    ours, theirs = run(True), run(False)
    assert ours == theirs and len(ours) == 2
    assert all(state[:3] == (True, None, None) for state in ours)


def test_closed_debug_and_task_factory_change_only_where_the_plain_flags_are_refreshed() -> None:
    """SimLoop's fast paths read `_plain` instead of `_closed`, `_debug` and
    `_task_factory`: asyncio must still change those only in __init__, close, set_debug and
    set_task_factory (each refreshes the flags), and the flags must follow every change."""
    import re

    source = inspect.getsource(asyncio.base_events)
    writers = {name: [] for name in ("_closed", "_debug", "_task_factory")}
    current = None
    for line in source.splitlines():
        found = re.match(r"    def (\w+)\(", line)
        if found:
            current = found.group(1)
        for name in writers:
            if re.search(rf"\bself\.{name}\s*=[^=]", line):
                writers[name].append(current)
    assert writers == {"_closed": ["__init__", "close"], "_debug": ["set_debug"],
                       "_task_factory": ["__init__", "set_task_factory"]}
    assert "self.set_debug(" in inspect.getsource(asyncio.BaseEventLoop.__init__)

    def plain(loop: SimLoop) -> bool:
        assert loop._plain is not (loop._closed or loop._debug or loop._task_factory is not None)
        return loop._plain

    loop = SimLoop()
    assert plain(loop)
    loop.set_debug(True)
    assert not plain(loop)
    loop.set_debug(False)
    loop.set_task_factory(lambda loop, coro, **kwargs: asyncio.Task(coro, loop=loop, **kwargs))
    assert not plain(loop)
    timer = loop.call_later(1.0, print)  # asyncio's own path while a factory is set: the same handle
    assert type(timer) is asyncio.TimerHandle and loop.scheduled_timers() == [timer]
    loop.set_task_factory(None)
    assert plain(loop)
    loop.close()
    assert not plain(loop)


def test_the_loop_keeps_fewer_than_30_attributes() -> None:
    """CPython (3.11 to 3.13) keeps an instance's attributes in a dict that shares its keys with the
    class's other instances only up to 30 keys; past that every attribute read of the loop, the
    hottest object of a run, costs more. Adding one means taking one away."""
    loop = SimLoop()
    try:
        assert len(vars(loop)) < 30, sorted(vars(loop))
    finally:
        loop.close()


def test_the_sleep_helper_the_loop_runs_inline_is_still_two_lines() -> None:
    """A batch of one timer whose callback is asyncio's `_set_result_unless_cancelled(fut, result)`
    runs the helper's body inline: this is that body, and nothing else."""
    source = inspect.getsource(asyncio.futures._set_result_unless_cancelled)
    body = [line.strip() for line in source.splitlines()[1:] if line.strip() and not line.strip().startswith('"""')]
    assert body == ["if fut.cancelled():", "return", "fut.set_result(result)"]


def test_a_sleep_timer_run_inline_does_what_the_helper_does_even_when_cancelled_or_done_first() -> None:
    """The inline helper, next to a timer whose callback is a Python copy of it (run by context.run):
    the same results, wakeups, turns and loop-exception reports for a sleep that ends, a sleep whose
    future was cancelled before its timer ran, and a timer whose future was already done."""
    def copy_of_the_helper(fut: asyncio.Future, result: object) -> None:
        if fut.cancelled():
            return
        fut.set_result(result)

    def run(helper, done_delay_s: float) -> list:
        loop = SimLoop(scheduler_rng=random.Random(3))
        seen: list = []
        loop.set_exception_handler(lambda _loop, context: seen.append(("handler", type(context["exception"]).__name__)))

        async def main() -> None:
            ended = loop.create_future()
            loop.call_later(1.0, helper, ended, "r")
            seen.append(await ended)
            # 1.5: each timer due alone, a batch of one; 1.0: both due at once, the shuffled batch
            cancelled = loop.create_future()
            loop.call_later(1.0, helper, cancelled, "r")
            cancelled.cancel()
            done = loop.create_future()
            loop.call_later(done_delay_s, helper, done, "late")
            done.set_result("first")
            await asyncio.sleep(2.0)
            seen.append((cancelled.cancelled(), done.result(), loop.time()))

        try:
            loop.run_until_complete(main())
            seen.append(loop.iterations)
        finally:
            loop.close()
        return seen

    for done_delay_s in (1.5, 1.0):
        inline = run(asyncio.futures._set_result_unless_cancelled, done_delay_s)
        called = run(copy_of_the_helper, done_delay_s)
        assert inline == called
        assert inline[0] == "r" and ("handler", "InvalidStateError") in inline
