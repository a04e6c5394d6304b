"""Worst-case execution history of an ASL definition, computed from the definition itself.

A Standard execution fails when its history reaches 25,000 events, and RedriveExecution refuses executions
with 24,999 events or more (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html,
https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html). How many events one execution
can write depends on the states it passes, their retry budgets and the number of Map iterations, so the
settings validation walks the deployed ASL file instead of trusting a constant: when the definition changes,
the rule follows.

Events counted per state (history event types of the Step Functions API reference, ``HistoryEvent``):

* every state: ``<Type>StateEntered`` and ``<Type>StateExited`` (a Fail state only ``FailStateEntered``);
* a Task, per attempt: ``TaskScheduled``, ``TaskStarted`` and its outcome (``TaskSucceeded``, ``TaskFailed``,
  ``TaskTimedOut``); a ``.sync`` or ``.waitForTaskToken`` task also ``TaskSubmitted``. A retry re-schedules
  the task inside the state, so a Task with retriers makes at most ``1 + sum(MaxAttempts)`` attempts (each
  retrier counts its own attempts; ``MaxAttempts`` defaults to 3);
* an inline Map (or a Parallel), per attempt: ``MapStateStarted`` and its outcome, plus per iteration
  ``MapIterationStarted``, the iteration's worst path and its outcome. A distributed Map writes its
  iterations into child executions: the parent sees ``MapRunStarted`` and ``MapRunSucceeded`` only;
* the execution: ``ExecutionStarted`` and its outcome.

The worst path of a ``States`` block follows every ``Next``, ``Catch[].Next``, ``Choices[].Next`` and
``Default``, visits each state at most once (a loop back, such as a redrive-only edge, ends the path) and
takes the costliest way through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HISTORY_EVENT_LIMIT = 25_000
"""An execution whose history reaches this many events fails (Step Functions quotas)."""
REDRIVE_EVENT_LIMIT = 24_999
"""RedriveExecution requires fewer than this many events in the history (redrive documentation)."""

DEFAULT_MAX_ATTEMPTS = 3  # a Retrier without MaxAttempts (Amazon States Language)
ENTER_EXIT = 2
TASK_ATTEMPT = 3  # TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed|TaskTimedOut
WAITING_TASK_ATTEMPT = 4  # ... + TaskSubmitted for .sync and .waitForTaskToken
BRANCHING_ATTEMPT = 2  # MapStateStarted|ParallelStateStarted and its outcome
ITERATION = 2  # MapIterationStarted and MapIterationSucceeded|Failed|Aborted
DISTRIBUTED_MAP_RUN = 2  # MapRunStarted and MapRunSucceeded|Failed|Aborted
EXECUTION = 2  # ExecutionStarted and ExecutionSucceeded|Failed|TimedOut|Aborted


class DefinitionError(ValueError):
    """The definition cannot be walked (a missing state, a non-numeric MaxAttempts...)."""


def attempts(state: Mapping[str, Any]) -> int:
    """Most attempts a state can make: 1 + the sum of its retriers' MaxAttempts."""
    total = 1
    for retrier in state.get("Retry", []):
        maximum = retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)
        if isinstance(maximum, bool) or not isinstance(maximum, int):
            raise DefinitionError(f"MaxAttempts must be an integer in the file, got {maximum!r}")
        total += maximum
    return total


def first_retrier_for(state: Mapping[str, Any], error: str) -> Mapping[str, Any] | None:
    """The retrier that handles ``error``: the first whose ErrorEquals names it or ``States.ALL`` (ASL
    evaluates retriers in order and uses only the first that matches)."""
    for retrier in state.get("Retry", []):
        if error in retrier.get("ErrorEquals", []) or "States.ALL" in retrier.get("ErrorEquals", []):
            return retrier
    return None


def _successors(state: Mapping[str, Any]) -> list[str]:
    names = [state["Next"]] if "Next" in state else []
    names += [catcher["Next"] for catcher in state.get("Catch", [])]
    names += [choice["Next"] for choice in state.get("Choices", []) if "Next" in choice]
    if "Default" in state:
        names.append(state["Default"])
    return names


def _state_events(state: Mapping[str, Any], iterations: int) -> int:
    kind = state.get("Type")
    if kind == "Fail":
        return 1
    if kind == "Task":
        resource = str(state.get("Resource", ""))
        waits = resource.endswith((".sync", ".sync:2", ".waitForTaskToken"))
        return ENTER_EXIT + attempts(state) * (WAITING_TASK_ATTEMPT if waits else TASK_ATTEMPT)
    if kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is None:
            raise DefinitionError("a Map state without ItemProcessor")
        if processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
            per_attempt = BRANCHING_ATTEMPT + DISTRIBUTED_MAP_RUN
        else:
            per_attempt = BRANCHING_ATTEMPT + iterations * (ITERATION + worst_path(processor, iterations))
        return ENTER_EXIT + attempts(state) * per_attempt
    if kind == "Parallel":
        branches = sum(worst_path(branch, iterations) for branch in state.get("Branches", []))
        return ENTER_EXIT + attempts(state) * (BRANCHING_ATTEMPT + branches)
    return ENTER_EXIT  # Pass, Choice, Wait, Succeed


def worst_path(block: Mapping[str, Any], iterations: int) -> int:
    """Most events one run through a ``States`` block (``StartAt`` + ``States``) can write."""
    states: Mapping[str, Any] = block["States"]

    def walk(name: str, visited: frozenset[str]) -> int:
        if name not in states:
            raise DefinitionError(f"a transition to {name!r}, which is not a state of its block")
        here = visited | {name}
        rest = [walk(n, here) for n in _successors(states[name]) if n not in here]
        return _state_events(states[name], iterations) + max(rest, default=0)

    return walk(block["StartAt"], frozenset())


def execution_events(definition: Mapping[str, Any], iterations: int) -> int:
    """Most events one execution can write when every Map state gets ``iterations`` items."""
    return EXECUTION + worst_path(definition, iterations)


def max_iterations(definition: Mapping[str, Any], limit: int, ceiling: int) -> int:
    """The most Map items (up to ``ceiling``) whose worst case stays below ``limit`` events (0: none)."""
    if execution_events(definition, 1) >= limit:
        return 0
    low, high = 1, ceiling
    while low < high:  # execution_events grows with iterations: binary search
        middle = (low + high + 1) // 2
        if execution_events(definition, middle) < limit:
            low = middle
        else:
            high = middle - 1
    return low


def find_state(block: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The state called ``name`` anywhere in the definition (Map and Parallel bodies included)."""
    for state_name, state in block.get("States", {}).items():
        if state_name == name:
            return state
        for inner in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            found = find_state(inner, name) if inner else None
            if found is not None:
                return found
    return None
