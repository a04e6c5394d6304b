"""Defects 14 and 23: StopExecution while a task waits (.sync in a Map, .waitForTaskToken) ends the execution
ABORTED; a waitForTaskToken handler may send its own task success."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import REGION, create_function, create_sm, inline_map, parked_definition, run_task_state


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


def test_stopping_an_execution_ends_its_callback_wait(sfn: Any) -> None:
    """Defect 23: a stopped execution whose .waitForTaskToken task waits becomes ABORTED at once (moto left
    it RUNNING until the token or the task's 99999999 s timeout), with no TaskSucceeded event."""
    create_function("park")
    parked = threading.Event()
    moto_patches.register_lambda_handler("park", lambda event, context: parked.set())
    arn = create_sm(sfn, parked_definition("park"))
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="parked", input="{}")["executionArn"]
    assert parked.wait(10), "the callback task never ran"
    sfn.stop_execution(executionArn=execution_arn, cause="operator")

    assert wait_for_execution(sfn, execution_arn, timeout=5)["status"] == "ABORTED"
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution_arn)["events"]]
    assert types[-1] == "ExecutionAborted"
    assert "TaskSucceeded" not in types


def test_a_waiting_task_sleeps_until_its_token_or_its_execution_ends(
    sfn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait is woken by the stop, not found by looking 4 times a second (1,200 wake-ups a second with
    300 waiters): one sleep, with a slice of a minute."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    sleeps: list[float | None] = []
    asleep = threading.Event()
    original = CallbackEndpoint.wait

    def wait(self: Any, timeout: float | None = None) -> Any:
        sleeps.append(timeout)
        asleep.set()
        return original(self, timeout)

    monkeypatch.setattr(CallbackEndpoint, "wait", wait)
    create_function("park")
    parked = threading.Event()
    moto_patches.register_lambda_handler("park", lambda event, context: parked.set())
    arn = create_sm(sfn, parked_definition("park"))
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="asleep", input="{}")["executionArn"]
    assert parked.wait(10) and asleep.wait(10), "the callback task never waited"
    sfn.stop_execution(executionArn=execution_arn, cause="operator")
    assert wait_for_execution(sfn, execution_arn, timeout=5)["status"] == "ABORTED"
    assert len(sleeps) == 1 and sleeps[0] is not None and sleeps[0] >= 59, sleeps


def test_a_handler_can_send_its_own_task_success(sfn: Any) -> None:
    """lambda:invoke.waitForTaskToken whose in-process handler calls SendTaskSuccess itself (the slot
    hand-off's fast path): the token is accepted during the invocation and the state completes."""
    create_function("self-wake")

    def handler(event: dict[str, Any], context: Any) -> None:
        client = boto3.client("stepfunctions", region_name=REGION)
        client.send_task_success(taskToken=event["token"], output=json.dumps({"slot": "granted"}))

    moto_patches.register_lambda_handler("self-wake", handler)
    arn = create_sm(sfn, parked_definition("self-wake"))
    started = sfn.start_execution(stateMachineArn=arn, name="self", input="{}")
    done = wait_for_execution(sfn, started["executionArn"], timeout=10)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"slot": "granted"}


def test_stopping_an_execution_that_waits_on_a_task_token_aborts_it_at_once(sfn: Any) -> None:
    """Defect 23 inside a Map: without the patch the stopped execution stays RUNNING until the waiting state's
    timeout (here 300 s)."""
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


def test_a_stop_before_the_execution_thread_built_its_environment_waits_for_it() -> None:
    """Defect 25: moto's ExecutionWorker.stop dereferenced an environment its thread had not built yet
    (AttributeError, an HTTP 500 for StopExecution right after StartExecution); patched, it waits for it."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    stops: list[str | None] = []

    class Environment:  # the thread's environment, as far as a stop uses it
        def set_stop(self, stop_date: Any, cause: str | None, error: str | None) -> None:
            stops.append(cause)

    worker = ExecutionWorker.__new__(ExecutionWorker)  # before its thread ran: no environment
    worker.env = None
    unpatched = ExecutionWorker.stop.__wrapped__  # type: ignore[attr-defined]
    try:
        unpatched(worker, None, None, "too early")
    except AttributeError as error:
        assert "set_stop" in str(error)
    else:
        raise AssertionError("the defect did not show")

    builder = threading.Timer(0.05, lambda: setattr(worker, "env", Environment()))
    builder.start()
    worker.stop(None, None, "operator")  # type: ignore[arg-type]
    builder.join()
    assert stops == ["operator"]
