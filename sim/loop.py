"""An asyncio event loop on virtual time, with a seeded order among simultaneous callbacks.

WHY: the system under test is plain asyncio code. Running it on this loop makes time a
simulated quantity: `loop.time()` is simulated seconds, nothing ever sleeps for real, and
when no callback is ready the clock jumps straight to the next timer, so a simulated day
of sleeps costs milliseconds. Callbacks ready at the same instant run in an order drawn
from a seeded `random.Random`, so different seeds explore different interleavings of the
same concurrent code and the same seed always replays the same one.

Nothing ready, no timer, and work still pending is a deadlock: the loop raises
`DeadlockError` naming the waiting tasks instead of hanging.

This leans on private internals of asyncio.BaseEventLoop (`_run_once`, `_ready`,
`_scheduled`, `_stopping`, `_timer_cancelled_count`, TimerHandle `_when`/`_scheduled`,
Handle `_cancelled`/`_run`; sim/node.py reads Task `_exception`); tests/sim/test_asyncio_internals_pinned.py pins them so a
Python upgrade breaks loudly, not silently.
"""
from __future__ import annotations

import asyncio
import contextvars
from functools import partial
from asyncio import format_helpers
import heapq
import math
import random
from typing import Any

__all__ = ["SimLoop", "DeadlockError", "SimulationTimeLimit", "ThreadsForbiddenError"]

# Rebuild the timer heap when more than this many entries, and more than this fraction of
# them, are cancelled timers (the same policy as asyncio: wait_for leaves cancelled timers).
CANCELLED_TIMERS_COUNT_MIN = 100
CANCELLED_TIMERS_FRACTION_MAX = 0.5
# Fewer cancelled timers than this cannot meet the policy (more than the fraction of more than the
# minimum): the count is tested first, one attribute instead of the heap's length and a division.
# An int (an integer count exceeds a number exactly when it exceeds its floor): every turn compares
# it, and an int with a float is not a comparison CPython specializes (about 100 instructions more).
_CANCELLED_TIMERS_REBUILD_AT_LEAST = math.floor(CANCELLED_TIMERS_COUNT_MIN * CANCELLED_TIMERS_FRACTION_MAX)
DEADLOCK_REPORT_TASKS_MAX = 50
# The task classes whose step or wakeup a timer may run in its own slot (the C and Python ones).
_TASK_TYPES = frozenset({asyncio.Task, asyncio.tasks._PyTask})


_set_result_unless_cancelled = asyncio.futures._set_result_unless_cancelled  # asyncio.sleep's callback
_new_object = object.__new__
_copy_context = contextvars.copy_context
_Handle = asyncio.Handle
_TimerHandle = asyncio.TimerHandle
_Future = asyncio.Future
_Task = asyncio.Task
_heappush = heapq.heappush


def _handle(callback: Any, args: tuple, loop: asyncio.AbstractEventLoop, context: Any) -> asyncio.Handle:
    """`asyncio.Handle(callback, args, loop, context)` out of debug mode, in one frame instead of three.

    WHY: every task step and wakeup makes one (about 7 per simulated signal), and asyncio's
    __init__ asks `loop.get_debug()` each time. Out of debug mode it sets exactly these slots to
    exactly these values (tests/sim/test_asyncio_internals_pinned.py compares the two slot by slot).
    """
    handle = _new_object(_Handle)
    handle._context = _copy_context() if context is None else context
    handle._loop = loop
    handle._callback = callback
    handle._args = args
    handle._cancelled = False
    handle._repr = None
    handle._source_traceback = None
    return handle


def _timer_handle(when: float, callback: Any, args: tuple, loop: asyncio.AbstractEventLoop,
                  context: Any) -> asyncio.TimerHandle:
    """`asyncio.TimerHandle(when, callback, args, loop, context)` out of debug mode (see `_handle`)."""
    timer = _new_object(_TimerHandle)
    timer._context = _copy_context() if context is None else context
    timer._loop = loop
    timer._callback = callback
    timer._args = args
    timer._cancelled = False
    timer._repr = None
    timer._source_traceback = None
    timer._when = when
    timer._scheduled = False
    return timer


class _TimerEntry(float):
    """A timer's place in the heap: its `when`, as the float itself, and the handle it stands for.

    WHY: asyncio's heap holds the TimerHandles, and heapq orders them through TimerHandle.__lt__, a
    Python method (about 36 comparisons per simulated signal). A float compares in C. The heap sees
    the same `when` values through the same `<`, so it takes the same shape and pops the same
    timers in the same order as a heap of handles would; only the compare is cheaper.
    """

    __slots__ = ("handle",)


class DeadlockError(RuntimeError):
    """Nothing is ready, no timer is pending, and tasks are still waiting: they never will wake."""

    def __init__(self, time_s: float, waiting: list[str], where: list[str]) -> None:
        self.time_s = time_s
        self.waiting = waiting
        self.where = where
        shown = where[:DEADLOCK_REPORT_TASKS_MAX]
        more = len(where) - len(shown)
        lines = "\n".join(f"  - {entry}" for entry in shown)
        if more > 0:
            lines += f"\n  ... and {more} more"
        super().__init__(
            f"deadlock at t={time_s:.6f}s: nothing is ready and no timer is pending, yet "
            f"{len(waiting)} task(s) still wait:\n{lines or '  (no task: the awaited future has no owner)'}\n"
            f"Each awaits something no one will complete: look for a lost wakeup, a lock never "
            f"released, or a message dropped where the waiter has no timeout."
        )


class SimulationTimeLimit(RuntimeError):
    """The next timer lies beyond the run's virtual time limit; the run did not finish in time."""

    def __init__(self, time_s: float, limit_s: float, next_timer_s: float) -> None:
        self.time_s = time_s
        self.limit_s = limit_s
        self.next_timer_s = next_timer_s
        super().__init__(
            f"virtual time limit {limit_s:.6f}s reached at t={time_s:.6f}s (next timer at "
            f"{next_timer_s:.6f}s) and the run has not finished: raise the limit if the work is "
            f"legitimately long, otherwise look for a livelock (retries or heartbeats that never end)."
        )


class ThreadsForbiddenError(RuntimeError):
    """Threads would make the run nondeterministic; simulated code must not use them."""


# "No time limit": an infinity no caller holds (not `math.inf` itself), so that a limit set to
# `math.inf` still reads back as that limit and no limit as None (see `SimLoop.time_limit_s`).
_NO_TIME_LIMIT = float("inf")
assert _NO_TIME_LIMIT is not math.inf

class SimLoop(asyncio.BaseEventLoop):
    """A never-blocking asyncio loop whose clock is virtual and whose ready order is seeded."""

    def __init__(self, scheduler_rng: random.Random | None = None, start_time_s: float = 0.0) -> None:
        super().__init__()  # first: a refused loop must still be a closable loop object
        if scheduler_rng is not None and not isinstance(scheduler_rng, random.Random):
            self.close()
            raise TypeError(f"scheduler_rng must be a random.Random or None, got {type(scheduler_rng).__name__}")
        if not math.isfinite(start_time_s):
            self.close()
            raise ValueError(f"start_time_s must be finite, got {start_time_s!r}")
        self._now_s = float(start_time_s)
        self._scheduler_rng = scheduler_rng
        self._task_serial = 0
        self._clock_resolution = 0.0
        self.time_limit_s = None  # the property below
        self.iterations = 0
        self.fused_wakeups = 0
        # Two asyncio methods as C callables on the instance (an instance attribute shadows a method):
        # every Future and Task __init__ asks `loop.get_debug()`, and every sleep and request makes a
        # future through `create_future`. The same answers (a pin test holds them to asyncio's own
        # source), without a Python frame each: about five per simulated signal.
        self.get_debug = partial(getattr, self, "_debug")
        self.create_future = partial(_Future, loop=self)
        self._refresh_plain()

    # -- the fast paths' one flag ----------------------------------------------------------------

    def _refresh_plain(self) -> None:
        """`_plain`: open, out of debug mode and without a task factory: the fast paths of call_soon,
        call_later, call_at, create_task and Node.spawn (with a factory set, the first three take
        asyncio's own path, which does the same then).

        WHY: every callback, timer and task asked two or three attributes (about 14 times a simulated
        signal); one flag is one. asyncio changes `_closed`, `_debug` and `_task_factory` only in
        __init__, close, set_debug and set_task_factory (a pin test holds its source to that), and each
        of those refreshes the flag here. One flag, not two: a loop object with 30 or more attributes
        loses CPython's shared-key instance dict, and every attribute read of it costs more (about 17
        instructions each, on the hottest object of a run; it has 28, 29 on CPython 3.12 and 3.13,
        whose asyncio sets one more).
        """
        # set_debug runs inside BaseEventLoop.__init__ before `_task_factory` exists: None then
        self._plain = not (self._closed or self._debug or getattr(self, "_task_factory", None) is not None)

    def set_debug(self, enabled: bool) -> None:
        super().set_debug(enabled)
        self._refresh_plain()

    def set_task_factory(self, factory: Any) -> None:
        super().set_task_factory(factory)
        self._refresh_plain()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._refresh_plain()

    # -- time -------------------------------------------------------------------------------

    @property
    def time_limit_s(self) -> float | None:
        """The virtual time past which the next timer is refused (SimulationTimeLimit), or None."""
        limit_s = self._time_limit_or_inf_s
        return None if limit_s is _NO_TIME_LIMIT else limit_s

    @time_limit_s.setter
    def time_limit_s(self, limit_s: float | None) -> None:
        # WHY a property: every jump of the clock compares the next timer with the limit, and with no
        # limit standing for +inf that is one comparison (no finite time exceeds inf, and a NaN time
        # exceeds neither inf nor any limit: the same answers as the None test and the comparison).
        # No limit is an infinity of the loop's own (`_NO_TIME_LIMIT`), told apart from a limit of
        # `math.inf` by identity: one attribute, not two (see `_refresh_plain` on the count).
        self._time_limit_or_inf_s = _NO_TIME_LIMIT if limit_s is None else limit_s

    def time(self) -> float:
        """Simulated seconds since the loop's start (plus start_time_s)."""
        return self._now_s

    # -- timers -----------------------------------------------------------------------------

    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> asyncio.TimerHandle:
        """As asyncio's: `call_at(time() + delay)`, reading the virtual clock directly.

        The fast path of `call_at` is repeated here (a sleep or a request leg makes one timer
        each): one Python call per timer instead of two.
        """
        if delay is None:
            raise TypeError("delay must not be None")
        when = self._now_s + delay
        if not self._plain:  # closed, in debug mode or with a task factory
            return self.call_at(when, callback, *args, context=context)
        # `_timer_handle(when, callback, args, self, context)`, inline (one frame less per timer;
        # a pin test holds this handle to asyncio's slot for slot)
        timer = _new_object(_TimerHandle)
        timer._context = _copy_context() if context is None else context
        timer._loop = self
        timer._callback = callback
        timer._args = args
        timer._cancelled = False
        timer._repr = None
        timer._source_traceback = None
        timer._when = when
        timer._scheduled = True  # call_at marks it so once pushed; nothing reads it in between
        entry = _TimerEntry(when)
        entry.handle = timer
        _heappush(self._scheduled, entry)
        return timer

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> asyncio.TimerHandle:
        """As asyncio's, but the heap holds a `_TimerEntry` per timer (see there) instead of the handle.

        WHY: every sleep, request leg and timeout makes one. Outside debug mode it skips asyncio's
        debug checks and traceback trims; in debug mode (or closed) it runs them as asyncio does.
        The same TimerHandle is made and its `when` pushed onto the heap the same way, so the order
        of timers (and so every run) is unchanged.
        """
        if when is None:
            raise TypeError("when cannot be None")
        if not self._plain:  # closed, in debug mode or with a task factory
            self._check_closed()  # raises: a closed loop takes no timer
            self._check_thread()
            self._check_callback(callback, "call_at")
            timer = asyncio.TimerHandle(when, callback, args, self, context)
            if timer._source_traceback:
                del timer._source_traceback[-1]
        else:
            timer = _timer_handle(when, callback, args, self, context)
        entry = _TimerEntry(when)
        entry.handle = timer
        heapq.heappush(self._scheduled, entry)
        timer._scheduled = True
        return timer

    def cancel_timer(self, timer: asyncio.TimerHandle) -> None:
        """`timer.cancel()` for a timer of this loop, out of debug mode in one frame instead of four.

        WHY: every request cancels its timeout when the answer comes (TimerHandle.cancel, the loop's
        `_timer_handle_cancelled`, Handle.cancel and `get_debug` are four Python calls). The same
        fields change the same way (a pin test compares the two).
        """
        if self._debug or timer._loop is not self:
            timer.cancel()
            return
        if not timer._cancelled:
            if timer._scheduled:
                self._timer_cancelled_count += 1
            timer._cancelled = True
            timer._callback = None
            timer._args = None

    async def sleep(self, delay_s: float) -> None:
        """`asyncio.sleep(delay_s)` on this loop, with the timer cancelled in one frame (`cancel_timer`).

        The same steps as asyncio's: a future, one timer that sets its result, the await, and the
        timer cancelled on the way out (a no-op once it ran); a delay of 0 or less is asyncio's own
        bare yield. For the sleeps of every simulated signal (a SQL latency, the feed's pacing).
        """
        if delay_s <= 0:
            await asyncio.sleep(0)
            return
        future = self.create_future()
        if self._plain:
            # `call_later(delay_s, _set_result_unless_cancelled, future, None)`'s fast path, inline
            # (one frame less per sleep; the same handle, pushed the same way)
            timer = _new_object(_TimerHandle)
            timer._context = _copy_context()
            timer._loop = self
            timer._callback = _set_result_unless_cancelled
            timer._args = (future, None)
            timer._cancelled = False
            timer._repr = None
            timer._source_traceback = None
            timer._when = when = self._now_s + delay_s
            timer._scheduled = True
            entry = _TimerEntry(when)
            entry.handle = timer
            _heappush(self._scheduled, entry)
        else:
            timer = self.call_later(delay_s, _set_result_unless_cancelled, future, None)
        try:
            await future
        finally:
            if self._debug:
                timer.cancel()
            elif not timer._cancelled:  # `cancel_timer(timer)`, inline: one frame less per sleep
                if timer._scheduled:
                    self._timer_cancelled_count += 1
                timer._cancelled = True
                timer._callback = None
                timer._args = None

    def scheduled_timers(self) -> list[asyncio.TimerHandle]:
        """The timers in the heap (cancelled ones too, until the loop drops them), in heap order."""
        return [entry.handle for entry in self._scheduled]

    # -- tasks ------------------------------------------------------------------------------

    def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> asyncio.Task:
        """As asyncio's, but unnamed tasks get a name from this loop's own counter.

        asyncio numbers tasks with a process-wide counter, so "Task-17" would depend on
        what ran earlier in the process; a deadlock report or trace must not.
        """
        self._task_serial += 1
        if name is None:
            qualname = getattr(coro, "__qualname__", None) or type(coro).__name__
            name = f"{qualname}#{self._task_serial}"
        if not self._plain:  # closed, in debug mode or with a task factory
            return super().create_task(coro, name=name, context=context)
        # asyncio's create_task does exactly this when open, without a factory and out of debug mode
        return _Task(coro, loop=self, name=name, context=context)

    def call_soon(self, callback: Any, /, *args: Any, context: Any = None) -> asyncio.Handle:
        """As asyncio's, without its debug-mode checks outside debug mode (it defers to them there).

        WHY: every task step, wakeup and done callback comes through here (about 7 per simulated
        signal); asyncio's goes through a closed check, a debug check and a second method. The same
        Handle is appended to the same ready queue, so the order of callbacks is unchanged.
        `callback` is positional-only (nobody names it; asyncio's C tasks and futures pass it first):
        they pass `context=` with a keyword string that is not the interned one in this code, so
        CPython compares it, as a string, with every parameter it may name; two fewer to compare is
        about 170 instructions less per step, wakeup and done callback.
        """
        if not self._plain:  # closed, in debug mode or with a task factory
            return super().call_soon(callback, *args, context=context)  # raises if closed
        # `_handle(callback, args, self, context)`, inline: one frame less per step and wakeup (a
        # pin test holds this handle to asyncio's slot for slot)
        handle = _new_object(_Handle)
        handle._context = _copy_context() if context is None else context
        handle._loop = self
        handle._callback = callback
        handle._args = args
        handle._cancelled = False
        handle._repr = None
        handle._source_traceback = None
        self._ready.append(handle)
        return handle

    # -- what a simulation refuses ----------------------------------------------------------

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> asyncio.Future:
        raise ThreadsForbiddenError(
            f"run_in_executor({func!r}) would run work on a thread, which a deterministic "
            f"simulation cannot schedule: call it inline (after a simulated latency via asyncio.sleep)."
        )

    def _write_to_self(self) -> None:
        # call_soon_threadsafe wakes a blocked selector in a real loop; ours never blocks.
        pass

    def _process_events(self, event_list: Any) -> None:  # pragma: no cover - no selector
        assert not event_list, "the simulated loop has no I/O events"

    # -- the heart --------------------------------------------------------------------------

    def _run_once(self) -> None:
        """Turns until the loop is asked to stop: each collects the due timers (jumping the clock if
        idle), shuffles them with the ready callbacks, and runs the batch.

        WHY turns in one call: asyncio's `run_forever` only calls `_run_once()` and then breaks when
        `_stopping` is set (a pin test holds its loop to exactly that), so checking `_stopping` here
        after each turn runs the same turns in the same order, without a method call and the set-up
        of these locals per turn (about 6.4 turns per simulated signal). `iterations` counts turns.
        """
        ready = self._ready
        heappop = heapq.heappop
        popleft = ready.popleft
        append = ready.append
        timer_type = _TimerHandle
        task_types = _TASK_TYPES
        # Only the rebuild below replaces the heap (asyncio's own code clears it only in close(), which
        # a running loop refuses), so it is read once here and again after each rebuild.
        scheduled = self._scheduled
        # Turns and fused wakeups are counted in locals and added when the call ends, however it ends
        # (nothing reads either count while the loop runs: they are a run's statistics).
        turns = fused = 0
        try:
            while True:
                turns += 1
                if (
                    self._timer_cancelled_count > _CANCELLED_TIMERS_REBUILD_AT_LEAST  # implied by the two below
                    and len(scheduled) > CANCELLED_TIMERS_COUNT_MIN
                    and self._timer_cancelled_count / len(scheduled) > CANCELLED_TIMERS_FRACTION_MAX
                ):
                    live = []
                    for entry in scheduled:
                        if entry.handle._cancelled:
                            entry.handle._scheduled = False
                        else:
                            live.append(entry)
                    heapq.heapify(live)
                    self._scheduled = scheduled = live
                    self._timer_cancelled_count = 0
                else:
                    while scheduled and scheduled[0].handle._cancelled:
                        self._timer_cancelled_count -= 1
                        heappop(scheduled).handle._scheduled = False

                now_s = self._now_s
                if not ready and not self._stopping:
                    if not scheduled:
                        raise self._deadlock()
                    when_s = scheduled[0].handle._when
                    if when_s > now_s:
                        if when_s > self._time_limit_or_inf_s:
                            raise SimulationTimeLimit(now_s, self.time_limit_s, when_s)
                        self._now_s = now_s = when_s  # the jump: no real waiting, ever
                    # The head is due now (the jump made it so, if it was not): the batch's first timer.
                    handle = heappop(scheduled).handle
                    handle._scheduled = False
                    # (a TimerHandle: only call_at and call_later push onto the heap, and both push one)
                    if scheduled and scheduled[0] <= now_s:
                        append(handle)  # a batch of more than one: the general path below
                    else:
                        # A batch of one timer (nearly every turn: nothing was ready and one timer is
                        # due). It runs as the batch's for-loop below would run it (the same
                        # callback, the same error handling, the same fused wakeup); only its trip
                        # through the ready queue is skipped. The drop loop above left a live head,
                        # so it is not cancelled. (Stopping with nothing ready takes the general
                        # path: its due timers still run, then the loop stops.)
                        try:
                            args = handle._args
                            if handle._callback is _set_result_unless_cancelled and len(args) == 2:
                                # A sleep ending (most of these turns): asyncio's helper, its two lines
                                # inline. It reads no context variable and `set_result` schedules each
                                # callback in the context it was added with, so the handle's context
                                # need not be entered; an error is the one the helper would raise.
                                if not args[0].cancelled():
                                    args[0].set_result(args[1])
                            else:
                                handle._context.run(handle._callback, *args)
                        except (SystemExit, KeyboardInterrupt):
                            raise
                        except BaseException as error:  # noqa: BLE001 - what Handle._run does with it
                            _callback_failed(handle, error)
                        if len(ready) == 1:  # the timer woke exactly one task: see the fused wakeup below
                            follow = ready[-1]
                            if type(getattr(follow._callback, "__self__", None)) in task_types and not follow._cancelled:
                                ready.pop()
                                fused += 1
                                try:
                                    follow._context.run(follow._callback, *follow._args)
                                except (SystemExit, KeyboardInterrupt):
                                    raise
                                except BaseException as error:  # noqa: BLE001 - what Handle._run does with it
                                    _callback_failed(follow, error)
                        handle = follow = error = args = None  # break the reference cycle an exception would keep
                        if self._stopping:
                            return  # run_forever breaks here, as after each of its own calls
                        continue
                while scheduled and scheduled[0] <= now_s:
                    handle = heappop(scheduled).handle
                    handle._scheduled = False
                    append(handle)

                ntodo = len(ready)
                if ntodo > 1 and self._scheduler_rng is not None:
                    batch = list(ready)
                    shuffle_like_random(self._scheduler_rng, batch)
                    ready.clear()
                    ready.extend(batch)
                # Each callback runs as Handle._run runs it (`_context.run(_callback, *_args)`, an error to
                # the exception handler), inline: one Python frame less per callback, about 10 per signal.
                for _ in range(ntodo):
                    handle = popleft()
                    if handle._cancelled:
                        continue
                    if type(handle) is not timer_type:
                        try:
                            handle._context.run(handle._callback, *handle._args)
                        except (SystemExit, KeyboardInterrupt):
                            raise
                        except BaseException as error:  # noqa: BLE001 - what Handle._run does with it
                            _callback_failed(handle, error)
                        continue
                    waiting = len(ready)
                    try:
                        args = handle._args
                        if handle._callback is _set_result_unless_cancelled and len(args) == 2:
                            if not args[0].cancelled():  # a sleep ending, inline as in a batch of one
                                args[0].set_result(args[1])
                        else:
                            handle._context.run(handle._callback, *args)
                    except (SystemExit, KeyboardInterrupt):
                        raise
                    except BaseException as error:  # noqa: BLE001 - what Handle._run does with it
                        _callback_failed(handle, error)
                    if len(ready) == waiting + 1:
                        # The timer woke exactly one task (a sleep ending, a response arriving, a request
                        # delivered): that task's step runs now, in the timer's slot of the shuffled
                        # batch, instead of in a turn of its own. Same instant, one hop less; the wakeup
                        # is not chained further, so no task can starve the others.
                        follow = ready[-1]
                        if type(getattr(follow._callback, "__self__", None)) in task_types and not follow._cancelled:
                            ready.pop()
                            fused += 1
                            try:
                                follow._context.run(follow._callback, *follow._args)
                            except (SystemExit, KeyboardInterrupt):
                                raise
                            except BaseException as error:  # noqa: BLE001 - what Handle._run does with it
                                _callback_failed(follow, error)
                handle = follow = error = args = None  # break the reference cycle an exception would keep
                if self._stopping:
                    return  # run_forever breaks here, as after each of its own calls
        finally:
            self.iterations += turns
            self.fused_wakeups += fused

    def _deadlock(self) -> DeadlockError:
        pending = [task for task in asyncio.all_tasks(self) if not task.done()]
        described = sorted((task.get_name(), _suspension_point(task)) for task in pending)
        where = [f"{name} {point}" for name, point in described]
        return DeadlockError(self._now_s, [name for name, _ in described], where)


def _callback_failed(handle: asyncio.Handle, error: BaseException) -> None:
    """What Handle._run does when its callback raises: the loop's exception handler gets the same context."""
    source = format_helpers._format_callback_source(handle._callback, handle._args)
    context: dict[str, Any] = {"message": f"Exception in callback {source}", "exception": error, "handle": handle}
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    handle._loop.call_exception_handler(context)


def shuffle_like_random(rng: random.Random, items: list[Any]) -> None:
    """`rng.shuffle(items)`, with the same draws and the same result, at a fraction of the calls.

    WHY: every turn with more than one ready callback shuffles its batch, and `Random.shuffle` makes
    a Python call to `_randbelow` per item. This is the same Fisher-Yates walk over the same
    `getrandbits(k)` draws, rejection included (`k = (i + 1).bit_length()`, as `_randbelow` does), so a
    seed shuffles exactly as before (tests/sim/test_asyncio_internals_pinned.py holds the two equal).
    A subclass of Random may draw otherwise: it gets its own shuffle.
    """
    if type(rng) is not random.Random:
        rng.shuffle(items)
        return
    getrandbits = rng.getrandbits
    for i in range(len(items) - 1, 0, -1):
        bits = (i + 1).bit_length()
        j = getrandbits(bits)
        while j > i:
            j = getrandbits(bits)
        items[i], items[j] = items[j], items[i]


def _suspension_point(task: asyncio.Task) -> str:
    """Where a task is suspended, as 'at file:line in function', innermost frame."""
    frames = task.get_stack()
    if not frames:
        return "(not started)"
    frame = frames[-1]
    code = frame.f_code
    return f"at {code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} in {code.co_name}"
