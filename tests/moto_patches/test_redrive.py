"""RedriveExecution (moto has none): AWS's documented semantics on small generic definitions.

Each definition's Task states call in-process Lambda handlers that count their calls and fail while told to,
so a test can tell which states a redrive re-ran and with what input.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_function, create_sm, parked_definition


class Boom(Exception):
    """The error the step handlers raise while told to fail."""


class Steps:
    """Lambda functions named after the steps; each call is recorded; ``failing`` makes a step raise Boom."""

    def __init__(self, *names: str) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failing: set[str] = set()
        self.fail_items: set[Any] = set()  # items (the event's "item") that fail at their step "Work"
        self._lock = threading.Lock()
        for name in names:
            create_function(name)
            moto_patches.register_lambda_handler(name, self._handler(name))

    def _handler(self, name: str) -> Any:
        def handler(event: Any, context: Any) -> Any:
            with self._lock:
                self.calls.append((name, event))
            if name in self.failing or (name == "Work" and event.get("item") in self.fail_items):
                raise Boom(f"{name} failed")
            return {**event, name: True} if isinstance(event, dict) else event

        return handler

    def count(self) -> Counter[Any]:
        return Counter(name for name, _ in self.calls)

    def items_at(self, step: str) -> Counter[Any]:
        return Counter(event.get("item") for name, event in self.calls if name == step)


def task(name: str, next_state: str | None = None, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": name, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        **({"Next": next_state} if next_state else {"End": True}),
    }
    state.update(extra)
    return state


def prep_work_map(max_concurrency: int = 0) -> dict[str, Any]:
    """An inline Map whose iterations run Prep then Work on ``{"item": <the item>}``."""
    each: dict[str, Any] = {
        "Type": "Map",
        "ItemSelector": {"item.$": "$$.Map.Item.Value"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Prep",
            "States": {"Prep": task("Prep", "Work"), "Work": task("Work")},
        },
        "End": True,
    }
    if max_concurrency:
        each["MaxConcurrency"] = max_concurrency
    return {"StartAt": "Each", "States": {"Each": each}}


def run(sfn: Any, arn: str, payload: Any, name: str = "run") -> tuple[str, dict[str, Any]]:
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))
    return execution["executionArn"], wait_for_execution(sfn, execution["executionArn"], timeout=20)


def redrive(sfn: Any, execution_arn: str, **kwargs: Any) -> dict[str, Any]:
    sfn.redrive_execution(executionArn=execution_arn, **kwargs)
    return wait_for_execution(sfn, execution_arn, timeout=20)


@pytest.fixture(autouse=True)
def failed_state_start() -> Iterator[None]:
    yield
    moto_patches.set_iteration_start(moto_patches.IterationStart.FAILED_STATE)


def test_redrive_continues_at_the_failed_state_with_its_original_input(sfn: Any) -> None:
    steps = Steps("First", "Second", "Third")
    definition = {
        "StartAt": "First",
        "States": {
            "First": task("First", "Second"),
            "Second": task("Second", "Third"),
            "Third": task("Third"),
        },
    }
    arn = create_sm(sfn, definition)
    steps.failing.add("Second")
    execution_arn, failed = run(sfn, arn, {"n": 1})
    assert failed["status"] == "FAILED" and failed["error"] == "Boom", failed

    steps.failing.clear()
    done = redrive(sfn, execution_arn)

    assert done["status"] == "SUCCEEDED", done
    assert done["executionArn"] == execution_arn
    assert json.loads(done["output"]) == {"n": 1, "First": True, "Second": True, "Third": True}
    assert steps.count() == {"First": 1, "Second": 2, "Third": 1}  # the succeeded state did not run again
    second_inputs = [event for name, event in steps.calls if name == "Second"]
    assert second_inputs[0] == second_inputs[1] == {"n": 1, "First": True}


def test_describe_list_and_context_show_the_redrive(sfn: Any) -> None:
    steps = Steps("Context")
    definition = {
        "StartAt": "Context",
        "States": {
            "Context": task("Context", Parameters={"FunctionName": "Context", "Payload.$": "$$.Execution"})
        },
    }
    arn = create_sm(sfn, definition)
    steps.failing.add("Context")
    execution_arn, failed = run(sfn, arn, {})
    assert failed["redriveCount"] == 0 and failed["redriveStatus"] == "REDRIVABLE", failed
    assert "redriveDate" not in failed
    first_context = steps.calls[-1][1]
    assert first_context["RedriveCount"] == 0 and "RedriveTime" not in first_context

    steps.failing.clear()
    done = redrive(sfn, execution_arn)

    context = steps.calls[-1][1]
    assert context["RedriveCount"] == 1
    assert context["RedriveTime"].endswith("Z")
    assert done["redriveCount"] == 1 and done["status"] == "SUCCEEDED"
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven."
    assert abs((done["redriveDate"] - datetime.datetime.now(datetime.UTC)).total_seconds()) < 30
    redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    not_redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"]
    assert [e["executionArn"] for e in redriven] == [execution_arn]
    assert redriven[0]["redriveCount"] == 1 and "redriveDate" in redriven[0]
    assert not_redriven == []


def test_history_continues_with_an_execution_redriven_event(sfn: Any) -> None:
    steps = Steps("Only")
    arn = create_sm(sfn, {"StartAt": "Only", "States": {"Only": task("Only")}})
    steps.failing.add("Only")
    execution_arn, _ = run(sfn, arn, {})
    before = sfn.get_execution_history(executionArn=execution_arn)["events"]
    steps.failing.clear()
    redrive(sfn, execution_arn)

    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert events[: len(before)] == before
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    redriven = events[len(before)]
    assert redriven["type"] == "ExecutionRedriven"
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert redriven["previousEventId"] == before[-1]["id"]
    assert [e["type"] for e in events[len(before) :]][-1] == "ExecutionSucceeded"


@pytest.mark.parametrize("start", list(moto_patches.IterationStart))
def test_inline_map_redrives_only_the_failed_iterations(sfn: Any, start: moto_patches.IterationStart) -> None:
    """MaxConcurrency 1 makes the first run deterministic: item 1 succeeds, item 2 fails at Work, item 3 never
    starts. The redrive re-runs item 2 (from Work, or from Prep with ``first-state``) and starts item 3."""
    moto_patches.set_iteration_start(start)
    steps = Steps("Prep", "Work")
    definition = prep_work_map(max_concurrency=1)
    arn = create_sm(sfn, definition)
    steps.fail_items.add(2)
    execution_arn, failed = run(sfn, arn, [1, 2, 3])
    assert failed["status"] == "FAILED", failed
    first_run = len(steps.calls)
    assert [(name, event["item"]) for name, event in steps.calls] == [
        ("Prep", 1),
        ("Work", 1),
        ("Prep", 2),
        ("Work", 2),
    ]

    steps.fail_items.clear()
    done = redrive(sfn, execution_arn)

    assert done["status"] == "SUCCEEDED", done
    outputs = json.loads(done["output"])
    assert outputs == [{"item": i, "Prep": True, "Work": True} for i in (1, 2, 3)]  # kept in place
    again = [(name, event["item"]) for name, event in steps.calls[first_run:]]
    if start is moto_patches.IterationStart.FAILED_STATE:
        assert again == [("Work", 2), ("Prep", 3), ("Work", 3)]
        assert steps.calls[first_run][1] == {"item": 2, "Prep": True}  # the failed state's original input
    else:
        assert again == [("Prep", 2), ("Work", 2), ("Prep", 3), ("Work", 3)]


def test_map_iterations_aborted_by_a_failure_are_not_taken_for_succeeded(sfn: Any) -> None:
    """All iterations run at once; item 2 fails. moto ends the others from outside: they must be redriven,
    not kept as succeeded with a half-done output."""
    steps = Steps("Prep", "Work")
    definition = prep_work_map()
    arn = create_sm(sfn, definition)
    steps.fail_items.add(2)
    execution_arn, _ = run(sfn, arn, [1, 2, 3, 4])
    steps.fail_items.clear()
    done = redrive(sfn, execution_arn)

    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [{"item": i, "Prep": True, "Work": True} for i in (1, 2, 3, 4)]
    assert all(count <= 2 for count in steps.items_at("Work").values())


def test_parallel_redrives_only_the_failed_branch(sfn: Any) -> None:
    steps = Steps("Left", "Right")
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": task("Left")}},
                    {  # the pause lets Left finish first: a failure aborts the branches still running
                        "StartAt": "Pause",
                        "States": {
                            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Right"},
                            "Right": task("Right"),
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    arn = create_sm(sfn, definition)
    steps.failing.add("Right")
    execution_arn, failed = run(sfn, arn, {"n": 1})
    assert failed["status"] == "FAILED", failed
    left_before = steps.count()["Left"]

    steps.failing.clear()
    done = redrive(sfn, execution_arn)

    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [{"n": 1, "Left": True}, {"n": 1, "Right": True}]
    assert steps.count()["Right"] == 2
    assert steps.count()["Left"] == left_before  # the succeeded branch was not re-run


def test_redrive_uses_the_definition_the_execution_started_with(sfn: Any) -> None:
    steps = Steps("Old", "New")
    arn = create_sm(sfn, {"StartAt": "Step", "States": {"Step": task("Old")}})
    steps.failing.add("Old")
    execution_arn, _ = run(sfn, arn, {})
    sfn.update_state_machine(
        stateMachineArn=arn, definition=json.dumps({"StartAt": "Step", "States": {"Step": task("New")}})
    )
    steps.failing.clear()

    assert redrive(sfn, execution_arn)["status"] == "SUCCEEDED"
    assert steps.count() == {"Old": 2}


def test_an_aborted_callback_task_is_redriven_with_a_new_token(sfn: Any) -> None:
    steps = Steps("Park")
    arn = create_sm(sfn, parked_definition("Park"))
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="parked", input="{}")["executionArn"]
    _wait_for_calls(steps, 1)
    sfn.stop_execution(executionArn=execution_arn, cause="operator")
    assert wait_for_execution(sfn, execution_arn)["status"] == "ABORTED"

    sfn.redrive_execution(executionArn=execution_arn)
    _wait_for_calls(steps, 2)
    token = steps.calls[-1][1]["token"]
    assert token != steps.calls[0][1]["token"]
    sfn.send_task_success(taskToken=token, output=json.dumps({"woken": True}))
    done = wait_for_execution(sfn, execution_arn, timeout=20)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"woken": True}


def test_a_repeated_client_token_redrives_once(sfn: Any) -> None:
    steps = Steps("Only")
    arn = create_sm(sfn, {"StartAt": "Only", "States": {"Only": task("Only")}})
    steps.failing.add("Only")
    execution_arn, _ = run(sfn, arn, {})
    steps.failing.clear()
    first = sfn.redrive_execution(executionArn=execution_arn, clientToken="token-1")
    wait_for_execution(sfn, execution_arn)
    again = sfn.redrive_execution(executionArn=execution_arn, clientToken="token-1")

    assert again["redriveDate"] == first["redriveDate"]
    assert sfn.describe_execution(executionArn=execution_arn)["redriveCount"] == 1
    assert steps.count() == {"Only": 2}


def _not_redrivable(sfn: Any, execution_arn: str) -> str:
    with pytest.raises(ClientError) as raised:
        sfn.redrive_execution(executionArn=execution_arn)
    assert raised.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    return str(raised.value.response["Error"]["Message"])


def test_succeeded_running_and_expired_executions_are_not_redrivable(sfn: Any) -> None:
    steps = Steps("Only", "Park")
    arn = create_sm(sfn, {"StartAt": "Only", "States": {"Only": task("Only")}})
    succeeded, _ = run(sfn, arn, {}, name="ok")
    assert "SUCCEEDED" in _not_redrivable(sfn, succeeded)

    parked_arn = create_sm(sfn, parked_definition("Park"), name="parked")
    running = sfn.start_execution(stateMachineArn=parked_arn, name="waiting", input="{}")["executionArn"]
    assert "RUNNING" in _not_redrivable(sfn, running)
    sfn.stop_execution(executionArn=running)

    steps.failing.add("Only")
    old, _ = run(sfn, arn, {}, name="old")
    execution = _backend_execution(old)
    execution.stop_date -= datetime.timedelta(days=15)
    assert _not_redrivable(sfn, old) == "Execution redrivable period exceeded."
    described = sfn.describe_execution(executionArn=old)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution redrivable period exceeded."

    with pytest.raises(ClientError) as missing:
        sfn.redrive_execution(executionArn=old.replace(":old", ":nope"))
    assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_an_execution_at_the_history_limit_is_not_redrivable(
    sfn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidpipe.local.moto_patches import redrive as redrive_module

    steps = Steps("Only")
    arn = create_sm(sfn, {"StartAt": "Only", "States": {"Only": task("Only")}})
    steps.failing.add("Only")
    execution_arn, _ = run(sfn, arn, {})
    events = len(sfn.get_execution_history(executionArn=execution_arn)["events"])
    monkeypatch.setattr(redrive_module, "HISTORY_LIMIT", events)
    assert _not_redrivable(sfn, execution_arn) == "Execution history event limit exceeded."


def test_a_timed_out_execution_is_redrivable_and_shows_its_stop_date(sfn: Any) -> None:
    steps = Steps("Park")
    arn = create_sm(sfn, {**parked_definition("Park"), "TimeoutSeconds": 1})
    execution_arn, timed_out = run(sfn, arn, {})
    assert timed_out["status"] == "TIMED_OUT" and "stopDate" in timed_out
    sfn.redrive_execution(executionArn=execution_arn)
    _wait_for_calls(steps, 2)
    sfn.send_task_success(taskToken=steps.calls[-1][1]["token"], output="{}")
    assert wait_for_execution(sfn, execution_arn)["status"] == "SUCCEEDED"


def _wait_for_calls(steps: Steps, count: int, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while len(steps.calls) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(steps.calls)} handler calls after {timeout}s, expected {count}")
        time.sleep(0.02)


def _backend_execution(execution_arn: str) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    return backend.describe_execution(execution_arn)


def test_a_failed_distributed_map_is_refused_clearly(sfn: Any) -> None:
    """A Distributed Map whose items are not a list fails at the Map state: AWS would redrive its Map Run."""
    Steps("Work")
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Work",
                    "States": {"Work": task("Work")},
                },
                "End": True,
            }
        },
    }
    arn = create_sm(sfn, definition)
    execution_arn, failed = run(sfn, arn, {"items": "not a list"})
    assert failed["status"] == "FAILED", failed

    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=execution_arn)
    assert refused.value.response["Error"]["Code"] == "NotImplemented"
    assert "Distributed Map" in refused.value.response["Error"]["Message"]
    assert sfn.describe_execution(executionArn=execution_arn)["redriveCount"] == 0
