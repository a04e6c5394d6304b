"""ECS failures AWS produces and moto does not: RunTask failures (18), throttling (1c), INACTIVE task
definition revisions and bare families (17), and the StopTask of an abandoned ``.sync`` task (19)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch, RunTaskRequest
from vidpipe.local.sfn_wait import wait_for_execution

from ._agent import FakeAgent
from ._helpers import REGION, create_sm, run_task_state

RETRY_UNKNOWN = {"ErrorEquals": ["AmazonECS.Unknown"], "IntervalSeconds": 1, "MaxAttempts": 2}


@pytest.fixture(autouse=True)
def no_gate() -> Iterator[None]:
    yield
    moto_patches.set_run_task_gate(None)


def _run(sfn: Any, state: dict[str, Any], timeout: float = 15) -> dict[str, Any]:
    arn = create_sm(sfn, {"StartAt": "Run", "States": {"Run": state}}, name=f"sm-{uuid.uuid4().hex[:8]}")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": "job-1"}))
    return wait_for_execution(sfn, execution["executionArn"], timeout=timeout)


class Gate:
    """Answers the first ``failures`` RunTasks with a capacity failure (or throttles them), then lets them run."""

    def __init__(self, failures: int, throttle: bool = False) -> None:
        self.remaining = failures
        self.throttle = throttle
        self.requests: list[RunTaskRequest] = []

    def __call__(self, request: RunTaskRequest) -> list[dict[str, str]] | None:
        self.requests.append(request)
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        if self.throttle:
            raise moto_patches.throttling_error()
        return [moto_patches.capacity_failure(REGION, "123456789012", request.capacity_provider or "FARGATE")]


def test_run_task_failures_fail_a_sync_state_with_amazon_ecs_unknown(
    sfn: Any, ecs_env: dict[str, str]
) -> None:
    gate = Gate(failures=5)
    moto_patches.set_run_task_gate(gate)
    result = _run(sfn, run_task_state(ecs_env))
    assert result["status"] == "FAILED"
    assert result["error"] == "AmazonECS.Unknown"
    failure = json.loads(result["cause"])["Failures"][0]
    assert failure["Reason"] == "RESOURCE:FARGATE_SPOT"
    assert "Capacity is unavailable" in failure["Detail"]
    assert gate.requests[0].capacity_provider == "FARGATE_SPOT"


def test_a_retrier_on_amazon_ecs_unknown_gets_the_task_once_capacity_returns(
    sfn: Any, ecs_env: dict[str, str]
) -> None:
    moto_patches.set_run_task_gate(Gate(failures=2))
    with FakeAgent([(0, "EssentialContainerExited")]) as agent:
        result = _run(sfn, run_task_state(ecs_env, Retry=[RETRY_UNKNOWN]))
    assert result["status"] == "SUCCEEDED", result
    assert len(agent.launches) == 1


def test_request_response_run_task_returns_the_failures(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Without .sync the state does not fail: its output is the RunTask response (AWS's documented rule)."""
    moto_patches.set_run_task_gate(Gate(failures=1))
    state = run_task_state(ecs_env, Resource="arn:aws:states:::ecs:runTask")
    result = _run(sfn, state)
    assert result["status"] == "SUCCEEDED", result
    output = json.loads(result["output"])
    assert output["Tasks"] == [] and output["Failures"][0]["Reason"] == "RESOURCE:FARGATE_SPOT"


def test_throttled_run_task_is_ecs_amazon_ecs_exception(sfn: Any, ecs_env: dict[str, str]) -> None:
    moto_patches.set_run_task_gate(Gate(failures=5, throttle=True))
    result = _run(sfn, run_task_state(ecs_env))
    assert result["error"] == "ECS.AmazonECSException"
    assert result["cause"].startswith(
        "Rate exceeded (Service: AmazonECS; Status Code: 400; Error Code: ThrottlingException"
    )


def _deploy_new_revision(ecs: Any, family: str) -> tuple[str, str]:
    """Register revision 2 of ``family`` and deregister revision 1, as a CloudFormation update does."""
    old = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    new = ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "worker",
                "image": "worker:local",
                "memory": 512,
                "essential": True,
                "environment": [{"name": "FIXED", "value": "yes"}],
            }
        ],
    )["taskDefinition"]
    ecs.deregister_task_definition(taskDefinition=old["taskDefinitionArn"])
    return old["taskDefinitionArn"], new["taskDefinitionArn"]


def test_a_deregistered_revision_cannot_run_and_a_family_runs_the_latest_active_one(
    sfn: Any, ecs_env: dict[str, str]
) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    old_arn, new_arn = _deploy_new_revision(ecs, "worker")
    assert (
        ecs.describe_task_definition(taskDefinition="worker")["taskDefinition"]["taskDefinitionArn"]
        == new_arn
    )

    by_revision = _run(sfn, run_task_state({**ecs_env, "task_definition": old_arn}))
    assert by_revision["error"] == "ECS.InvalidParameterException"
    assert by_revision["cause"].startswith("TaskDefinition is inactive")

    with FakeAgent([(0, "EssentialContainerExited")]) as agent:
        by_family = _run(sfn, run_task_state({**ecs_env, "task_definition": "worker"}))
    assert by_family["status"] == "SUCCEEDED", (by_family.get("error"), by_family.get("cause"))
    assert agent.launches[0].task_definition_arn == new_arn


def test_a_sync_task_whose_state_times_out_is_stopped(sfn: Any, ecs_env: dict[str, str]) -> None:
    launched: list[EcsTaskLaunch] = []
    stopped = threading.Event()
    ecs = boto3.client("ecs", region_name=REGION)
    moto_patches.set_ecs_task_listener(launched.append)  # held: the task runs until stopped

    result = _run(sfn, run_task_state(ecs_env, TimeoutSeconds=1))

    assert result["error"] == "States.Timeout", result
    task_arn = launched[0].task_arn
    deadline = 10.0
    while deadline > 0 and not stopped.is_set():
        task = ecs.describe_tasks(cluster=ecs_env["cluster"], tasks=[task_arn])["tasks"][0]
        if task["desiredStatus"] == "STOPPED":
            stopped.set()
        else:
            stopped.wait(0.1)
            deadline -= 0.1
    assert stopped.is_set(), "the timed-out task was never stopped"
    assert task["stoppedReason"] == "Step Functions task timed out"


def test_a_sync_task_of_a_stopped_execution_is_stopped(sfn: Any, ecs_env: dict[str, str]) -> None:
    launched = threading.Event()
    moto_patches.set_ecs_task_listener(lambda launch: launched.set())
    arn = create_sm(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": "j"}))["executionArn"]
    assert launched.wait(10)
    sfn.stop_execution(executionArn=execution)
    assert wait_for_execution(sfn, execution)["status"] == "ABORTED"

    ecs = boto3.client("ecs", region_name=REGION)
    task_arn = ecs.list_tasks(cluster=ecs_env["cluster"])["taskArns"][0]
    for _ in range(100):
        task = ecs.describe_tasks(cluster=ecs_env["cluster"], tasks=[task_arn])["tasks"][0]
        if task["desiredStatus"] == "STOPPED":
            break
        threading.Event().wait(0.1)
    assert task["desiredStatus"] == "STOPPED"
    assert task["stoppedReason"] == "Step Functions execution stopped"
