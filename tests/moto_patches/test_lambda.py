"""Lambda handlers run in-process (defect 9) and ``lambda:invoke`` parameters are normalised (defect 1)."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from vidpipe.local import in_memory, invocation_env, moto_patches
from vidpipe.local.invocation_env import process_environ
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


def test_a_handler_runs_with_its_aws_calls_served_in_memory() -> None:
    """Its clients reach the runtime's moto without a socket (vidpipe.local.in_memory); the caller's do not."""
    create_function("status")
    moto_patches.register_lambda_handler("status", lambda event, context: in_memory.calls_are_in_memory())
    response = boto3.client("lambda", region_name=REGION).invoke(FunctionName="status", Payload="{}")
    assert json.loads(response["Payload"].read()) is True
    assert not in_memory.calls_are_in_memory()


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


def test_concurrent_invocations_run_at_once_each_with_its_own_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two functions invoked from two threads run at the same time (the first waits for the second), each
    sees its own variables, and the process's environment never holds either (as on AWS, where each runs in an
    execution environment of its own)."""
    monkeypatch.setenv("SHARED", "outer")
    create_function("first", {"SHARED": "one", "ONLY_FIRST": "1"})
    create_function("second", {"SHARED": "two"})
    second_ran = threading.Event()
    seen: dict[str, Any] = {}

    def first(event: dict[str, Any], context: Any) -> None:
        assert second_ran.wait(timeout=30), "the second invocation waited for the first one to end"
        seen["first"] = (
            os.environ["SHARED"],
            os.environ.get("ONLY_FIRST"),
            os.getenv("AWS_LAMBDA_FUNCTION_NAME"),
        )

    def second(event: dict[str, Any], context: Any) -> None:
        seen["second"] = (
            os.environ["SHARED"],
            os.environ.get("ONLY_FIRST"),
            os.getenv("AWS_LAMBDA_FUNCTION_NAME"),
        )
        seen["process"] = {k: v for k, v in process_environ().items() if k in ("SHARED", "ONLY_FIRST")}
        os.environ["WRITTEN_BY_SECOND"] = "x"  # stays in this invocation
        second_ran.set()

    moto_patches.register_lambda_handler("first", first)
    moto_patches.register_lambda_handler("second", second)
    client = boto3.client("lambda", region_name=REGION)
    with ThreadPoolExecutor(max_workers=2) as pool:
        calls = [pool.submit(client.invoke, FunctionName=name, Payload="{}") for name in ("first", "second")]
        errors = [call.result(timeout=60).get("FunctionError") for call in calls]

    assert errors == [None, None]
    assert seen == {
        "first": ("one", "1", "first"),
        "second": ("two", None, "second"),
        "process": {"SHARED": "outer"},
    }
    assert os.environ["SHARED"] == "outer" and "ONLY_FIRST" not in os.environ
    assert "WRITTEN_BY_SECOND" not in os.environ


def test_the_environment_of_a_call_is_a_mapping_like_os_environ() -> None:
    """Inside a call: set, delete, iterate and copy see the call's variables; outside, the process's."""
    environ = invocation_env.install()
    with invocation_env.invocation({"ONE": "1", "TWO": "2"}):
        os.environ["THREE"] = "3"
        del os.environ["ONE"]
        inside = {k: v for k, v in os.environ.copy().items() if k in ("ONE", "TWO", "THREE")}
        with pytest.raises(KeyError):
            del os.environ["ONE"]
        with pytest.raises(TypeError):
            os.environ["FOUR"] = 4  # type: ignore[assignment]
        length_inside = len(os.environ)
    assert inside == {"TWO": "2", "THREE": "3"}
    assert length_inside == len(environ.process) + 2
    assert not {"ONE", "TWO", "THREE"} & set(os.environ)
