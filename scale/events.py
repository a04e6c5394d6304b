"""Scheduling a plain callback on a SimPy clock: cheaper than a process per video, same event order."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy


def call_at(env: simpy.Environment, when: float, fn: Callable[..., None], *args: Any) -> None:
    """Call ``fn(*args)`` at simulated time ``when`` (at once if ``when`` is already past)."""
    env.timeout(max(0.0, when - env.now), (fn, args)).callbacks.append(_dispatch)


def _dispatch(event: simpy.Event) -> None:
    fn, args = event.value  # type: ignore[misc]  # the (fn, args) tuple call_at stored as the value
    fn(*args)


def each_second(env: simpy.Environment, times: list[float], handle: Callable[[list[int]], None]) -> Any:
    """A process: once per simulated second, hand the indices whose time falls in that second to ``handle``.

    Batching the entries saves one event per video; each entry keeps its exact time for the handler to use.
    """
    order = sorted(range(len(times)), key=times.__getitem__)
    i = 0
    while i < len(order):
        second = math.floor(times[order[i]])
        if second > env.now:
            yield env.timeout(second - env.now)
        j = i
        while j < len(order) and times[order[j]] < second + 1:
            j += 1
        handle(order[i:j])
        i = j
