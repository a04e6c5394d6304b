"""The execution-end hook: the listener is told of each execution as it ends, whatever its status."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_function, create_sm, parked_definition

told_twice = threading.Event()


@pytest.fixture
def ended(sfn: Any) -> Iterator[list[tuple[str, str]]]:
    """(execution ARN, its status when the listener is told) for every execution that ends."""
    told_twice.clear()
    told: list[tuple[str, str]] = []

    def listener(arn: str) -> None:
        told.append((arn, sfn.describe_execution(executionArn=arn)["status"]))
        if len(told) >= 2:
            told_twice.set()

    moto_patches.set_execution_end_listener(listener)
    yield told
    moto_patches.set_execution_end_listener(None)


def test_each_ending_execution_is_told_once_with_its_final_status(
    sfn: Any, ended: list[tuple[str, str]]
) -> None:
    done = create_sm(sfn, {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}, name="done")
    succeeded = sfn.start_execution(stateMachineArn=done, name="ok")["executionArn"]
    assert wait_for_execution(sfn, succeeded)["status"] == "SUCCEEDED"

    create_function("park")
    parked = threading.Event()
    moto_patches.register_lambda_handler("park", lambda event, context: parked.set())
    waiting = create_sm(sfn, parked_definition("park"), name="waiting")
    aborted = sfn.start_execution(stateMachineArn=waiting, name="stopped")["executionArn"]
    assert parked.wait(10)
    sfn.stop_execution(executionArn=aborted, cause="operator")
    assert wait_for_execution(sfn, aborted)["status"] == "ABORTED"

    # A stop makes the execution ABORTED at once; its thread ends (and tells the listener) just after.
    assert told_twice.wait(10), ended
    assert ended == [(succeeded, "SUCCEEDED"), (aborted, "ABORTED")]


def test_a_failed_listener_leaves_the_execution_ended(sfn: Any) -> None:
    def broken(arn: str) -> None:
        raise RuntimeError("listener broken")

    moto_patches.set_execution_end_listener(broken)
    try:
        arn = create_sm(sfn, {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
        execution = sfn.start_execution(stateMachineArn=arn, name="ok")["executionArn"]
        assert wait_for_execution(sfn, execution)["status"] == "SUCCEEDED"
    finally:
        moto_patches.set_execution_end_listener(None)
