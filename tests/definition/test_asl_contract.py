"""The ASL file agrees with the Python contracts it cannot import (names are defined once in Python)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

import tasks.errors
from tests.conftest import REPO_ROOT
from vidpipe.contract.names import WORKER_CONTAINER_NAME, Table, WorkerEnv

ASL_PATH = REPO_ROOT / "statemachine" / "pipeline.asl.json"


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return json.loads(ASL_PATH.read_text("utf-8"))


def _states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield name, state
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])


def _error_names(definition: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, state in _states(definition):
        for rule in state.get("Retry", []) + state.get("Catch", []):
            names.update(rule["ErrorEquals"])
    return names


def test_custom_error_names_are_the_task_error_classes(asl: dict[str, Any]) -> None:
    custom = {n for n in _error_names(asl) if "." not in n}  # AWS names are namespaced: States.*, Lambda.*...
    classes = {
        name
        for name, cls in inspect.getmembers(tasks.errors, inspect.isclass)
        if issubclass(cls, tasks.errors.VidpipeTaskError) and cls is not tasks.errors.VidpipeTaskError
    }
    assert custom == {cls.__name__ for cls in tasks.errors.RETRIED_BY_ASL}
    assert classes == custom | {cls.__name__ for cls in tasks.errors.UNHANDLED_ON_PURPOSE}


def _analyze_states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _states(asl) if s.get("Resource") == "arn:aws:states:::ecs:runTask.sync"}


def test_worker_environment_names_are_the_contract(asl: dict[str, Any]) -> None:
    contract = {v for k, v in vars(WorkerEnv).items() if not k.startswith("_")}
    for state in _analyze_states(asl).values():
        [override] = state["Parameters"]["Overrides"]["ContainerOverrides"]
        assert override["Name"] == WORKER_CONTAINER_NAME
        names = {e["Name"] for e in override["Environment"]}
        assert names <= contract
        assert {WorkerEnv.JOB_ID, WorkerEnv.INPUT_BUCKET, WorkerEnv.INPUT_KEY, WorkerEnv.RESULTS_KEY} <= names


def test_spot_and_on_demand_run_the_same_task(asl: dict[str, Any]) -> None:
    """The two Analyze states are copies that differ only in capacity: guard them against drift."""
    spot, on_demand = (_analyze_states(asl)[n]["Parameters"] for n in ("AnalyzeOnSpot", "AnalyzeOnDemand"))
    providers = [p["CapacityProviderStrategy"][0]["CapacityProvider"] for p in (spot, on_demand)]
    assert providers == ["FARGATE_SPOT", "FARGATE"]
    strip = lambda p: {k: v for k, v in p.items() if k != "CapacityProviderStrategy"}  # noqa: E731
    assert strip(spot) == strip(on_demand)


def test_semaphore_names_are_the_table_layout(asl: dict[str, Any]) -> None:
    params = dict(_states(asl))["AcquireSlot"]["Parameters"]
    assert params["Key"] == {Table.PARTITION_KEY: {"S": Table.SEMAPHORE_ID}}
    assert params["ExpressionAttributeNames"]["#running"] == Table.SEMAPHORE_COUNT


def test_placeholders_are_the_documented_set() -> None:
    found = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text("utf-8")))
    assert found == {
        "PrepareFunctionArn",
        "RecordFunctionArn",
        "JobTableName",
        "ClusterArn",
        "TaskDefinitionArn",
        "SubnetIds",
        "SecurityGroupIds",
        "AssignPublicIp",
        "MaxConcurrentTasks",
    }


def test_no_catch_ends_in_a_fail_state(asl: dict[str, Any]) -> None:
    """A Catch that ends in a Fail state would make RedriveExecution re-run only the Fail state."""
    states = dict(_states(asl))
    assert not any(s["Type"] == "Fail" for s in states.values())
    last_analysis = states["AnalyzeOnDemand"]
    assert "Catch" not in last_analysis
    assert {r["ErrorEquals"][0] for r in last_analysis["Retry"]} == {
        "ECS.AmazonECSException",
        "States.TaskFailed",
    }
