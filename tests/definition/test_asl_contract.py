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
from vidpipe.contract.names import WORKER_CONTAINER_NAME, WorkerEnv

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
    assert custom == {cls.__name__ for cls in tasks.errors.HANDLED_BY_ASL}
    unhandled = tasks.errors.UNHANDLED_ON_PURPOSE + tasks.errors.CAUGHT_BY_CATCH_ALL
    assert classes == custom | {cls.__name__ for cls in unhandled}


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
    assert providers == ["${FirstCapacityProvider}", "FARGATE"]  # FARGATE_SPOT unless workerSpot is off
    strip = lambda p: {k: v for k, v in p.items() if k != "CapacityProviderStrategy"}  # noqa: E731
    assert strip(spot) == strip(on_demand)


def test_placeholders_are_the_documented_set() -> None:
    found = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text("utf-8")))
    assert found == {
        "PrepareFunctionArn",
        "AcquireSlotFunctionArn",
        "RecordFunctionArn",
        "RecordFailureFunctionArn",
        "ConcludeFunctionArn",
        "JobTableName",
        "ClusterArn",
        "TaskDefinitionFamily",
        "SubnetIds",
        "SecurityGroupIds",
        "AssignPublicIp",
        "FirstCapacityProvider",
        "MaxConcurrentTasks",
        "SlotWaitSeconds",
        "AnalysisTimeoutSeconds",
    }


def test_the_worker_is_run_by_family_so_a_redrive_after_a_deploy_runs_the_current_one(
    asl: dict[str, Any],
) -> None:
    """A redrive keeps the execution's definition; a revisioned ARN there is deregistered by the next deploy."""
    for state in _analyze_states(asl).values():
        assert state["Parameters"]["TaskDefinition"] == "${TaskDefinitionFamily}"


def test_no_state_can_fail_the_execution_but_conclude(asl: dict[str, Any]) -> None:
    """Iterations never fail (a failed Map would stop its siblings), and no Catch ends in a Fail state (a
    redrive would re-run only the Fail state): every failure after the claim is caught into RecordFailure."""
    states = dict(_states(asl))
    assert not any(s["Type"] == "Fail" for s in states.values())
    iteration = asl["States"]["Jobs"]["ItemProcessor"]["States"]
    for name, state in iteration.items():
        if name in ("RecordFailure", "AnalyzeOnSpot"):
            continue
        assert state.get("Catch") == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "RecordFailure"}
        ], name
    assert iteration["AnalyzeOnSpot"]["Catch"][0]["Next"] == "AnalyzeOnDemand"
    assert asl["States"]["Conclude"]["Catch"] == [
        {"ErrorEquals": ["RerunFailedJobs"], "ResultPath": "$.rerun", "Next": "Prepare"}
    ]


def test_prepare_reads_the_execution_input_so_a_redrive_can_come_back_to_it(asl: dict[str, Any]) -> None:
    payload = asl["States"]["Prepare"]["Parameters"]["Payload"]
    assert payload["records.$"] == "$$.Execution.Input"


def test_retries_match_the_errors_step_functions_raises(asl: dict[str, Any]) -> None:
    """Names cited in docs/architecture.md: AmazonECS.Unknown for RunTask Failures, ECS.AmazonECSException
    for throttling, every spelling of DynamoDB's throttling and server errors, the Lambda service errors."""
    states = dict(_states(asl))
    on_demand = {n for r in states["AnalyzeOnDemand"]["Retry"] for n in r["ErrorEquals"]}
    assert {"AmazonECS.Unknown", "ECS.AmazonECSException", "States.TaskFailed"} <= on_demand
    dynamodb = {n for r in states["MarkRunning"]["Retry"] for n in r["ErrorEquals"]}
    assert {
        "DynamoDB.InternalServerError",
        "DynamoDB.InternalServerErrorException",
        "DynamoDB.AmazonDynamoDBException",
        "DynamoDB.ProvisionedThroughputExceededException",
    } <= dynamodb
    for name in ("Prepare", "AcquireSlot", "Record", "RecordFailure", "Conclude"):
        lambda_errors = {n for r in states[name]["Retry"] for n in r["ErrorEquals"]}
        assert {
            "Lambda.ServiceException",
            "Lambda.TooManyRequestsException",
            "Lambda.Unknown",
        } <= lambda_errors
    assert any(r["ErrorEquals"] == ["States.Timeout"] for r in states["AcquireSlot"]["Retry"])
