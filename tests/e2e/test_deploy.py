"""Fix the worker, deploy, redrive: a deploy registers a new task definition revision and deregisters the old
one (INACTIVE), as a CloudFormation update does. A redrive then runs the new worker because the state machine
names the task definition by family; had it named the revision it was deployed with, RunTask would refuse it
("TaskDefinition is inactive")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline
from vidpipe.contract.names import Output

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=2, worker_env=NOOP_ENV)


def _task_definitions_in_the_asl(pipeline: Pipeline) -> set[str]:
    definition = pipeline.sfn.describe_state_machine(
        stateMachineArn=pipeline.outputs[Output.STATE_MACHINE_ARN]
    )
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("TaskDefinition"), str):
                found.add(node["TaskDefinition"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(definition["definition"]))
    return found


def test_fix_the_worker_deploy_and_redrive(pipeline: Pipeline, tiny_clip: Path) -> None:
    runtime = pipeline.runtime
    runtime.faults.add("worker-crash")  # the broken worker
    up = pipeline.upload("deploy/broken.mp4", tiny_clip)
    record = pipeline.wait_job(up, statuses=("FAILED",))
    assert pipeline.wait_execution(record["execution_arn"])["status"] == "FAILED"

    runtime.faults.clear()  # the fix...
    old_arn = pipeline.runs_of(record["job_id"])[-1].task_definition_arn
    new_arn = runtime.deploy_worker({"VIDPIPE_DEPLOYED": "fixed"})  # ...deployed
    ecs = runtime.client("ecs")
    assert ecs.describe_task_definition(taskDefinition=old_arn)["taskDefinition"]["status"] == "INACTIVE"
    pipeline.sfn.redrive_execution(executionArn=record["execution_arn"])
    redriven = pipeline.wait_execution(record["execution_arn"])

    # The state machine names the worker's task definition by family (the latest ACTIVE revision)...
    for ref in _task_definitions_in_the_asl(pipeline):
        assert not ref.rsplit(":", 1)[-1].isdigit(), f"a revisioned task definition in the ASL: {ref}"
    assert redriven["status"] == "SUCCEEDED", redriven
    assert pipeline.runs_of(record["job_id"])[-1].task_definition_arn == new_arn  # the fixed worker ran

    # ...because the revision it was deployed with can no longer run anything: a redrive would fail at RunTask.
    with pytest.raises(ClientError, match="TaskDefinition is inactive"):
        ecs.run_task(
            cluster=pipeline.outputs[Output.CLUSTER_ARN],
            taskDefinition=old_arn,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": ["subnet-x"], "securityGroups": ["sg-x"]}
            },
        )
