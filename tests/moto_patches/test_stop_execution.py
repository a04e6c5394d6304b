"""Defect (14): StopExecution while a Map iteration waits on a .sync task ends the execution ABORTED."""

from __future__ import annotations

import json
import threading
from typing import Any

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_sm, inline_map, run_task_state


def test_stopping_an_execution_inside_a_map_aborts_it(sfn: Any, ecs_env: dict[str, str]) -> None:
    launched = threading.Event()

    def on_launch(_: EcsTaskLaunch) -> None:
        launched.set()

    moto_patches.set_ecs_task_listener(on_launch)  # held: the task stays RUNNING until stopped
    definition = inline_map("Run", run_task_state(ecs_env))
    arn = create_sm(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, name="stopped", input=json.dumps([{"job": "j"}]))
    assert launched.wait(10), "the task was never launched"
    sfn.stop_execution(executionArn=started["executionArn"], cause="operator")
    assert wait_for_execution(sfn, started["executionArn"])["status"] == "ABORTED"


def test_interrupted_callback_wait_ends_instead_of_raising() -> None:
    """After a stop, moto's .sync callback thread pops a dict as its timeout: the wait ends (None)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )

    class Endpoint:
        def wait(self, timeout: float | None) -> None:
            raise AssertionError(f"waited with timeout {timeout!r}")

    wait = StateTaskServiceCallback._wait_for_task_token_timeout
    assert wait(None, {"not": "a timeout"}, Endpoint()) is None  # type: ignore[arg-type]


def test_stopping_an_execution_that_waits_on_a_task_token_aborts_it_at_once(sfn: Any) -> None:
    """Without the patch the stopped execution stays RUNNING until the waiting state's timeout (here 300 s)."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    wait = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 300,
        "End": True,
    }
    arn = create_sm(sfn, inline_map("Wait", wait), name="waits")
    started = sfn.start_execution(stateMachineArn=arn, name="parked", input=json.dumps([{"job": "j"}]))
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10).get("Messages"), "never parked"
    sfn.stop_execution(executionArn=started["executionArn"], cause="operator")
    assert wait_for_execution(sfn, started["executionArn"], timeout=10)["status"] == "ABORTED"
