"""vidpipe as built: the deployment defaults (infra/settings.py) and the Analyze retry policies (the ASL file).

Reading them from the code, not copying them, keeps the model on the pipeline that is actually deployed: a
change of a default or of a Retry block changes the simulation on the next run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import PREFIX, defaults

REPO_ROOT = Path(__file__).resolve().parent.parent
ASL_PATH = REPO_ROOT / "statemachine" / "pipeline.asl.json"
SPOT_STATE = "AnalyzeOnSpot"
ON_DEMAND_STATE = "AnalyzeOnDemand"
THROTTLED = "ECS.AmazonECSException"  # "Rate exceeded", "Capacity is unavailable" (notes: ecs:runTask.sync)
RUN_TASK_FAILURES = "AmazonECS.Unknown"  # a non-empty Failures list, e.g. the vCPU limit
TASK_FAILED = "States.TaskFailed"  # the container exited non-zero (a Spot interruption gives 143)


@dataclass(frozen=True)
class Retrier:
    """One element of a state's ``Retry`` list, with the ASL defaults for missing fields."""

    errors: frozenset[str]
    interval: float = 1.0
    backoff: float = 2.0
    max_attempts: int = 3
    max_delay: float | None = None
    full_jitter: bool = False

    def matches(self, error: str) -> bool:
        return error in self.errors or "States.ALL" in self.errors

    def delay(self, retry_index: int, rng: random.Random) -> float:
        """Wait before retry number ``retry_index`` (0-based), as Step Functions computes it."""
        wait = self.interval * self.backoff**retry_index
        if self.max_delay is not None:
            wait = min(wait, self.max_delay)
        return rng.uniform(0.0, wait) if self.full_jitter else wait


@dataclass(frozen=True)
class TaskState:
    """The Retry list of a Task state and whether a Catch takes an error to another state."""

    name: str
    retriers: tuple[Retrier, ...]
    catches: tuple[frozenset[str], ...]

    def retrier_for(self, error: str) -> int | None:
        """Index of the first retrier matching ``error`` (Step Functions uses the first match), or None."""
        return next((i for i, r in enumerate(self.retriers) if r.matches(error)), None)

    def caught(self, error: str) -> bool:
        return any(error in c or "States.ALL" in c for c in self.catches)


@dataclass(frozen=True)
class AsBuilt:
    """The settings and definition facts the model depends on."""

    max_concurrent_tasks: int
    worker_vcpu: float
    worker_memory_gb: float
    execution_timeout: float
    slot_wait_seconds: float
    reconcile_seconds: float
    worker_spot: bool  # AnalyzeOnSpot first (true) or on-demand only
    max_duration_seconds: float
    lambda_memory_gb: float
    public_ip: bool
    max_receive_count: int
    spot: TaskState
    on_demand: TaskState


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key]["States"])


def _task_state(definition: dict[str, Any], name: str) -> TaskState:
    found = dict(_states(definition["States"]))
    if name not in found:
        raise KeyError(f"{ASL_PATH.name} has no state {name!r}; the scale model follows the Analyze states")
    state = found[name]
    retriers = tuple(
        Retrier(
            errors=frozenset(r["ErrorEquals"]),
            interval=float(r.get("IntervalSeconds", 1)),
            backoff=float(r.get("BackoffRate", 2.0)),
            max_attempts=int(r.get("MaxAttempts", 3)),
            max_delay=float(r["MaxDelaySeconds"]) if "MaxDelaySeconds" in r else None,
            full_jitter=r.get("JitterStrategy") == "FULL",
        )
        for r in state.get("Retry", [])
    )
    catches = tuple(frozenset(c["ErrorEquals"]) for c in state.get("Catch", []))
    return TaskState(name, retriers, catches)


def load(asl_path: Path = ASL_PATH) -> AsBuilt:
    """Read the defaults and the Analyze states' policies."""
    settings = {key.removeprefix(PREFIX): value for key, value in defaults().items()}
    definition = json.loads(asl_path.read_text("utf-8"))
    return AsBuilt(
        max_concurrent_tasks=int(settings["maxConcurrentTasks"]),
        worker_vcpu=settings["workerCpu"] / 1024,
        worker_memory_gb=settings["workerMemoryMiB"] / 1024,
        execution_timeout=float(settings["executionTimeoutSeconds"]),
        slot_wait_seconds=float(settings["slotWaitSeconds"]),
        reconcile_seconds=60.0 * settings["reconcilerIntervalMinutes"],
        worker_spot=bool(settings["workerSpot"]),
        max_duration_seconds=float(settings["workerMaxDurationSeconds"]),
        lambda_memory_gb=settings["lambdaMemoryMiB"] / 1024,
        public_ip=settings["assignPublicIp"] != "DISABLED" and not settings["vpcId"],
        max_receive_count=int(settings["queueMaxReceiveCount"]),
        spot=_task_state(definition, SPOT_STATE),
        on_demand=_task_state(definition, ON_DEMAND_STATE),
    )
