"""ECS ``runTask.sync``: name normalisation (1, 1b), failure on exit code (5), fresh token per retry (4),
and the local Fargate agent hooks (10)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._agent import FakeAgent
from ._helpers import REGION, create_sm, run_task_state


def _run(sfn: Any, definition: dict[str, Any], timeout: float = 15) -> dict[str, Any]:
    arn = create_sm(sfn, definition)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": "job-1"}))
    return wait_for_execution(sfn, execution["executionArn"], timeout=timeout)


def test_run_task_sync_pascal_params_reach_ecs_and_output_is_pascal_task(
    sfn: Any, ecs_env: dict[str, str]
) -> None:
    """Defects 1 and 1b: PascalCase ASL parameters become the camelCase RunTask request (including
    CapacityProviderStrategy) and the output is the PascalCase DescribeTasks task object."""
    with FakeAgent([(0, "EssentialContainerExited")]) as agent:
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert result["status"] == "SUCCEEDED", result
    launch = agent.launches[0]
    assert launch.capacity_provider_strategy == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert launch.overrides == {
        "containerOverrides": [{"name": "worker", "environment": [{"name": "JOB_ID", "value": "job-1"}]}]
    }
    assert launch.network_configuration["awsvpcConfiguration"]["securityGroups"] == [
        ecs_env["security_group"]
    ]
    task = json.loads(result["output"])
    assert task["TaskArn"] == launch.task_arn
    assert task["LastStatus"] == "STOPPED"
    assert task["StopCode"] == "EssentialContainerExited"
    assert task["CapacityProviderName"] == "FARGATE_SPOT"
    assert task["Containers"][0]["ExitCode"] == 0
    assert task["Containers"][0]["TaskArn"] == launch.task_arn


def test_non_zero_exit_fails_with_task_failed_and_task_as_cause(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 5: a non-zero essential exit fails the state with States.TaskFailed, Cause = JSON task."""
    with FakeAgent([(3, "EssentialContainerExited")]):
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert result["status"] == "FAILED"
    assert result["error"] == "States.TaskFailed"
    cause = json.loads(result["cause"])
    assert cause["StopCode"] == "EssentialContainerExited"
    assert cause["Containers"][0]["ExitCode"] == 3
    assert cause["LastStatus"] == "STOPPED"


def test_task_that_never_started_fails(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 5: no exit code (TaskFailedToStart) fails too; the Cause has no ExitCode."""
    with FakeAgent([(None, "TaskFailedToStart")]):
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert result["error"] == "States.TaskFailed"
    cause = json.loads(result["cause"])
    assert cause["StopCode"] == "TaskFailedToStart"
    assert "ExitCode" not in cause["Containers"][0]


def test_retried_sync_task_gets_a_fresh_attempt(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 4: attempt 2 of a retried .sync task runs a new task instead of ending in States.Timeout."""
    retry = {"Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}]}
    with FakeAgent([(1, "EssentialContainerExited"), (0, "EssentialContainerExited")]) as agent:
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env, **retry)}})
    assert result["status"] == "SUCCEEDED", result
    assert len(agent.launches) == 2
    assert json.loads(result["output"])["TaskArn"] == agent.launches[1].task_arn


def test_held_task_waits_for_the_agent(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 10: with a listener, tasks stay RUNNING across many DescribeTasks until stop_ecs_task."""
    ecs = boto3.client("ecs", region_name=REGION)
    seen: list[str] = []

    def observe(launch: moto_patches.EcsTaskLaunch) -> None:
        for _ in range(6):
            seen.append(
                ecs.describe_tasks(cluster=launch.cluster_arn, tasks=[launch.task_arn])["tasks"][0][
                    "lastStatus"
                ]
            )
        moto_patches.mark_ecs_task_running(launch.task_arn)

    with FakeAgent([(0, "EssentialContainerExited")]) as agent:
        agent.before_stop = observe
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert result["status"] == "SUCCEEDED"
    assert seen == ["RUNNING"] * 6


def test_listener_error_stops_task_failed_to_start(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 10: a listener that raises makes the task stop with TaskFailedToStart (no exit code)."""

    def broken(launch: moto_patches.EcsTaskLaunch) -> None:
        raise RuntimeError("quota exceeded")

    moto_patches.set_ecs_task_listener(broken)
    result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert result["error"] == "States.TaskFailed"
    cause = json.loads(result["cause"])
    assert cause["StopCode"] == "TaskFailedToStart"
    assert cause["StoppedReason"] == "quota exceeded"


def test_without_listener_moto_progression_is_unchanged(ecs_env: dict[str, str]) -> None:
    """Without a listener moto's own progression applies: STOPPED after a few DescribeTasks, exit code 0."""
    ecs = boto3.client("ecs", region_name=REGION)
    task = ecs.run_task(
        cluster=ecs_env["cluster"],
        taskDefinition=ecs_env["task_definition"],
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [ecs_env["subnet"]],
                "securityGroups": [ecs_env["security_group"]],
            }
        },
    )["tasks"][0]
    deadline = time.monotonic() + 5
    status = task["lastStatus"]
    while status != "STOPPED" and time.monotonic() < deadline:
        status = ecs.describe_tasks(cluster=ecs_env["cluster"], tasks=[task["taskArn"]])["tasks"][0][
            "lastStatus"
        ]
    assert status == "STOPPED"


def test_aws_sdk_camel_case_service_round_trip(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 1: aws-sdk:ecs takes PascalCase parameters and returns PascalCase, as on AWS."""
    definition = {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:ecs:describeClusters",
                "Parameters": {"Clusters": [ecs_env["cluster"]]},
                "ResultSelector": {"Name.$": "$.Clusters[0].ClusterName"},
                "End": True,
            }
        },
    }
    result = _run(sfn, definition)
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"Name": "vidpipe"}


def test_stop_task_on_held_task_waits_for_the_agent_exit_code(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 10: StopTask requests the stop (desiredStatus STOPPED, lastStatus STOPPING); the .sync state
    fails only when the agent reports the killed process's exit code (143 after SIGTERM), as on AWS."""
    ecs = boto3.client("ecs", region_name=REGION)
    observed: dict[str, Any] = {}

    def stop_then_observe(launch: moto_patches.EcsTaskLaunch) -> None:
        ecs.stop_task(cluster=launch.cluster_arn, task=launch.task_arn, reason="operator")
        observed.update(ecs.describe_tasks(cluster=launch.cluster_arn, tasks=[launch.task_arn])["tasks"][0])

    with FakeAgent([(143, "UserInitiated")]) as agent:
        agent.before_stop = stop_then_observe
        result = _run(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(ecs_env)}})
    assert (observed["desiredStatus"], observed["lastStatus"]) == ("STOPPED", "STOPPING")
    assert result["error"] == "States.TaskFailed"
    cause = json.loads(result["cause"])
    assert (cause["StopCode"], cause["Containers"][0]["ExitCode"]) == ("UserInitiated", 143)


def test_ecs_api_error_is_named_like_aws(sfn: Any, ecs_env: dict[str, str]) -> None:
    """Defect 1c: an ECS API error fails the state with ECS.<Code> (not States.Runtime), catchable."""
    state = run_task_state(ecs_env, Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}])
    state["Parameters"]["Cluster"] = "no-such-cluster"
    state.pop("End")
    state["Next"] = "Done"
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": state,
            "Done": {"Type": "Succeed"},
            "Caught": {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"},
        },
    }
    result = _run(sfn, definition)
    assert result["error"] == "ECS.ClusterNotFoundException"
    assert "Service: AmazonECS" in result["cause"]
    assert moto_patches.ecs_error_name("ThrottlingException") == "ECS.AmazonECSException"
    assert moto_patches.ecs_error_name("InvalidParameterException") == "ECS.InvalidParameterException"


class _GrowsWhileIterated(dict):  # type: ignore[type-arg]
    """A cluster's task dict to which a concurrent RunTask adds a task during the first iteration."""

    grown = False

    def items(self) -> Any:
        view = iter(dict.items(self))
        first = next(view)
        if not self.grown:
            self.grown = True
            self[first[0] + "-concurrent"] = first[1]  # what a RunTask on another server thread does
        yield first
        yield from view


def test_describe_tasks_while_run_task_adds_a_task(ecs_env: dict[str, str]) -> None:
    """Defect 24: moto's describe_tasks raised RuntimeError (dictionary changed size during iteration)
    when a RunTask added a task meanwhile; patched, it answers."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends

    ecs = boto3.client("ecs", region_name=REGION)
    network = {
        "awsvpcConfiguration": {"subnets": [ecs_env["subnet"]], "securityGroups": [ecs_env["security_group"]]}
    }
    [task] = ecs.run_task(
        cluster=ecs_env["cluster"], taskDefinition=ecs_env["task_definition"], launchType="FARGATE",
        networkConfiguration=network,
    )["tasks"]  # fmt: skip
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][REGION]
    [cluster] = backend.tasks
    unpatched = EC2ContainerServiceBackend.describe_tasks.__wrapped__  # type: ignore[attr-defined]

    real = backend.tasks[cluster]
    backend.tasks[cluster] = _GrowsWhileIterated(real)
    try:
        unpatched(backend, ecs_env["cluster"], [task["taskArn"]])
    except RuntimeError as error:
        assert "changed size during iteration" in str(error)
    else:
        raise AssertionError("the defect did not show")

    backend.tasks[cluster] = _GrowsWhileIterated(real)
    described = ecs.describe_tasks(cluster=ecs_env["cluster"], tasks=[task["taskArn"]])["tasks"]
    assert {t["taskArn"] for t in described} == {task["taskArn"]}  # (the added key names the same task)
