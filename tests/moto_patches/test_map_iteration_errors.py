"""Defect (11): a Map iteration failing with a States.* error fails the execution with that error and cause."""

from __future__ import annotations

from typing import Any

from vidpipe.local.sfn_mocks import use_mock_config
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_sm, inline_map

DEFINITION = inline_map(
    "Work",
    {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "work", "Payload.$": "$"},
    },
)
MOCKS = {
    "StateMachines": {"map-sm": {"TestCases": {"crash": {"Work": "Crash"}}}},
    "MockedResponses": {"Crash": {"0": {"Throw": {"Error": "States.TaskFailed", "Cause": "exit code 1"}}}},
}


def test_iteration_failure_keeps_its_states_error_name(sfn: Any) -> None:
    arn = create_sm(sfn, DEFINITION, name="map-sm")
    with use_mock_config(MOCKS):
        started = sfn.start_execution(stateMachineArn=f"{arn}#crash", name="map-error", input="[1]")
        described = wait_for_execution(sfn, started["executionArn"])
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("States.TaskFailed", "exit code 1")
