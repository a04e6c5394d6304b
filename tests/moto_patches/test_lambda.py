"""Lambda handlers run in-process (defect 9) and ``lambda:invoke`` parameters are normalised (defect 1)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import REGION, create_function, create_sm


class JobRejected(Exception):
    """A custom error name the ASL can Retry/Catch on."""


def _invoke_state(function: str, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
    }
    state.update(extra)
    return state


def test_state_machine_runs_registered_handler_with_function_environment(sfn: Any) -> None:
    """The handler runs in-process with the function's environment (moto's plus the registered one),
    its return value is the Payload, and os.environ is restored afterwards."""
    arn = create_function("prepare", {"TABLE": "jobs"})
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.update(table=os.environ["TABLE"], extra=os.environ["EXTRA"], name=context.function_name)
        return {"doubled": event["n"] * 2}

    moto_patches.register_lambda_handler(arn, handler, environment={"EXTRA": "x"})
    sm = create_sm(sfn, {"StartAt": "Prepare", "States": {"Prepare": _invoke_state(arn)}})
    execution = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"n": 21}))
    result = wait_for_execution(sfn, execution["executionArn"], timeout=10)
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"doubled": 42}
    assert seen == {"table": "jobs", "extra": "x", "name": "prepare"}
    assert "TABLE" not in os.environ and "EXTRA" not in os.environ


def test_handler_exception_is_function_error_named_after_the_class(sfn: Any) -> None:
    """An exception surfaces as error = class name, Cause = {errorMessage, errorType, stackTrace}, and
    Retry/Catch on that custom name work as on AWS."""
    create_function("record")
    calls: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append(1)
        raise JobRejected("not a video")

    moto_patches.register_lambda_handler("record", handler)
    state = _invoke_state(
        "record",
        Retry=[{"ErrorEquals": ["JobRejected"], "IntervalSeconds": 1, "MaxAttempts": 1}],
        Catch=[{"ErrorEquals": ["JobRejected"], "ResultPath": "$.error", "Next": "Rejected"}],
    )
    state.pop("End")
    state["Next"] = "Done"
    definition = {
        "StartAt": "Record",
        "States": {
            "Record": state,
            "Done": {"Type": "Succeed"},
            "Rejected": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }
    sm = create_sm(sfn, definition)
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=sm)["executionArn"], timeout=10)
    assert len(calls) == 2
    assert result["status"] == "FAILED"
    assert result["error"] == "JobRejected"
    cause = json.loads(result["cause"])
    assert cause["errorType"] == "JobRejected"
    assert cause["errorMessage"] == "not a video"
    assert isinstance(cause["stackTrace"], list)


def test_boto3_invoke_uses_handler_too() -> None:
    """boto3 lambda.invoke reaches the same handler; exceptions set FunctionError=Unhandled."""
    create_function("status")
    moto_patches.register_lambda_handler("status", lambda event, context: {"ok": event["x"]})
    client = boto3.client("lambda", region_name=REGION)
    response = client.invoke(FunctionName="status", Payload=json.dumps({"x": 1}))
    assert json.loads(response["Payload"].read()) == {"ok": 1}
    assert "FunctionError" not in response

    def broken(event: dict[str, Any], context: Any) -> None:
        raise KeyError("x")

    moto_patches.register_lambda_handler("status", broken)
    response = client.invoke(FunctionName="status", Payload="{}")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "KeyError"


def test_unregistered_function_keeps_moto_behaviour() -> None:
    """Without a registration moto's simple backend answers (no handler code runs)."""
    create_function("other")
    moto_patches.register_lambda_handler("other", lambda event, context: "mine")
    moto_patches.unregister_lambda_handler("other")
    response = boto3.client("lambda", region_name=REGION).invoke(FunctionName="other", Payload="{}")
    assert response["Payload"].read() != b'"mine"'


@pytest.mark.parametrize("key", ["prepare", "arn:aws:lambda:us-east-1:123456789012:function:prepare:$LATEST"])
def test_function_key_accepts_names_and_arns(key: str) -> None:
    assert moto_patches.awslambda._function_key(key) == "prepare"


def test_base_environ_hides_the_running_handlers_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other threads can build environments without the running handler's variables (os.environ is global)."""
    monkeypatch.setenv("SHARED", "outer")
    create_function("envy", {"SHARED": "inner", "ONLY_LAMBDA": "1"})
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> None:
        base = moto_patches.base_environ()
        seen.update(
            inside=(os.environ["SHARED"], os.environ["ONLY_LAMBDA"]),
            base=(base["SHARED"], "ONLY_LAMBDA" in base),
        )

    moto_patches.register_lambda_handler("envy", handler)
    boto3.client("lambda", region_name=REGION).invoke(FunctionName="envy", Payload="{}")
    assert seen == {"inside": ("inner", "1"), "base": ("outer", False)}
    assert os.environ["SHARED"] == "outer" and "ONLY_LAMBDA" not in os.environ
