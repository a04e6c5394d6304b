"""Interpreter defects: definite JSONPath (3), execution names (6), definition validation state (7),
log level of handled errors (8) and JSONata (2)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_sm


def _execute(sfn: Any, definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
    arn = create_sm(sfn, definition)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))
    return wait_for_execution(sfn, execution["executionArn"], timeout=10)


def test_definite_path_with_index_returns_the_value(sfn: Any) -> None:
    """Defect 3: ``$.a[0].b`` is one value; ``$.a[*].b`` stays a list."""
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Pass",
                "Parameters": {"one.$": "$.a[0].b", "nested.$": "$.a[1].c[0]", "all.$": "$.a[*].b"},
                "End": True,
            }
        },
    }
    result = _execute(sfn, definition, {"a": [{"b": "x", "c": [7]}, {"b": "y", "c": [8]}]})
    assert json.loads(result["output"]) == {"one": "x", "nested": 8, "all": ["x", "y"]}


def test_executions_without_name_get_unique_names(sfn: Any) -> None:
    """Defect 6: StartExecution without a name generates a UUID (moto named them all "None")."""
    arn = create_sm(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    names = {sfn.describe_execution(executionArn=a)["name"] for a in (first, second)}
    assert len(names) == 2 and "None" not in names
    for arn_ in (first, second):
        assert wait_for_execution(sfn, arn_, timeout=10)["status"] == "SUCCEEDED"


def test_rejected_jsonata_definition_does_not_poison_later_ones(sfn: Any) -> None:
    """Defect 7: after an invalid JSONata definition is rejected, a valid JSONPath one is accepted."""
    invalid = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"a": 1}, "End": True}},
    }
    with pytest.raises(ClientError):
        create_sm(sfn, invalid, name="bad")
    valid = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "End": True}}}
    result = _execute(sfn, valid, {"x": 1})
    assert json.loads(result["output"]) == {"a": 1}


def test_handled_task_error_is_not_logged_at_error(sfn: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Defect 8: a task error inside a Map iteration, caught by the Map's Catch, logs no ERROR records."""
    failing_task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "missing", "Key": {"pk": {"S": "x"}}},
        "End": True,
    }
    definition = {
        "StartAt": "Jobs",
        "States": {
            "Jobs": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Get", "States": {"Get": failing_task}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Succeed"},
        },
    }
    with caplog.at_level(logging.DEBUG, logger="moto.stepfunctions"):
        result = _execute(sfn, definition, {"items": [1]})
    assert result["status"] == "SUCCEEDED"
    errors = [
        r for r in caplog.records if r.name.startswith("moto.stepfunctions") and r.levelno >= logging.ERROR
    ]
    assert errors == []


def test_jsonata_expressions_and_assign(sfn: Any) -> None:
    """Defect 2: ``{% %}`` expressions, Assign and $variables evaluate (jsonata-python)."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Assign": {"n": "{% $states.input.n * 2 %}"}, "Next": "Second"},
            "Second": {
                "Type": "Pass",
                "Output": {"double": "{% $n %}", "keys": "{% $uppercase($states.input.name) %}"},
                "End": True,
            },
        },
    }
    result = _execute(sfn, definition, {"n": 21, "name": "clip"})
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"double": 42, "keys": "CLIP"}
