"""Scheduling a plain callback on a SimPy clock: cheaper than a process per video, same event order."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy
from simpy.core import NORMAL


class _Call(simpy.Event):
    """An event born triggered, carrying the call to make when SimPy processes it.

    Cheaper than ``env.timeout(delay).callbacks.append(...)``: no Timeout bookkeeping, one callback set at
    construction. It is scheduled with ``Environment.schedule``, as SimPy schedules its own ``run(until)``
    event, so the clock, the priority and the insertion order (ties) are those a Timeout would get.
    """

    def __init__(self, env: simpy.Environment, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.env = env
        self.callbacks = [_dispatch]
        self._ok = True
        self._value = (fn, args)


def call_at(env: simpy.Environment, when: float, fn: Callable[..., None], *args: Any) -> None:
    """Call ``fn(*args)`` at simulated time ``when`` (at once if ``when`` is already past)."""
    delay = when - env.now
    env.schedule(_Call(env, fn, args), NORMAL, delay if delay > 0.0 else 0.0)


def _dispatch(event: simpy.Event) -> None:
    fn, args = event._value  # the (fn, args) tuple of _Call
    fn(*args)


def each_second(env: simpy.Environment, times: list[float], handle: Callable[[list[int]], None]) -> Any:
    """A process: once per simulated second, hand the indices whose time falls in that second to ``handle``.

    Batching the entries saves one event per video; each entry keeps its exact time for the handler to use.
    Within a second the indices come in time order (ties in index order).
    """
    if not times:
        return
    values = np.asarray(times, dtype=float)
    order = np.argsort(values, kind="stable")
    floors = np.floor(values[order])
    bounds = [0, *(np.flatnonzero(floors[1:] != floors[:-1]) + 1).tolist(), len(order)]
    indices, seconds = order.tolist(), floors.tolist()
    for i, j in itertools.pairwise(bounds):
        second = int(seconds[i])
        if second > env.now:
            yield env.timeout(second - env.now)
        handle(indices[i:j])
